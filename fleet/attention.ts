import type { DeviceView } from './device-view.js';

/** Something about a box that needs a human, in words an event crew understands. */
export interface Attention {
  kind: AttentionKind;
  /** critical: the audience is (or is about to be) affected now; warning: look at it soon. */
  severity: 'critical' | 'warning';
  message: string;
}

export type AttentionKind =
  | 'box-unreachable'
  | 'stream-error'
  | 'destination-failing'
  | 'camera-lost'
  | 'mic-failed'
  | 'mic-silent'
  | 'recording-stopped'
  | 'disk-low'
  | 'under-voltage'
  | 'throttled'
  | 'too-hot'
  | 'config-refused';

/** Below this free space under the recording folder the disk is called low. */
export const LOW_DISK_BYTES = 2 * 1024 ** 3;
/** The box's data folder (its config and credentials) needs little, but not nothing. */
export const LOW_DATA_BYTES = 256 * 1024 ** 2;
/** The Pi's firmware starts slowing down at 80 °C (and 60 °C would be unusual in a room). */
export const HOT_C = 75;
export const TOO_HOT_C = 80;

const PLATFORM_NAMES: Readonly<Record<string, string>> = { youtube: 'YouTube', twitch: 'Twitch', facebook: 'Facebook', custom: 'The custom destination' };

/**
 * What needs a human about one box, most urgent first. Pure: computed from
 * the device view (so the API and the dashboard show the same thing).
 * A box that is not online is judged only by whether it should be live:
 * its last report and health are stale.
 */
export function attentionFor(view: Omit<DeviceView, 'attention'>): Attention[] {
  const out: Attention[] = [];
  const streaming = view.state === 'live' || view.state === 'starting';
  if (view.revoked) return out;
  if (!view.online) {
    if (streaming && view.status !== null) {
      out.push({ kind: 'box-unreachable', severity: 'critical', message: `The box is ${view.status === 'lost' ? 'unreachable (connection lost)' : 'switched off'} while it was live: check its power and network. It keeps streaming and recording on its own if only the fleet link is down.` });
    }
    return out;
  }
  if (view.state === 'error') out.push({ kind: 'stream-error', severity: 'critical', message: `The stream stopped with an error${view.stateReason ? `: ${view.stateReason}` : ''}. Press Go live to try again.` });
  if (streaming) {
    for (const d of view.destinations) {
      if (d.state !== 'retrying') continue;
      const name = PLATFORM_NAMES[d.platform] ?? d.platform;
      const next = d.retryInMs !== null ? ` Next try in ${Math.max(1, Math.round(d.retryInMs / 1000))} s.` : '';
      out.push({ kind: 'destination-failing', severity: 'critical', message: `${name} is not receiving the stream${d.lastError ? ` (${d.lastError})` : ''}. Retrying by itself.${next}` });
    }
  }
  const reported = view.stream;
  if (streaming && reported) {
    if (reported.video.slate) out.push({ kind: 'camera-lost', severity: 'critical', message: `The camera is lost: viewers see the slate${reported.video.lastError ? ` (${reported.video.lastError})` : ''}. Check the camera cable.` });
    if (reported.audio.failed) out.push({ kind: 'mic-failed', severity: 'critical', message: `The microphone stopped working${reported.audio.failReason ? ` (${reported.audio.failReason})` : ''}: viewers hear silence. Check it is plugged in.` });
    else if (reported.audio.silent) out.push({ kind: 'mic-silent', severity: 'critical', message: 'No sound from the microphone: check it is switched on and not muted.' });
    if (reported.recording.stopped) out.push({ kind: 'recording-stopped', severity: 'critical', message: `Recording stopped (${reported.recording.stopped}); streaming goes on. Free some space on the box.` });
  }
  const health = view.health;
  const recordFree = reported?.recording.enabled ? minDefined(reported.recording.freeBytes, health?.recordFreeBytes) : null;
  if (recordFree !== null && recordFree < LOW_DISK_BYTES && !reported?.recording.stopped) out.push({ kind: 'disk-low', severity: 'warning', message: `The recording disk is nearly full (${gib(recordFree)} free): the oldest recordings are deleted, then recording stops.` });
  else if (health?.dataFreeBytes !== undefined && health.dataFreeBytes < LOW_DATA_BYTES) out.push({ kind: 'disk-low', severity: 'warning', message: `The box's own disk is nearly full (${gib(health.dataFreeBytes)} free).` });
  if (health?.underVoltageNow) out.push({ kind: 'under-voltage', severity: 'warning', message: 'The power supply is too weak (under-voltage): the picture may stutter. Use the official Raspberry Pi power supply.' });
  if (health?.tempC !== undefined && health.tempC >= TOO_HOT_C) out.push({ kind: 'too-hot', severity: 'critical', message: `The box is too hot (${Math.round(health.tempC)} °C) and slows down: give it air, keep it out of the sun.` });
  else if (health?.tempC !== undefined && health.tempC >= HOT_C) out.push({ kind: 'too-hot', severity: 'warning', message: `The box is getting hot (${Math.round(health.tempC)} °C): give it air.` });
  else if (health?.throttledNow || health?.freqCappedNow || health?.softTempLimitNow) out.push({ kind: 'throttled', severity: 'warning', message: 'The box is slowing itself down (throttled): check its power supply and cooling.' });
  if (view.refused) out.push({ kind: 'config-refused', severity: 'warning', message: `The box refused the last settings and runs the previous ones: ${view.refused.errors.join('; ')}` });
  return out.sort((a, b) => rank(a) - rank(b));
}

function rank(a: Attention): number {
  return a.severity === 'critical' ? 0 : 1;
}

function minDefined(...values: (number | null | undefined)[]): number | null {
  const known = values.filter((v): v is number => typeof v === 'number');
  return known.length > 0 ? Math.min(...known) : null;
}

function gib(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`;
}
