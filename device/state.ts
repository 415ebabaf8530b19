import type { Destination } from '../common/destination.js';
import type { HostStats } from './pipeline/host-messages.js';

/** The box's stream state: what the fleet link publishes and the log records. */
export type Phase = 'idle' | 'starting' | 'live' | 'stopping' | 'error';

export interface DestinationState {
  id: string;
  platform: Destination['platform'];
  /** The URL with the stream key masked. */
  url: string;
  state: 'idle' | 'connecting' | 'live' | 'stalled';
  bytesSent: number;
  bitrateKbps: number;
}

export interface StreamState {
  phase: Phase;
  /** Why the box is in error (or why it left it), in words. */
  reason: string | null;
  since: string;
  destinations: DestinationState[];
  encoder: { fps: number | null; droppedFrames: number; duplicatedFrames: number };
  recording: { enabled: boolean; dir: string | null; currentSegment: string | null; segmentsClosed: number };
  /** Pipeline restarts since the box went live. */
  restarts: number;
}

export function initialState(destinations: Destination[], recordDir: string | null, now: Date): StreamState {
  return {
    phase: 'idle',
    reason: null,
    since: now.toISOString(),
    destinations: destinations.map((d) => ({ id: d.id, platform: d.platform, url: d.display, state: 'idle', bytesSent: 0, bitrateKbps: 0 })),
    encoder: { fps: null, droppedFrames: 0, duplicatedFrames: 0 },
    recording: { enabled: recordDir !== null, dir: recordDir, currentSegment: null, segmentsClosed: 0 },
    restarts: 0,
  };
}

export function withPhase(state: StreamState, phase: Phase, reason: string | null, now: Date): StreamState {
  if (state.phase === phase && state.reason === reason) return state;
  const idle = phase === 'idle' || phase === 'error';
  return {
    ...state,
    phase,
    reason,
    since: now.toISOString(),
    destinations: idle ? state.destinations.map((d) => ({ ...d, state: 'idle', bitrateKbps: 0 })) : state.destinations,
    encoder: idle ? { ...state.encoder, fps: null } : state.encoder,
    recording: idle ? { ...state.recording, currentSegment: null } : state.recording,
  };
}

/** Bytes an RTMP handshake and connect exchange take before any media flows. */
const HANDSHAKE_BYTES = 4096;

/**
 * Folds one statistics sample into the state. `previous` is the sample before
 * it (null for the first of a pipeline run); rates are over the time between.
 */
export function applyStats(state: StreamState, previous: { at: number; stats: HostStats } | null, sample: { at: number; stats: HostStats }): StreamState {
  const seconds = previous ? Math.max((sample.at - previous.at) / 1000, 0.001) : null;
  const destinations = state.destinations.map((d): DestinationState => {
    const now = sample.stats.destinations[d.id]?.bytesSent ?? 0;
    const before = previous?.stats.destinations[d.id]?.bytesSent ?? 0;
    const delta = Math.max(now - before, 0);
    const bitrateKbps = seconds === null ? 0 : Math.round((delta * 8) / 1000 / seconds);
    let s: DestinationState['state'];
    if (now <= HANDSHAKE_BYTES) s = 'connecting';
    else if (delta > 0) s = 'live';
    else s = d.state === 'connecting' ? 'connecting' : 'stalled';
    return { ...d, state: s, bytesSent: now, bitrateKbps };
  });
  const v = sample.stats.video;
  const pv = previous?.stats.video;
  const fps = v && pv && seconds !== null ? Math.round(((v.out - pv.out) / seconds) * 10) / 10 : state.encoder.fps;
  return {
    ...state,
    destinations,
    encoder: { fps, droppedFrames: v?.dropped ?? state.encoder.droppedFrames, duplicatedFrames: v?.duplicated ?? state.encoder.duplicatedFrames },
  };
}

/** The stream counts as live once media reaches every destination (or, with none, the recorder). */
export function mediaFlowing(state: StreamState): boolean {
  if (state.destinations.length > 0) return state.destinations.every((d) => d.state === 'live');
  return state.recording.currentSegment !== null;
}
