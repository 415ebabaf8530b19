import type { AudioState, DestinationState, IpfsState, Phase, StreamState, VideoState } from '../device/state.js';
import { loadConfig, type ConfigIssue, type Env, OTHER_PREFIXES } from './config/load.js';
import { SCHEMA, type DeviceConfig } from './config/schema.js';
import { parseDestination, type Platform } from './destination.js';
import { maskSecret } from './secret.js';

/**
 * The fleet protocol (STYLE.md #3): every MQTT topic of a box, who publishes
 * it with which QoS and retain flag, the payload it carries, the decoders both
 * sides run on what they receive, and the broker ACL. Pure: no client, no I/O.
 * docs/protocol.md gives the rules and the reasons.
 */

export const TOPIC_ROOT = 'roomcast';
/** Larger payloads are refused unread: a box or a broker must not be made to parse megabytes. */
export const MAX_PAYLOAD_BYTES = 64 * 1024;
export const MAX_DEVICE_ID_LENGTH = 64;

// ---------------------------------------------------------------- device ids

/** A device id that is safe as one topic level, a broker username and a file name. */
export type DeviceId = string & { readonly __brand: 'DeviceId' };

// A whitelist rather than a list of bad characters: +, #, / and control
// characters break topics and Mosquitto's %u patterns, and one spelling per
// box (lowercase, like balena UUIDs) keeps ids unambiguous in logs and URLs.
const DEVICE_ID = new RegExp(`^[a-z0-9][a-z0-9_-]{0,${MAX_DEVICE_ID_LENGTH - 1}}$`);

export function isDeviceId(raw: string): raw is DeviceId {
  return DEVICE_ID.test(raw);
}

export function parseDeviceId(raw: unknown): DeviceId | null {
  return typeof raw === 'string' && isDeviceId(raw) ? raw : null;
}

// ---------------------------------------------------------------- payloads

/** online: published by the box; offline: a clean shutdown; lost: the broker's last will. */
export type Status = 'online' | 'offline' | 'lost';

/** The fleet's wish, device-shadow style: only a newer version than the applied one is applied. */
export interface DesiredConfig {
  version: number;
  /** ROOMCAST_* values as strings, laid over the box's balena variables; '' means the default. */
  config: Record<string, string>;
}

/** A desired config the box refused; the last good one keeps running. */
export interface Refusal {
  version: number;
  errors: string[];
}

export interface ReportedState {
  /** The last desired version applied; 0 while the box runs on its balena variables alone. */
  appliedVersion: number;
  /** Only while the newest desired version was refused: always newer than appliedVersion. */
  refused?: Refusal;
  /** The ROOMCAST_* values the box runs with, secrets masked (maskSecrets). */
  config: Record<string, string>;
  state: StreamState;
  /** balena updates (docs/updates.md); left out by a box without a supervisor to ask. */
  update?: UpdateState;
}

/**
 * `pending`: the balena supervisor has an update to apply; `locked`: the box
 * holds the update lock because it is live. Both true: an update is waiting
 * for the talk to end.
 */
export interface UpdateState {
  pending: boolean;
  locked: boolean;
}

export interface ArgSpec {
  type: 'integer';
  min: number;
  max: number;
  doc: string;
}

export interface CommandSpec {
  doc: string;
  args: Readonly<Record<string, ArgSpec>>;
}

export const COMMANDS = {
  start: { doc: 'Go live: stream to every destination (and record, when configured).', args: {} },
  stop: { doc: 'Stop streaming and recording.', args: {} },
  snapshot: { doc: 'A still of the current picture, small enough to fit one payload (result: jpegBase64, width, height).', args: {} },
  restart: { doc: 'Restart the stream pipelines (the stream drops for a few seconds).', args: {} },
  identify: {
    doc: 'Make the box show itself (LED blinking) so it can be found in a room.',
    args: { seconds: { type: 'integer', min: 1, max: 600, doc: 'How long; the box chooses when absent.' } },
  },
} as const satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;
export const COMMAND_NAMES = Object.keys(COMMANDS) as CommandName[];

export interface CommandRequest {
  /** The transaction id: the response carries it back. */
  id: string;
  name: CommandName;
  args?: Record<string, number>;
}

export type ResultValue = string | number | boolean | null;

export type CommandResponse = { id: string; ok: true; result?: Record<string, ResultValue> } | { id: string; ok: false; error: string };

/**
 * One health sample. Every measure is optional: a laptop has no Wi-Fi signal
 * or throttling flags, and a probe that failed leaves its field out.
 */
