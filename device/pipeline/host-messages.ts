import type { RenderedPipeline, SourcePipeline } from './render.js';
import type { SnapshotStep } from './snapshot-plan.js';

/** What a source pipeline feeds the core: the camera's picture or the microphone's sound. */
export type SourceFeed = 'video' | 'audio';

/** Messages between the agent and its pipeline host child process (over the IPC channel). */

export type ToHost =
  /** `fanoutPort`: for a relay, the core's port, whose connection is not the destination's. */
  | { type: 'start'; pipeline: RenderedPipeline; statsIntervalMs: number; fanoutPort?: number; sources?: SourcePipeline[]; slate?: string | null }
  /** Test control: make a source fail through GStreamer's own error path. */
  /** A new slate (room name, message, picture), drawn into the running core. */
  | { type: 'slate'; slate: string | null }
  | { type: 'inject-fault'; feed: SourceFeed }
  /** Test control: the flash test pattern white or black, for timing a frame to the ingest. */
  | { type: 'test-flash'; on: boolean }
  /** A still of what the core sends: the steps are tried in order until the JPEG is at most maxBytes. */
  | { type: 'snapshot'; id: number; steps: SnapshotStep[]; maxBytes: number }
  /** Send EOS, let the recorder finalise and the RTMP sessions close, then exit. */
  | { type: 'stop'; deadlineMs: number };

export interface HostStats {
  /** Frames the camera delivered and frames dropped above the frame rate (null with passthrough and in relays). */
  video: { in: number; dropped: number } | null;
  /** Bytes the relay's rtmp2sink has written to the server socket (null in the core). */
  bytesSent: number | null;
  /** Of those, bytes the server has not acknowledged yet (null in the core). */
  unackedBytes: number | null;
}

export type SnapshotOutcome = { ok: true; jpegBase64: string; width: number; height: number } | { ok: false; error: string };

export type FromHost =
  | { type: 'playing' }
  /** The core serves its FLV stream to the relays on 127.0.0.1:port. */
  | { type: 'fanout'; port: number }
  | { type: 'stats'; at: number; stats: HostStats }
  /** runningTimeNs: the pipeline's running time at the cut; closed minus opened is the segment's duration. */
  | { type: 'segment-closed'; location: string; runningTimeNs: number }
  /** The audio meter: dBFS per channel over the last interval (-100 stands for digital silence). */
  | { type: 'audio-level'; at: number; peakDb: number[]; rmsDb: number[] }
  | { type: 'segment-opened'; location: string; runningTimeNs: number }
  /** A source feed failed (the slate is on for video; silence for audio) or delivers again. */
  | { type: 'source'; feed: SourceFeed; ok: boolean; reason: string | null }
  | { type: 'warning'; element: string; message: string }
  /** The pipeline failed; the host exits after sending this (its agent kills it if it does not, host-process.ts). */
  | { type: 'error'; element: string; message: string }
  /** The answer to a snapshot request, with the same id. */
  | ({ type: 'snapshot'; id: number } & SnapshotOutcome)
  /** Stopped cleanly: everything was flushed. */
  | { type: 'stopped'; flushed: boolean };
