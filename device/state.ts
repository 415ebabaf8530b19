import type { Destination } from '../common/destination.js';
import type { HostStats } from './pipeline/host-messages.js';

/** The box's stream state: what the fleet link publishes and the log records. */
export type Phase = 'idle' | 'starting' | 'live' | 'stopping' | 'error';

export interface DestinationState {
  id: string;
  platform: Destination['platform'];
  /** The URL with the stream key masked. */
  url: string;
  /** retrying: the last attempt failed (see lastError) and the next one is in retryInMs. */
  state: 'idle' | 'connecting' | 'live' | 'retrying';
  bytesSent: number;
  bitrateKbps: number;
  /** Failed attempts since the destination was last live. */
  failures: number;
  lastError: string | null;
  retryInMs: number | null;
}

export interface StreamState {
  phase: Phase;
  /** Why the box is in error (or why it left it), in words. */
  reason: string | null;
  since: string;
  destinations: DestinationState[];
  /**
   * fps: frames per second the camera delivers to the encoder (which always
   * sends the configured rate, repeating frames a slower camera lacks);
   * droppedFrames: camera frames beyond the configured rate, dropped.
   */
  encoder: { fps: number | null; droppedFrames: number };
  video: VideoState;
  recording: {
    enabled: boolean;
    dir: string | null;
    currentSegment: string | null;
    segmentsClosed: number;
    /** Free space under the recording folder at the last check. */
    freeBytes: number | null;
    /** Old segments deleted to keep ROOMCAST_RECORD_MIN_FREE free. */
    segmentsRemoved: number;
    /** Why recording stopped while streaming goes on (the disk filled faster than old segments could be deleted). */
    stopped: string | null;
  };
  /** Pipeline restarts since the box went live. */
  restarts: number;
  /** Publishing to IPFS; null without the ipfs destination. */
  ipfs: IpfsState | null;
  audio: AudioState;
}

/** The ipfs destination: the box's IPFS node, the talk it publishes, and the last finished talk's VOD. */
export interface IpfsState {
  peerId: string | null;
  /** The talk being published (null when idle) and the segments added to it so far. */
  stream: string | null;
  segments: number;
  lastCid: string | null;
  /** The last finished talk's VOD playlist (a directory with index.m3u8), pinned. */
  vodCid: string | null;
  vodStream: string | null;
  /** What the box's IPFS store keeps pinned (ROOMCAST_IPFS_KEEP bounds it). */
  pinnedBytes: number;
  /** Segments unpinned to keep ROOMCAST_IPFS_KEEP since the agent started. */
  unpinned: number;
  lastError: string | null;
}

export function initialIpfsState(): IpfsState {
  return { peerId: null, stream: null, segments: 0, lastCid: null, vodCid: null, vodStream: null, pinnedBytes: 0, unpinned: 0, lastError: null };
}

/** The picture: the camera's, or the slate while the camera is lost. */
export interface VideoState {
  slate: boolean;
  /** Since when the slate has been on. */
  slateSince: string | null;
  /** Why the camera was last lost. */
  lastError: string | null;
  /** Times the camera was lost since the box went live. */
  losses: number;
}

/** Folds a camera report (lost, or delivering again) into the video state. */
export function applyVideoSource(video: VideoState, ok: boolean, reason: string | null, now: Date): VideoState {
  if (ok) return video.slate ? { ...video, slate: false, slateSince: null } : video;
  if (video.slate) return { ...video, lastError: reason };
  return { slate: true, slateSince: now.toISOString(), lastError: reason, losses: video.losses + 1 };
}

/** The audio meters, as the microphone delivers (before any delay). dBFS, -100 for digital silence. */
export interface AudioState {
  source: 'microphone' | 'test' | 'none';
  peakDb: number[];
  rmsDb: number[];
  /** Quiet (RMS below SILENCE_DB on every channel) since then; null while there is sound. */
  quietSince: string | null;
  /** Quiet for SILENCE_FLAG_MS or more: a muted or dead microphone. */
  silent: boolean;
  /** A peak reached CLIP_DB within the last CLIP_HOLD_MS. */
  clipping: boolean;
  lastClipAt: string | null;
  /** The microphone failed (unplugged, driver error): silence is sent until it is back. */
  failed: boolean;
  failReason: string | null;
}

/** The audio state before the first meter reading of a run. */
export function initialAudio(source: AudioState['source']): AudioState {
  return { source, peakDb: [], rmsDb: [], quietSince: null, silent: false, clipping: false, lastClipAt: null, failed: false, failReason: null };
}

/** The state's word for what the session's audio input is. */
export function audioSourceOf(input: { kind: 'test' | 'silence' | 'alsa' }): AudioState['source'] {
  return input.kind === 'alsa' ? 'microphone' : input.kind === 'test' ? 'test' : 'none';
}

