import type { StreamState } from '../state.js';

/**
 * Whether a person looking at the dashboard would see the difference: the
 * phase, a destination's state or error, the slate, the recording, an audio
 * flag. Byte counts, bitrates and meter readings change every second; they
 * are refreshed at the health pace instead, so 5,000 boxes do not send
 * 5,000 reports a second.
 */
export function significantChange(a: StreamState, b: StreamState): boolean {
  return JSON.stringify(projection(a)) !== JSON.stringify(projection(b));
}

function projection(s: StreamState): unknown {
  return [
    s.phase,
    s.reason,
    s.destinations.map((d) => [d.id, d.url, d.state, d.failures, d.lastError]),
    s.video.slate,
    s.recording.enabled,
    s.recording.stopped,
    s.audio.silent,
    s.audio.clipping,
    s.audio.failed,
    s.restarts,
  ];
}
