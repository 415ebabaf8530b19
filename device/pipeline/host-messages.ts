import type { RenderedPipeline } from './render.js';

/** Messages between the agent and its pipeline host child process (over the IPC channel). */

export type ToHost =
  | { type: 'start'; pipeline: RenderedPipeline; statsIntervalMs: number }
  /** Send EOS, let the recorder finalise and the RTMP sessions close, then exit. */
  | { type: 'stop'; deadlineMs: number };

export interface HostStats {
  /** Frames through videorate (null with passthrough). */
  video: { in: number; out: number; dropped: number; duplicated: number } | null;
  /** destination id -> bytes written to the server socket so far. */
  destinations: Record<string, { bytesSent: number }>;
}

export type FromHost =
  | { type: 'playing' }
  | { type: 'stats'; at: number; stats: HostStats }
  | { type: 'segment-closed'; location: string }
  | { type: 'segment-opened'; location: string }
  | { type: 'warning'; element: string; message: string }
  /** The pipeline failed; the host exits after sending this. */
  | { type: 'error'; element: string; message: string }
  /** Stopped cleanly: everything was flushed. */
  | { type: 'stopped'; flushed: boolean };