export interface Health {
  /** When the sample was taken (the box's clock). */
  at?: string;
  phase?: Phase;
  uptimeSeconds?: number;
  cpuLoadPercent?: number;
  tempC?: number;
  memUsedBytes?: number;
  memTotalBytes?: number;
  dataFreeBytes?: number;
  recordFreeBytes?: number;
  netInterface?: string;
  wifiSignalDbm?: number;
  /** Raspberry Pi firmware flags (get_throttled): now, and occurred since the agent started (not since boot; docs/health.md). */
  underVoltageNow?: boolean;
  underVoltageOccurred?: boolean;
  freqCappedNow?: boolean;
  freqCappedOccurred?: boolean;
  throttledNow?: boolean;
  throttledOccurred?: boolean;
  softTempLimitNow?: boolean;
  softTempLimitOccurred?: boolean;
  /** What gathering this sample cost the box. */
  probeMs?: number;
  /** What the box was sending to all its destinations together, kbit/s (the dashboard's bitrate history). */
  sendKbps?: number;
}

/**
 * An IPFS node as the other side dials it: the box's (the fleet dials it
 * there) or the fleet's (the boxes dial it there, when it listens). No
 * discovery of any kind runs, so these addresses are the only way in
 * (docs/ipfs.md).
 */
export interface IpfsNodeInfo {
  peerId: string;
  /** TCP multiaddrs without the /p2p/ part; none for a node that does not listen. */
  multiaddrs: string[];
}

/** One HLS segment of a talk, added to IPFS (and pinned) on the box before it is announced. */
export interface IpfsSegment {
  /** The talk: one go-live to its stop. */
  stream: string;
  /** 0, 1, 2, ... within the talk, with no gaps. */
  sequence: number;
  cid: string;
  durationSeconds: number;
  bytes: number;
  /** Timestamps restart here (the segmenter was restarted mid-talk). */
  discontinuity: boolean;
  /** When the segment was closed (the box's clock). */
  at: string;
}

/** A talk ended: its whole recording as a VOD playlist (a directory holding index.m3u8 and the segments). */
export interface IpfsEnded {
  stream: string;
  segments: number;
  /** Null when the talk had no segment or the VOD could not be added. */
  vodCid: string | null;
  at: string;
}

/** One type maps every topic to its payload, so a publisher cannot send the wrong shape. */
export interface Payloads {
  status: Status;
  reported: ReportedState;
  health: Health;
  desired: DesiredConfig;
  commandRequest: CommandRequest;
  commandResponse: CommandResponse;
  ipfsNode: IpfsNodeInfo;
  ipfsFleetNode: IpfsNodeInfo;
  ipfsSegment: IpfsSegment;
  ipfsEnded: IpfsEnded;
}

export type TopicKind = keyof Payloads;

// ---------------------------------------------------------------- topics

export interface TopicSpec {
  /** The topic after roomcast/<deviceId>/. */
  suffix: string;
  publisher: 'box' | 'fleet';
  retain: boolean;
  qos: 0 | 1;
  /** The QoS the other side subscribes with. */
  subscribeQos: 0 | 1;
}

export const TOPICS: { readonly [K in TopicKind]: TopicSpec } = {
  status: { suffix: 'status', publisher: 'box', retain: true, qos: 1, subscribeQos: 1 },
  reported: { suffix: 'reported', publisher: 'box', retain: true, qos: 1, subscribeQos: 1 },
  // Superseded 10 s later: not worth a PUBACK per box, nor a retained stale value.
  health: { suffix: 'health', publisher: 'box', retain: false, qos: 0, subscribeQos: 0 },
  desired: { suffix: 'desired', publisher: 'fleet', retain: true, qos: 1, subscribeQos: 1 },
  // The box subscribes at QoS 0 so that the broker queues no command for an
  // absent box: a "start" must not run an hour after the fleet gave up on it.
  commandRequest: { suffix: 'command/request', publisher: 'fleet', retain: false, qos: 1, subscribeQos: 0 },
  commandResponse: { suffix: 'command/response', publisher: 'box', retain: false, qos: 1, subscribeQos: 1 },
  // Retained: a fleet service that starts later can still reach the box's node and find its last talk.
  ipfsNode: { suffix: 'ipfs/node', publisher: 'box', retain: true, qos: 1, subscribeQos: 1 },
  // The fleet's node, for a box to dial (a box behind NAT cannot be dialled). Sent to each box that announces its node.
  ipfsFleetNode: { suffix: 'ipfs/fleet', publisher: 'fleet', retain: true, qos: 1, subscribeQos: 1 },
  // Not retained: a segment is news for the live playlist only (the VOD lists them all).
  ipfsSegment: { suffix: 'ipfs/segment', publisher: 'box', retain: false, qos: 1, subscribeQos: 1 },
  ipfsEnded: { suffix: 'ipfs/ended', publisher: 'box', retain: true, qos: 1, subscribeQos: 1 },
};

