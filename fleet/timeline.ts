import type { ReportedState, Status } from '../common/protocol.js';
import type { DestinationState } from '../device/state.js';

/** One line of a box's timeline: what happened, when the fleet heard of it, in words. */
export interface TimelineEvent {
  at: string;
  kind: TimelineKind;
  message: string;
}

export type TimelineKind =
  | 'online'
  | 'offline'
  | 'lost'
  | 'starting'
  | 'live'
  | 'stopped'
  | 'error'
  | 'destination-live'
  | 'destination-retrying'
  | 'slate-on'
  | 'slate-off'
  | 'mic-silent'
  | 'mic-back'
  | 'mic-failed'
  | 'recording-stopped'
  | 'config-applied'
  | 'config-refused';

export const TIMELINE_KINDS: readonly TimelineKind[] = [
  'online', 'offline', 'lost', 'starting', 'live', 'stopped', 'error', 'destination-live', 'destination-retrying',
  'slate-on', 'slate-off', 'mic-silent', 'mic-back', 'mic-failed', 'recording-stopped', 'config-applied', 'config-refused',
];

/** What the fleet stores about a box that the timeline is made from. */
export interface StoredBoxState {
  status: Status | null;
  reported: ReportedState | null;
}

/**
 * The events between two stored states of one box (before and after a
 * status or reported message was stored). Pure; an unchanged state gives none.
 */
export function timelineEvents(before: StoredBoxState, after: StoredBoxState, at: string): TimelineEvent[] {
  const out: TimelineEvent[] = [];
  const add = (kind: TimelineKind, message: string): void => void out.push({ at, kind, message });
  if (after.status !== null && after.status !== before.status) {
    if (after.status === 'online') add('online', 'The box came online.');
    else if (after.status === 'offline') add('offline', 'The box was switched off (clean stop).');
    else add('lost', 'The fleet lost the connection to the box.');
  }
  const b = before.reported;
  const a = after.reported;
  if (!a) return out;
  const was = b?.state;
  const now = a.state;
  if (now.phase !== was?.phase) {
    switch (now.phase) {
      case 'starting':
        add('starting', 'Starting the stream.');
        break;
      case 'live':
        add('live', 'Went live.');
        break;
      case 'idle':
        if (was && was.phase !== 'idle') add('stopped', 'The stream stopped.');
        break;
      case 'stopping':
        break;
      case 'error':
        add('error', `The stream stopped with an error${now.reason ? `: ${now.reason}` : ''}.`);
        break;
    }
  }
  for (const d of now.destinations) {
    const old = was?.destinations.find((x) => x.id === d.id);
    if (d.state === 'live' && old?.state !== 'live') add('destination-live', `${destinationName(d)} receives the stream.`);
    if (d.state === 'retrying' && d.failures > (old?.failures ?? 0)) {
      const next = d.retryInMs !== null ? `; next try in ${Math.max(1, Math.round(d.retryInMs / 1000))} s` : '';
      add('destination-retrying', `${destinationName(d)} failed${d.lastError ? ` (${d.lastError})` : ''}${next}.`);
    }
  }
  if (now.video.slate && !was?.video.slate) add('slate-on', `Camera lost: the slate is showing${now.video.lastError ? ` (${now.video.lastError})` : ''}.`);
  if (!now.video.slate && was?.video.slate) add('slate-off', 'The camera is back.');
  if (now.audio.failed && !was?.audio.failed) add('mic-failed', `The microphone failed${now.audio.failReason ? ` (${now.audio.failReason})` : ''}.`);
  if (now.audio.silent && !was?.audio.silent) add('mic-silent', 'The microphone went silent.');
  if (!now.audio.silent && was?.audio.silent) add('mic-back', 'Sound from the microphone again.');
  if (now.recording.stopped && !was?.recording.stopped) add('recording-stopped', `Recording stopped: ${now.recording.stopped}.`);
  if (b && a.appliedVersion > b.appliedVersion) add('config-applied', `Settings version ${a.appliedVersion} applied.`);
  if (a.refused && a.refused.version !== b?.refused?.version) add('config-refused', `Settings version ${a.refused.version} refused: ${a.refused.errors.join('; ')}`);
  return out;
}

function destinationName(d: DestinationState): string {
  return d.platform === 'custom' ? d.url : `${d.platform[0]?.toUpperCase() ?? ''}${d.platform.slice(1)}`;
}
