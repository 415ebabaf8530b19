import type { RenderedPipeline } from './render.js';

/** Messages between the agent and its pipeline host child process (over the IPC channel). */

export type ToHost =
  /** `fanoutPort`: for a relay, the core's port, whose connection is not the destination's. */
  | { type: 'start'; pipeline: RenderedPipeline; statsIntervalMs: number; fanoutPort?: number }
  /** Send EOS, let the recorder finalise and the RTMP sessions close, then exit. */
  | { type: 'stop'; deadlineMs: number };

export interface HostStats {
  /** Frames through videorate (the core; null with passthrough and in relays). */
  video: { in: number; out: number; dropped: number; duplicated: number } | null;
  /** Bytes the relay's rtmp2sink has written to the server socket (null in the core). */
  bytesSent: number | null;
  /** Of those, bytes the server has not acknowledged yet (null in the core). */
  unackedBytes: number | null;
}

export type FromHost =
  | { type: 'playing' }
  /** The core serves its FLV stream to the relays on 127.0.0.1:port. */
  | { type: 'fanout'; port: number }
  | { type: 'stats'; at: number; stats: HostStats }
  | { type: 'segment-closed'; location: string }
  /** The audio meter: dBFS per channel over the last interval (-100 stands for digital silence). */
  | { type: 'audio-level'; at: number; peakDb: number[]; rmsDb: number[] }
  | { type: 'segment-opened'; location: string }
  | { type: 'warning'; element: string; message: string }
  /** The pipeline failed; the host exits after sending this. */
  | { type: 'error'; element: string; message: string }
  /** Stopped cleanly: everything was flushed. */
  | { type: 'stopped'; flushed: boolean };