const KINDS = Object.keys(TOPICS) as TopicKind[];
const KIND_BY_SUFFIX = new Map(KINDS.map((kind) => [TOPICS[kind].suffix, kind]));

export function topicOf(deviceId: DeviceId, kind: TopicKind): string {
  return `${TOPIC_ROOT}/${deviceId}/${TOPICS[kind].suffix}`;
}

export interface ParsedTopic {
  deviceId: DeviceId;
  kind: TopicKind;
}

/** The box and kind of a topic, or null for anything that is not exactly one of ours. */
export function parseTopic(topic: string): ParsedTopic | null {
  const prefix = `${TOPIC_ROOT}/`;
  if (!topic.startsWith(prefix)) return null;
  const rest = topic.slice(prefix.length);
  const slash = rest.indexOf('/');
  if (slash < 0) return null;
  const deviceId = parseDeviceId(rest.slice(0, slash));
  const kind = KIND_BY_SUFFIX.get(rest.slice(slash + 1));
  return deviceId !== null && kind !== undefined ? { deviceId, kind } : null;
}

export interface Subscription {
  filter: string;
  qos: 0 | 1;
}

/** What a box subscribes to: its own desired config and commands, nothing else. */
export function boxSubscriptions(deviceId: DeviceId): Subscription[] {
  return KINDS.filter((k) => TOPICS[k].publisher === 'fleet').map((k) => ({ filter: topicOf(deviceId, k), qos: TOPICS[k].subscribeQos }));
}

/** What the fleet subscribes to: everything every box publishes. */
export function fleetSubscriptions(): Subscription[] {
  return KINDS.filter((k) => TOPICS[k].publisher === 'box').map((k) => ({ filter: `${TOPIC_ROOT}/+/${TOPICS[k].suffix}`, qos: TOPICS[k].subscribeQos }));
}

export interface Outgoing {
  topic: string;
  payload: string;
  qos: 0 | 1;
  retain: boolean;
}