export const SILENCE_DB = -60;
export const SILENCE_FLAG_MS = 10_000;
export const CLIP_DB = -0.1;
export const CLIP_HOLD_MS = 3000;

/** Folds one meter reading into the audio state. */
export function applyAudioLevel(audio: AudioState, reading: { peakDb: number[]; rmsDb: number[] }, now: Date): AudioState {
  const quiet = reading.rmsDb.length > 0 && reading.rmsDb.every((db) => db < SILENCE_DB);
  const quietSince = quiet ? (audio.quietSince ?? now.toISOString()) : null;
  const clippedNow = reading.peakDb.some((db) => db >= CLIP_DB);
  const lastClipAt = clippedNow ? now.toISOString() : audio.lastClipAt;
  return {
    ...audio,
    peakDb: reading.peakDb,
    rmsDb: reading.rmsDb,
    quietSince,
    silent: quietSince !== null && now.getTime() - Date.parse(quietSince) >= SILENCE_FLAG_MS,
    lastClipAt,
    clipping: lastClipAt !== null && now.getTime() - Date.parse(lastClipAt) < CLIP_HOLD_MS,
  };
}

export function initialState(destinations: Destination[], recordDir: string | null, now: Date, audioSource: AudioState['source'] = 'microphone'): StreamState {
  return {
    phase: 'idle',
    reason: null,
    since: now.toISOString(),
    destinations: destinations.map(destinationEntry),
    encoder: { fps: null, droppedFrames: 0 },
    video: { slate: false, slateSince: null, lastError: null, losses: 0 },
    recording: { enabled: recordDir !== null, dir: recordDir, currentSegment: null, segmentsClosed: 0, freeBytes: null, segmentsRemoved: 0, stopped: null },
    restarts: 0,
    ipfs: destinations.some((d) => d.platform === 'ipfs') ? initialIpfsState() : null,
    audio: initialAudio(audioSource),
  };
}

/** A destination's state before its first attempt. */
export function destinationEntry(d: Destination): DestinationState {
  return { id: d.id, platform: d.platform, url: d.display, state: 'idle', bytesSent: 0, bitrateKbps: 0, failures: 0, lastError: null, retryInMs: null };
}

export function withPhase(state: StreamState, phase: Phase, reason: string | null, now: Date): StreamState {
  if (state.phase === phase && state.reason === reason) return state;
  const idle = phase === 'idle' || phase === 'error';
  return {
    ...state,
    phase,
    reason,
    since: now.toISOString(),
    destinations: idle && phase === 'idle' ? state.destinations.map((d) => ({ ...d, state: 'idle', bitrateKbps: 0, retryInMs: null })) : state.destinations,
    encoder: idle ? { ...state.encoder, fps: null } : state.encoder,
    recording: idle ? { ...state.recording, currentSegment: null } : state.recording,
  };
}

/** Bytes an RTMP handshake and connect exchange take before any media flows. */
export const HANDSHAKE_BYTES = 4096;

/** Folds one sample of the core's statistics into the encoder figures. */
export function applyCoreStats(state: StreamState, previous: { at: number; stats: HostStats } | null, sample: { at: number; stats: HostStats }): StreamState {
  const v = sample.stats.video;
  const pv = previous?.stats.video;
  const seconds = previous ? Math.max((sample.at - previous.at) / 1000, 0.001) : null;
  // A rebuilt camera pipeline counts from zero again: that interval has no rate.
  const passed = (c: { in: number; dropped: number }) => c.in - c.dropped;
  const fps = v && pv && seconds !== null && passed(v) >= passed(pv) ? Math.round(((passed(v) - passed(pv)) / seconds) * 10) / 10 : state.encoder.fps;
  return { ...state, encoder: { fps, droppedFrames: v?.dropped ?? state.encoder.droppedFrames } };
}

/** A relay's progress between two samples of its rtmp2sink byte count. */
export function relayProgress(previous: { at: number; bytes: number } | null, sample: { at: number; bytes: number }): { media: boolean; advanced: boolean; bitrateKbps: number } {
  // A relay process starts from zero, so its first sample is already progress.
  const delta = Math.max(sample.bytes - (previous?.bytes ?? 0), 0);
  const seconds = previous ? Math.max((sample.at - previous.at) / 1000, 0.001) : null;
  return { media: sample.bytes > HANDSHAKE_BYTES, advanced: delta > 0, bitrateKbps: seconds === null ? 0 : Math.round((delta * 8) / 1000 / seconds) };
}

export function withDestination(state: StreamState, id: string, patch: Partial<DestinationState>): StreamState {
  return { ...state, destinations: state.destinations.map((d) => (d.id === id ? { ...d, ...patch } : d)) };
}

/** The box is live once media reaches at least one destination or the recorder. */
export function mediaFlowing(state: StreamState): boolean {
  return state.destinations.some((d) => d.state === 'live') || state.recording.currentSegment !== null;
}
