import { SCHEMA, type RestartScope } from '../common/config/schema.js';
import { maskSecrets } from '../common/protocol.js';

/** What saving one changed variable does to a running box, in words. */
export interface ConfigEffect {
  variable: string;
  /** restart: picture and sound restart, every destination reconnects; reconnect: only the named destinations; none: nothing restarts. */
  impact: 'restart' | 'reconnect' | 'none';
  message: string;
}

export interface ConfigPreview {
  changes: ConfigEffect[];
  /** True when viewers of some destination would see an interruption. */
  interrupts: boolean;
}

const SCOPES: ReadonlyMap<string, RestartScope> = new Map(Object.values(SCHEMA).map((f) => [f.env, f.restarts]));
const DESTINATIONS = SCHEMA.destinations.env;

/**
 * What a config change would restart (the same rules as device/reconfigure.ts,
 * README "What a pushed change restarts"), before it is saved. Both configs
 * are as the dashboard holds them: stream keys masked, and a masked word sent
 * back unchanged is the same destination. Pure.
 */
export function previewConfig(current: Readonly<Record<string, string>>, proposed: Readonly<Record<string, string>>): ConfigPreview {
  const names = [...new Set([...Object.keys(current), ...Object.keys(proposed)])].sort();
  const changed = names.filter((n) => (current[n] ?? '') !== (proposed[n] ?? ''));
  const changes = changed.map((variable): ConfigEffect => {
    if (variable === DESTINATIONS) return destinationsEffect(current[variable] ?? '', proposed[variable] ?? '');
    const scope = SCOPES.get(variable);
    switch (scope) {
      case 'pipeline':
      case 'recorder':
        return { variable, impact: 'restart', message: 'Picture and sound restart (a second or two); every destination reconnects.' };
      case 'slate':
        return { variable, impact: 'none', message: 'Redrawn on the slate in place; nothing restarts.' };
      case 'destinations':
      case 'agent':
        return { variable, impact: 'none', message: 'Applied at once; nothing restarts.' };
      case undefined:
        return { variable, impact: 'none', message: 'Not a setting this fleet knows; the box decides.' };
    }
  });
  return { changes, interrupts: changes.some((c) => c.impact !== 'none') };
}

function destinationsEffect(before: string, after: string): ConfigEffect {
  const words = (s: string): string[] => s.split(/\s+/).filter((w) => w !== '');
  const old = words(before);
  const now = words(after);
  const added = now.filter((w) => !old.includes(w));
  const removed = old.filter((w) => !now.includes(w));
  // A new key was typed in full: it is named by its last 4 characters, like everywhere else.
  const shown = (w: string): string => (w.includes('****') ? w : (maskSecrets({ [DESTINATIONS]: w })[DESTINATIONS] ?? ''));
  const parts = [...removed.map((w) => `stops streaming to ${shown(w)}`), ...added.map((w) => `starts streaming to ${shown(w)}`)];
  return { variable: DESTINATIONS, impact: 'reconnect', message: `${parts.join('; ') || 'the destinations are reordered'}. The other destinations and the recording go on.` };
}