export function encodePayload<K extends TopicKind>(_kind: K, value: Payloads[K]): string {
  // The status is a bare word (Homie's $state, readable with mosquitto_sub); the rest is JSON.
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A message ready for the client: topic, payload, QoS and retain flag as the protocol says. */
export function outgoing<K extends TopicKind>(deviceId: DeviceId, kind: K, value: Payloads[K]): Outgoing {
  return { topic: topicOf(deviceId, kind), payload: encodePayload(kind, value), qos: TOPICS[kind].qos, retain: TOPICS[kind].retain };
}

/** Whether a message is small enough for the other side to read it (MAX_PAYLOAD_BYTES). */
export function payloadFits(msg: Outgoing): boolean {
  return Buffer.byteLength(msg.payload, 'utf8') <= MAX_PAYLOAD_BYTES;
}

/**
 * The largest JPEG a snapshot answer to this transaction can carry: its
 * base64 (4 characters for every 3 bytes) inside the JSON response must keep
 * the whole message within MAX_PAYLOAD_BYTES.
 */
export function snapshotJpegBudget(transactionId: string): number {
  const empty = encodePayload('commandResponse', { id: transactionId, ok: true, result: { jpegBase64: '', width: 99999, height: 99999 } });
  return Math.floor((MAX_PAYLOAD_BYTES - Buffer.byteLength(empty, 'utf8')) / 4) * 3;
}

/** What the box tells the fleet about IPFS, as one value: the kind of topic and its payload. */
export type IpfsKind = 'ipfsNode' | 'ipfsSegment' | 'ipfsEnded';
export type IpfsAnnouncement = { [K in IpfsKind]: { kind: K; value: Payloads[K] } }[IpfsKind];

export function ipfsOutgoing(deviceId: DeviceId, a: IpfsAnnouncement): Outgoing {
  return { topic: topicOf(deviceId, a.kind), payload: JSON.stringify(a.value), qos: TOPICS[a.kind].qos, retain: TOPICS[a.kind].retain };
}

/** The box's last will, set when it connects: the broker publishes it when the box vanishes. */
export function lastWill(deviceId: DeviceId): Outgoing {
  return outgoing(deviceId, 'status', 'lost');
}

// ---------------------------------------------------------------- ACL

/** Mosquitto acl_file style: in BOX_ACL, %u stands for the username, which is the device id. */
export interface AclRule {
  access: 'read' | 'write' | 'readwrite';
  topic: string;
}

/** A box may publish what it owns and read what the fleet sends it, under its own id only. */
export const BOX_ACL: readonly AclRule[] = KINDS.map((k) => ({
  access: TOPICS[k].publisher === 'box' ? 'write' : 'read',
  topic: `${TOPIC_ROOT}/%u/${TOPICS[k].suffix}`,
}));

/**
 * The fleet service's broker account. It can never be a device id (those
 * start with [a-z0-9]), so enrolment cannot create a box with the fleet's
 * rights; and it holds no colon, which would split a Mosquitto password line.
 */
export const FLEET_USERNAME = '_fleet';

/** The fleet service's account: all of roomcast/ (including clearing retained messages). */
export const FLEET_ACL: readonly AclRule[] = [{ access: 'readwrite', topic: `${TOPIC_ROOT}/#` }];

/**
 * Whether the rules let `username` publish to a topic or subscribe to a
 * filter. A subscription is allowed only when every topic it can match is
 * allowed: `roomcast/<me>/+` is refused to a box, `#` to everyone here.
 */
export function aclAllows(rules: readonly AclRule[], username: string, action: 'publish' | 'subscribe', topic: string): boolean {
  const target = action === 'subscribe' ? withoutShare(topic) : topic;
  if (!validTopic(target, action === 'subscribe')) return false;
  const wanted = action === 'publish' ? 'write' : 'read';
  return rules.some((rule) => {
    if (rule.access !== wanted && rule.access !== 'readwrite') return false;
    // An unsafe username in a %u pattern would become a wildcard ("+") or another level ("a/b").
    if (rule.topic.includes('%u') && !isDeviceId(username)) return false;
    return covers(rule.topic.split('%u').join(username), target);
  });
}

export function boxMayPublish(username: string, topic: string): boolean {
  return aclAllows(BOX_ACL, username, 'publish', topic);
}

export function boxMaySubscribe(username: string, filter: string): boolean {
  return aclAllows(BOX_ACL, username, 'subscribe', filter);
}

/** A box's client id is its username, so one box cannot take over another's session or last will. */
export function boxMayConnect(username: string, clientId: string): boolean {
  return isDeviceId(username) && clientId === username;
}

function withoutShare(filter: string): string {
  // MQTT 5 shared subscriptions ($share/<group>/<filter>) are checked by their filter.
  const m = /^\$share\/[^/+#]+\/(.+)$/.exec(filter);
  return m?.[1] ?? filter;
}

function validTopic(topic: string, isFilter: boolean): boolean {
  if (topic.length === 0 || topic.length > 65535 || topic.includes('\u0000')) return false;
  const levels = topic.split('/');
  return levels.every((level, i) => {
    if (level === '#') return isFilter && i === levels.length - 1;
    if (level === '+') return isFilter;
    return !level.includes('#') && !level.includes('+');
  });
}

/** Whether every topic `target` (a topic or a filter) can match also matches `pattern`. */
function covers(pattern: string, target: string): boolean {
  const p = pattern.split('/');
  const t = target.split('/');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '#') return true;
    if (i >= t.length) return false;
    if (p[i] === '+') {
      if (t[i] === '#') return false;
      continue;
    }
    if (p[i] !== t[i]) return false;
  }
  return p.length === t.length;
}

// ---------------------------------------------------------------- desired config

/** Only a newer desired version applies: a retained message seen again after a reconnect does nothing. */
export function shouldApply(desiredVersion: number, appliedVersion: number): boolean {
  return desiredVersion > appliedVersion;
}

/** Variables that only the box's own balena variables may set: changing them remotely could cut the box off. */
// The update lock path too: moved remotely during a talk, the lock would be dropped.
const BOX_ONLY = new Set([SCHEMA.dataDir.env, SCHEMA.fleetUrl.env, SCHEMA.enrollToken.env, SCHEMA.updateLockPath.env]);

/**
 * Validates a desired config with the box's own schema, laid over `base`
 * (the box's balena variables; the fleet passes none). Every error at once,
 * none echoing a stream key.
 */
