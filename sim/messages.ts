import type { FleetCredentials } from '../device/fleet/credentials-file.js';
import type { VirtualBoxCounters } from './virtual-box.js';

/** What the simulator sends its worker processes over IPC. */
export type ToWorker =
  | { type: 'start'; boxes: FleetCredentials[]; healthSeconds: number; connectsPerSecond: number }
  | { type: 'stats' }
  | { type: 'stop' };

export interface WorkerStats extends VirtualBoxCounters {
  boxes: number;
  connected: number;
  errors: number;
  /** The first few error messages, for the report. */
  firstErrors: string[];
}

/** What a worker process sends back. Times are wall-clock ms (preciseNow). */
export type FromWorker =
  | { type: 'connected'; id: string }
  | { type: 'desiredSeen'; id: string; version: number; at: number }
  | { type: 'applied'; id: string; version: number; at: number }
  | { type: 'stats'; stats: WorkerStats }
  | { type: 'stopped' };
