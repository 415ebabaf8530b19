import { maskSecrets, type Health, type Refusal, type Status, type UpdateState } from '../common/protocol.js';
import type { DestinationState, IpfsState, Phase, StreamState } from '../device/state.js';
import { attentionFor, type Attention } from './attention.js';
import type { DeviceRecord } from './store/types.js';

/** The rest of the box's last report: picture (slate), sound meters, recording, encoder. */
export type StreamDetails = Pick<StreamState, 'since' | 'encoder' | 'video' | 'recording' | 'restarts' | 'audio'>;

/** A box as the API and the dashboard show it: nothing secret beyond a key's last 4 characters. */
export interface DeviceView {
  id: string;
  name: string;
  online: boolean;
  status: Status | null;
  /** The stream state the box last reported (null before its first report). */
  state: Phase | null;
  stateReason: string | null;
  lastSeen: string | null;
  enrolledAt: string;
  revoked: boolean;
  /** The newest desired config version, and the one the box runs. */
  desiredVersion: number;
  appliedVersion: number | null;
  /** The newest desired version the box refused, and why (it runs the last good one). */
  refused: Refusal | null;
  /** The desired config, stream keys masked. */
  config: Record<string, string>;
  /** The ROOMCAST_* values the box last said it runs with (its own variables under the applied config), secrets masked. */
  running: Record<string, string>;
  destinations: DestinationState[];
  /** Null before the box's first report. */
  stream: StreamDetails | null;
  /** The ipfs destination: the box's IPFS node, the talk it publishes, the last talk's VOD CID (null without it). */
  ipfs: IpfsState | null;
  health: Health | null;
  healthAt: string | null;
  /** What the box said of balena updates (null: it has no supervisor to ask, or an older release). */
  update: UpdateState | null;
  /** A balena update is downloaded and waits for the box to stop streaming (its update lock). */
  updateWaiting: boolean;
  /** What needs a human now, most urgent first (fleet/attention.ts). */
  attention: Attention[];
}

export function deviceView(d: DeviceRecord): DeviceView {
  const reported = d.reported;
  const s = reported?.state;
  const view: Omit<DeviceView, 'attention'> = {
    id: d.id,
    name: d.name,
    online: d.status === 'online',
    status: d.status,
    state: reported?.state.phase ?? null,
    stateReason: reported?.state.reason ?? null,
    lastSeen: d.lastSeen,
    enrolledAt: d.enrolledAt,
    revoked: d.passwordHash === null,
    desiredVersion: d.desiredVersion,
    appliedVersion: reported?.appliedVersion ?? null,
    refused: reported?.refused ?? null,
    config: maskSecrets(d.desiredConfig),
    running: reported?.config ?? {},
    destinations: reported?.state.destinations ?? [],
    stream: s ? { since: s.since, encoder: s.encoder, video: s.video, recording: s.recording, restarts: s.restarts, audio: s.audio } : null,
    ipfs: reported?.state.ipfs ?? null,
    health: d.health,
    healthAt: d.healthAt,
    update: reported?.update ?? null,
    updateWaiting: reported?.update !== undefined && reported.update.pending && reported.update.locked,
  };
  return { ...view, attention: attentionFor(view) };
}