export function checkDesiredConfig(
  config: Readonly<Record<string, string>>,
  base: Env = {},
): { ok: true; config: DeviceConfig; warnings: ConfigIssue[] } | { ok: false; errors: string[] } {
  const boxOnly = (name: string): boolean => BOX_ONLY.has(name) || OTHER_PREFIXES.some((p) => name.startsWith(p));
  const errors = Object.keys(config)
    .filter(boxOnly)
    .map((name) => `${name}: set only on the box (a balena variable), not from the fleet`);
  const loaded = loadConfig({ ...base, ...Object.fromEntries(Object.entries(config).filter(([name]) => !boxOnly(name))) });
  if (!loaded.ok) errors.push(...loaded.error.issues.map((i) => `${i.variable}: ${i.message}`));
  if (!loaded.ok || errors.length > 0) return { ok: false, errors };
  return { ok: true, config: loaded.config, warnings: loaded.warnings };
}

const SECRET_NAME = /_(KEY|TOKEN|PASSWORD|SECRET)S?$/;

/** The config with stream keys and other secrets cut to their last 4 characters, for reports and the API. */
export function maskSecrets(config: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config).map(([name, value]) => {
      if (name === SCHEMA.destinations.env) return [name, value.split(/\s+/).filter((w) => w.length > 0).map(maskDestinationWord).join(' ')];
      // A secret variable this release does not know (from a newer fleet) is masked whole.
      return [name, SECRET_NAME.test(name) ? maskSecret(value) : value];
    }),
  );
}

/**
 * The other way: a config sent back with masked values where nothing
 * changed (the dashboard never has the full keys) gets the stored values
 * again. A masked word that matches nothing stored is an error: the key
 * must be typed in full.
 */
export function restoreMasked(incoming: Readonly<Record<string, string>>, stored: Readonly<Record<string, string>>): { ok: true; config: Record<string, string> } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const config: Record<string, string> = {};
  for (const [name, value] of Object.entries(incoming)) {
    const before = stored[name] ?? '';
    if (name === SCHEMA.destinations.env) {
      const words = value.split(/\s+/).filter((w) => w.length > 0);
      const storedWords = before.split(/\s+/).filter((w) => w.length > 0);
      config[name] = words
        .map((word) => {
          if (!word.includes('****')) return word;
          const match = storedWords.find((w) => maskDestinationWord(w) === word);
          if (match === undefined) errors.push(`${name}: ${word} matches no destination this box has; type its stream key in full`);
          return match ?? word;
        })
        .join(' ');
    } else if (SECRET_NAME.test(name) && value.includes('****')) {
      if (before !== '' && maskSecret(before) === value) config[name] = before;
      else errors.push(`${name}: the masked value matches nothing stored; type it in full`);
    } else config[name] = value;
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, config };
}

function maskDestinationWord(word: string): string {
  const parsed = parseDestination(word);
  if ('error' in parsed) return maskSecret(word);
  if (parsed.platform === 'ipfs') return word;
  if (parsed.platform === 'custom' || word.includes('://')) return parsed.display;
  // Keep the form the user wrote: youtube:****abcd, not the expanded ingest URL.
  const colon = word.indexOf(':');
  return `${word.slice(0, colon)}:${maskSecret(word.slice(colon + 1))}`;
}

// ---------------------------------------------------------------- decoding

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Decodes what arrived on a topic of this kind. Never throws on bad input:
 * oversized, non-UTF-8, non-JSON or wrong-shaped payloads give an error that
 * names the field and never echoes a received string (it may hold a key).
 * Unknown fields are dropped, so a newer box and an older fleet still talk.
 */
export function decodePayload<K extends TopicKind>(kind: K, payload: string | Uint8Array): Decoded<Payloads[K]> {
  const text = payloadText(payload);
  if (!text.ok) return text;
  try {
    return { ok: true, value: READERS[kind](text.value) };
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, error: err.message };
    throw err;
  }
}

export function decodeIpfs(kind: IpfsKind, payload: string | Uint8Array): Decoded<IpfsAnnouncement> {
  const d = decodePayload(kind, payload);
  // The value was decoded by this kind's reader, so it is this kind's payload.
  return d.ok ? { ok: true, value: { kind, value: d.value } as IpfsAnnouncement } : d;
}

/** The transaction id of a command request that failed to decode, so the box can still answer it. */
export function transactionIdOf(payload: string | Uint8Array): string | null {
  const text = payloadText(payload);
  if (!text.ok) return null;
  try {
    return transactionId(own(object(parseJson(text.value), 'request'), 'id'), 'request.id');
  } catch (err) {
    if (err instanceof Invalid) return null;
    throw err;
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function payloadText(payload: string | Uint8Array): Decoded<string> {
  const bytes = typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.byteLength;
  if (bytes > MAX_PAYLOAD_BYTES) return { ok: false, error: `payload is ${bytes} bytes, more than ${MAX_PAYLOAD_BYTES}` };
  if (bytes === 0) return { ok: false, error: 'payload is empty (a cleared retained message)' };
  if (typeof payload === 'string') return { ok: true, value: payload };
  try {
    return { ok: true, value: UTF8.decode(payload) };
  } catch {
    return { ok: false, error: 'payload is not UTF-8 text' };
  }
}

class Invalid extends Error {}

type Check<T> = (value: unknown, at: string) => T;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `a${typeof value === 'object' ? 'n' : ''} ${typeof value}`;
}

function mismatch(at: string, wanted: string, value: unknown): never {
  throw new Invalid(value === undefined ? `${at} is missing` : `${at} must be ${wanted}, not ${describe(value)}`);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // SyntaxError messages quote the input, which may hold a key.
    throw new Invalid('payload is not valid JSON');
  }
}

