import { h } from './dom.js';
import { clock } from './format.js';
import type { TimelineEvent } from './types.js';

const BAD = new Set(['lost', 'error', 'destination-retrying', 'slate-on', 'mic-silent', 'mic-failed', 'recording-stopped', 'config-refused']);
const GOOD = new Set(['live', 'destination-live', 'online', 'slate-off', 'mic-back', 'config-applied']);

/** The box's recent history, newest first. */
export function timelineList(events: readonly TimelineEvent[]): HTMLElement {
  if (events.length === 0) return h('p', { class: 'muted' }, 'Nothing has happened yet.');
  return h(
    'ol',
    { class: 'timeline', 'data-testid': 'timeline' },
    ...events.map((e) => h('li', { class: BAD.has(e.kind) ? 'ev-bad' : GOOD.has(e.kind) ? 'ev-good' : '' }, h('time', { datetime: e.at }, clock(e.at)), h('span', {}, e.message))),
  );
}
