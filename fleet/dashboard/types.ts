/**
 * The API's JSON as the page reads it (fleet/device-view.ts, fleet/attention.ts,
 * fleet/timeline.ts, fleet/config-effects.ts; described in /api/openapi.json).
 * The page is a client of the HTTP API like any script: it declares only the
 * fields it shows.
 */
export type Phase = 'idle' | 'starting' | 'live' | 'stopping' | 'error';
export type Platform = 'youtube' | 'twitch' | 'facebook' | 'custom' | 'ipfs';

export interface DestinationState {
  id: string;
  platform: Platform;
  url: string;
  state: 'idle' | 'connecting' | 'live' | 'retrying';
  bitrateKbps: number;
  failures: number;
  lastError: string | null;
  retryInMs: number | null;
}

export interface Attention {
  kind: string;
  severity: 'critical' | 'warning';
  message: string;
}

export interface Health {
  tempC?: number;
  cpuLoadPercent?: number;
  dataFreeBytes?: number;
  recordFreeBytes?: number;
  underVoltageNow?: boolean;
  underVoltageOccurred?: boolean;
  throttledNow?: boolean;
  freqCappedNow?: boolean;
  softTempLimitNow?: boolean;
  wifiSignalDbm?: number;
  sendKbps?: number;
}

export interface StreamDetails {
  since: string;
  video: { slate: boolean; slateSince: string | null; lastError: string | null };
  recording: { enabled: boolean; freeBytes: number | null; stopped: string | null; segmentsClosed: number };
  audio: { source: 'microphone' | 'test' | 'none'; peakDb: number[]; rmsDb: number[]; silent: boolean; clipping: boolean; failed: boolean };
}

export interface Device {
  id: string;
  name: string;
  online: boolean;
  status: 'online' | 'offline' | 'lost' | null;
  state: Phase | null;
  stateReason: string | null;
  lastSeen: string | null;
  revoked: boolean;
  desiredVersion: number;
  appliedVersion: number | null;
  refused: { version: number; errors: string[] } | null;
  config: Record<string, string>;
  running: Record<string, string>;
  destinations: DestinationState[];
  stream: StreamDetails | null;
  health: Health | null;
  healthAt: string | null;
  /** The ipfs destination's state: the talk it publishes, the last talk's VOD (watch page /watch/<id>). */
  ipfs: { stream: string | null; vodCid: string | null } | null;
  /** A balena update waits for the talk to end (the box holds its update lock). */
  updateWaiting: boolean;
  attention: Attention[];
}

export interface TimelineEvent {
  at: string;
  kind: string;
  message: string;
}

export interface ConfigPreview {
  changes: { variable: string; impact: 'restart' | 'reconnect' | 'none'; message: string }[];
  interrupts: boolean;
}

export interface Session {
  csrf: string;
  expires: string;
  passwordSet: boolean;
}

/** fleet/balena/: what the updates page reads. */
export interface ReleaseRef {
  id: number;
  commit: string;
  version: string | null;
}

export interface Release extends ReleaseRef {
  status: string;
  createdAt: string;
  isFinal: boolean;
  invalidated: boolean;
}

export interface BoxRelease {
  deviceId: string;
  name: string;
  online: boolean;
  running: ReleaseRef | null;
  target: ReleaseRef | null;
  pinned: ReleaseRef | null;
}

export interface Rollout {
  id: string;
  release: ReleaseRef;
  previous: ReleaseRef | null;
  canary: string;
  testDestination: string;
  phase: 'pinning-canary' | 'canary-updating' | 'canary-testing' | 'pinning-rest' | 'done' | 'failed' | 'aborted';
  reason: string | null;
  lastError: string | null;
}