function object(value: unknown, at: string): Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return mismatch(at, 'an object', value);
  return value as Record<string, unknown>;
}

/** Own properties only: a payload's "toString" must not read Object.prototype's. */
function own(o: Readonly<Record<string, unknown>>, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

/** An object check from one check per field, kept exhaustive by the type. */
function shape<T extends object>(checks: { [K in keyof T]-?: Check<T[K]> }): Check<T> {
  return (value, at) => {
    const o = object(value, at);
    const entries = Object.entries(checks as Record<string, Check<unknown>>).map(([key, check]) => [key, check(own(o, key), `${at}.${key}`)]);
    return Object.fromEntries(entries) as T;
  };
}

const text =
  (max: number): Check<string> =>
  (v, at) => {
    if (typeof v !== 'string') return mismatch(at, 'a string', v);
    if (v.length > max) throw new Invalid(`${at} is ${v.length} characters long, more than ${max}`);
    return v;
  };

const word =
  (pattern: RegExp, wanted: string): Check<string> =>
  (v, at) =>
    typeof v === 'string' && pattern.test(v) ? v : mismatch(at, wanted, v);

const whole =
  (min: number, max = Number.MAX_SAFE_INTEGER): Check<number> =>
  (v, at) =>
    typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : mismatch(at, `a whole number from ${min} to ${max}`, v);

const real =
  (min: number, max: number): Check<number> =>
  (v, at) =>
    typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max ? v : mismatch(at, `a number from ${min} to ${max}`, v);

const flag: Check<boolean> = (v, at) => (typeof v === 'boolean' ? v : mismatch(at, 'true or false', v));

const nullable =
  <T>(check: Check<T>): Check<T | null> =>
  (v, at) =>
    v === null ? null : check(v, at);

const oneOf =
  <T extends string>(values: readonly T[]): Check<T> =>
  (v, at) =>
    typeof v === 'string' && (values as readonly string[]).includes(v) ? (v as T) : mismatch(at, `one of ${values.join(', ')}`, v);

const listOf =
  <T>(check: Check<T>, max: number): Check<T[]> =>
  (v, at) => {
    if (!Array.isArray(v)) return mismatch(at, 'a list', v);
    const items: unknown[] = v;
    if (items.length > max) throw new Invalid(`${at} has ${items.length} items, more than ${max}`);
    return items.map((item, i) => check(item, `${at}[${i}]`));
  };

/** Every value of a string union, checked complete by the compiler. */
function valuesOf<T extends string>(all: Record<T, true>): T[] {
  return Object.keys(all) as T[];
}

const MAX_TEXT = 2000;
const MAX_VARIABLES = 64;
const MAX_VALUE = 4096;
const PHASES = valuesOf<Phase>({ idle: true, starting: true, live: true, stopping: true, error: true });
const PLATFORMS = valuesOf<Platform>({ youtube: true, twitch: true, facebook: true, custom: true, ipfs: true });
const DESTINATION_STATES = valuesOf<DestinationState['state']>({ idle: true, connecting: true, live: true, retrying: true });
const AUDIO_SOURCES = valuesOf<AudioState['source']>({ microphone: true, test: true, none: true });
const STATUSES = valuesOf<Status>({ online: true, offline: true, lost: true });

const cid = word(/^(Qm[1-9A-HJ-NP-Za-km-z]{44}|b[a-z2-7]{50,100})$/, 'a CID (CIDv1 in base32, or CIDv0)');
const streamId = word(/^[A-Za-z0-9_-]{1,64}$/, 'a stream id (1 to 64 letters, digits, - or _)');
const peerId = word(/^[1-9A-HJ-NP-Za-km-z]{40,100}$/, 'a libp2p peer id (base58)');
const multiaddr = word(/^\/(ip4|ip6|dns4|dns6|dns)\/[A-Za-z0-9.:-]{1,253}\/tcp\/\d{1,5}$/, 'a TCP multiaddr like /ip4/192.0.2.7/tcp/4001');

const isoTime = word(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/, 'a time like 2026-05-01T12:00:00.000Z');
const message = nullable(text(MAX_TEXT));
const version = whole(1);
const transactionId = word(/^[A-Za-z0-9_-]{1,64}$/, 'a transaction id (1 to 64 letters, digits, - or _)');

const variables: Check<Record<string, string>> = (v, at) => {
  const entries = Object.entries(object(v, at));
  if (entries.length > MAX_VARIABLES) throw new Invalid(`${at} has ${entries.length} variables, more than ${MAX_VARIABLES}`);
  return Object.fromEntries(
    entries.map(([name, value]) => {
      if (!/^ROOMCAST_[A-Z0-9_]{1,64}$/.test(name)) throw new Invalid(`${at} has a key that is not a ROOMCAST_* variable name`);
      return [name, text(MAX_VALUE)(value, `${at}.${name}`)];
    }),
  );
};

const ipfsState = shape<IpfsState>({
  peerId: nullable(peerId),
  stream: nullable(streamId),
  segments: whole(0),
  lastCid: nullable(cid),
  vodCid: nullable(cid),
  vodStream: nullable(streamId),
  pinnedBytes: whole(0),
  unpinned: whole(0),
  lastError: message,
});

const streamState = shape<StreamState>({
  phase: oneOf(PHASES),
  reason: message,
  since: isoTime,
  destinations: listOf(
    shape<DestinationState>({
      id: text(64),
      platform: oneOf(PLATFORMS),
      url: text(MAX_TEXT),
      state: oneOf(DESTINATION_STATES),
      bytesSent: whole(0),
      bitrateKbps: real(0, 1_000_000),
      failures: whole(0),
      lastError: message,
      retryInMs: nullable(real(0, 86_400_000)),
    }),
    32,
  ),
  encoder: shape<StreamState['encoder']>({ fps: nullable(real(0, 1000)), droppedFrames: whole(0) }),
  video: shape<VideoState>({ slate: flag, slateSince: nullable(isoTime), lastError: message, losses: whole(0) }),
  recording: shape<StreamState['recording']>({
    enabled: flag,
    dir: nullable(text(MAX_VALUE)),
    currentSegment: nullable(text(MAX_VALUE)),
    segmentsClosed: whole(0),
    freeBytes: nullable(whole(0)),
    segmentsRemoved: whole(0),
    stopped: message,
  }),
  restarts: whole(0),
  // A box of an older release sends no ipfs field: the same as none.
  ipfs: (v, at) => (v === undefined ? null : nullable(ipfsState)(v, at)),
  audio: shape<AudioState>({
    source: oneOf(AUDIO_SOURCES),
    peakDb: listOf(real(-1000, 100), 16),
    rmsDb: listOf(real(-1000, 100), 16),
    quietSince: nullable(isoTime),
    silent: flag,
    clipping: flag,
    lastClipAt: nullable(isoTime),
    failed: flag,
    failReason: message,
  }),
});

const refusal = shape<Refusal>({
  version,
  errors: (v, at) => {
    const errors = listOf(text(MAX_TEXT), 100)(v, at);
    if (errors.length === 0) throw new Invalid(`${at} is empty: a refusal says why`);
    return errors;
  },
});

const updateState = shape<UpdateState>({ pending: flag, locked: flag });

const reported: Check<ReportedState> = (v, at) => {
  const o = object(v, at);
  const appliedVersion = whole(0)(own(o, 'appliedVersion'), `${at}.appliedVersion`);
  const rawRefused = own(o, 'refused');
  const refused = rawRefused === undefined || rawRefused === null ? undefined : refusal(rawRefused, `${at}.refused`);
  if (refused !== undefined && refused.version <= appliedVersion) throw new Invalid(`${at}.refused.version must be newer than appliedVersion`);
  const config = variables(own(o, 'config'), `${at}.config`);
  const state = streamState(own(o, 'state'), `${at}.state`);
  const rawUpdate = own(o, 'update');
  const update = rawUpdate === undefined || rawUpdate === null ? undefined : updateState(rawUpdate, `${at}.update`);
  return { appliedVersion, ...(refused === undefined ? {} : { refused }), config, state, ...(update === undefined ? {} : { update }) };
};

const commandRequest: Check<CommandRequest> = (v, at) => {
  const o = object(v, at);
  const id = transactionId(own(o, 'id'), `${at}.id`);
  const name = oneOf(COMMAND_NAMES)(own(o, 'name'), `${at}.name`);
  const rawArgs = own(o, 'args');
  if (rawArgs === undefined || rawArgs === null) return { id, name };
  const specs: CommandSpec['args'] = COMMANDS[name].args;
  const args = Object.entries(object(rawArgs, `${at}.args`)).map(([key, value]) => {
    const spec = Object.hasOwn(specs, key) ? specs[key] : undefined;
    if (spec === undefined) throw new Invalid(`${at}.args: ${name} takes ${Object.keys(specs).join(', ') || 'no arguments'}`);
    return [key, whole(spec.min, spec.max)(value, `${at}.args.${key}`)] as const;
  });
  return { id, name, args: Object.fromEntries(args) };
};

const resultValue: Check<ResultValue> = (v, at) =>
  v === null || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'string' ? v : mismatch(at, 'a string, number, true, false or null', v);

const commandResponse: Check<CommandResponse> = (v, at) => {
  const o = object(v, at);
  const id = transactionId(own(o, 'id'), `${at}.id`);
  const rawResult = own(o, 'result');
  const rawError = own(o, 'error');
  if (!flag(own(o, 'ok'), `${at}.ok`)) {
    if (rawResult !== undefined) throw new Invalid(`${at} has ok false and a result`);
    const error = text(MAX_TEXT)(rawError, `${at}.error`);
    if (error.trim() === '') throw new Invalid(`${at}.error is empty`);
    return { id, ok: false, error };
  }
  if (rawError !== undefined) throw new Invalid(`${at} has ok true and an error`);
  if (rawResult === undefined || rawResult === null) return { id, ok: true };
  const entries = Object.entries(object(rawResult, `${at}.result`));
  if (entries.length > 32) throw new Invalid(`${at}.result has ${entries.length} fields, more than 32`);
  return { id, ok: true, result: Object.fromEntries(entries.map(([key, value]) => [key, resultValue(value, `${at}.result.${key}`)])) };
};

const bytes = whole(0);
const HEALTH: { [K in keyof Health]-?: Check<NonNullable<Health[K]>> } = {
  at: isoTime,
  phase: oneOf(PHASES),
  uptimeSeconds: real(0, 1e10),
  cpuLoadPercent: real(0, 100),
  tempC: real(-60, 200),
  memUsedBytes: bytes,
  memTotalBytes: bytes,
  dataFreeBytes: bytes,
  recordFreeBytes: bytes,
  netInterface: word(/^[A-Za-z0-9_.:-]{1,15}$/, 'a network interface name'),
  wifiSignalDbm: real(-150, 0),
  underVoltageNow: flag,
  underVoltageOccurred: flag,
  freqCappedNow: flag,
  freqCappedOccurred: flag,
  throttledNow: flag,
  throttledOccurred: flag,
  softTempLimitNow: flag,
  softTempLimitOccurred: flag,
  probeMs: real(0, 3_600_000),
  sendKbps: real(0, 1e7),
};

const health: Check<Health> = (v, at) => {
  const o = object(v, at);
  // Absent and null both mean "not measured"; the decoded sample leaves the field out.
  const entries = Object.entries(HEALTH as Record<string, Check<unknown>>)
    .filter(([key]) => own(o, key) !== undefined && own(o, key) !== null)
    .map(([key, check]) => [key, check(own(o, key), `${at}.${key}`)]);
  return Object.fromEntries(entries) as Health;
};

function json<T>(check: Check<T>, at: string): (text: string) => T {
  return (t) => check(parseJson(t), at);
}

const ipfsNodeInfo = shape<IpfsNodeInfo>({ peerId, multiaddrs: listOf(multiaddr, 16) });

const READERS: { readonly [K in TopicKind]: (text: string) => Payloads[K] } = {
  status: (t) => oneOf(STATUSES)(t, 'status'),
  reported: json(reported, 'reported'),
  health: json(health, 'health'),
  desired: json(shape<DesiredConfig>({ version, config: variables }), 'desired'),
  commandRequest: json(commandRequest, 'request'),
  commandResponse: json(commandResponse, 'response'),
  ipfsNode: json(ipfsNodeInfo, 'node'),
  ipfsFleetNode: json(ipfsNodeInfo, 'fleet node'),
  ipfsSegment: json(
    shape<IpfsSegment>({ stream: streamId, sequence: whole(0), cid, durationSeconds: real(0.001, 60), bytes: whole(1), discontinuity: flag, at: isoTime }),
    'segment',
  ),
  ipfsEnded: json(shape<IpfsEnded>({ stream: streamId, segments: whole(0), vodCid: nullable(cid), at: isoTime }), 'ended'),
};
