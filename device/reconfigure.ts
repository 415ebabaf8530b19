import { SCHEMA, type ConfigKey, type DeviceConfig } from '../common/config/schema.js';
import type { Destination } from '../common/destination.js';

/**
 * What a config change restarts (STYLE.md #9): a new stream key restarts that
 * destination's relay only; the encoder, the recording and the other
 * destinations go on. A new room name or slate message is drawn into the
 * running core. A change to the pipeline or the recorder restarts the core,
 * which every relay then rejoins. Pure: the agent carries it out.
 */
export interface ReconfigurePlan {
  /** The variables whose value changed. */
  changed: string[];
  /** The core pipeline (capture, encoder, recorder) must be rebuilt. */
  restartCore: boolean;
  /** Destinations to stop (by id) and to start; the others run on untouched. */
  stopDestinations: string[];
  startDestinations: Destination[];
  /** Only the slate changed (room name, message, picture): redrawn in the running core. */
  redrawSlate: boolean;
  /** The recording janitor's folder or threshold changed. */
  janitor: boolean;
  /** The IPFS node's settings changed: it is reopened (after the ipfs destination's talk is ended). */
  reopenIpfs: boolean;
}

const IPFS_KEYS: readonly ConfigKey[] = ['ipfsListen', 'ipfsAnnounce', 'ipfsKeep', 'ipfsKuboApi'];

export function planReconfigure(before: DeviceConfig, after: DeviceConfig): ReconfigurePlan {
  const keys = (Object.keys(SCHEMA) as ConfigKey[]).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
  const scopes = new Set(keys.map((k) => SCHEMA[k].restarts));
  const restartCore = scopes.has('pipeline') || scopes.has('recorder');
  // A relay judges stalls against the stream's bitrate: a new bitrate needs new relays.
  const bitrate = keys.includes('videoBitrateKbps') || keys.includes('audioBitrateKbps');
  // The ipfs destination cuts segments one GOP long and runs on its node's settings.
  const ipfs = keys.some((k) => IPFS_KEYS.includes(k) || k === 'keyframeSeconds');
  const restarted = (d: Destination): boolean => bitrate || (ipfs && d.platform === 'ipfs');
  const same = (a: Destination, b: Destination): boolean => a.id === b.id && a.url === b.url;
  const stopDestinations = before.destinations.filter((d) => restarted(d) || !after.destinations.some((n) => same(d, n))).map((d) => d.id);
  const startDestinations = after.destinations.filter((n) => restarted(n) || !before.destinations.some((d) => same(d, n)));
  return {
    changed: keys.map((k) => SCHEMA[k].env),
    restartCore,
    stopDestinations,
    startDestinations,
    redrawSlate: scopes.has('slate') && !restartCore,
    janitor: keys.includes('recordDir') || keys.includes('recordMinFree'),
    reopenIpfs: keys.some((k) => IPFS_KEYS.includes(k)),
  };
}
