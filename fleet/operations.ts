import type { Logger } from '../common/log.js';
import { checkDesiredConfig, decodePayload, maskSecrets, parseDeviceId, restoreMasked, type CommandResponse, type DeviceId } from '../common/protocol.js';
import type { BrokerControl } from './broker/broker-control.js';
import type { FleetConfig } from './config.js';
import { hashMosquittoPassword, newBoxPassword, verifyMosquittoPassword } from './credentials.js';
import { previewConfig, type ConfigPreview } from './config-effects.js';
import { deviceView, type DeviceView } from './device-view.js';
import { badRequest, conflict, forbidden, notFound } from './http/errors.js';
import type { FleetLink } from './mqtt-link.js';
import { stillFromResult, type LatestSnapshots, type StoredSnapshot } from './snapshots.js';
import type { FleetStore, HealthSample } from './store/types.js';
import type { TimelineEvent } from './timeline.js';
import type { Token } from './tokens.js';

export interface OperationsDeps {
  store: FleetStore;
  link: FleetLink;
  /** The embedded broker, or an external Mosquitto's files; null when an operator manages the broker's accounts. */
  broker: BrokerControl | null;
  /** The CA boxes must trust for mqtts, handed out at enrolment. */
  boxCa: string | null;
  config: FleetConfig;
  logger: Logger;
  enrollment: Token;
  boxMqttUrl: () => string;
  /** A change made here (not reported by the box): open dashboards are told. */
  onChanged?: (id: DeviceId) => void;
  /** Each box's latest still, from its last snapshot answer. */
  snapshots: LatestSnapshots;
}

export interface Enrolment {
  deviceId: string;
  mqttUrl: string;
  username: string;
  password: string;
  /** The CA the box must trust for mqtts (null when the broker URL is not TLS or a public CA signs it). */
  ca: string | null;
}

const MAX_HEALTH_SAMPLES = 10_000;
const MAX_TIMELINE_EVENTS = 1000;

/**
 * What the fleet service does, whoever asks (the HTTP API, the dashboard):
 * each operation checks its input and throws a typed ApiError.
 */
export class FleetOperations {
  private readonly log: Logger;

  constructor(private readonly deps: OperationsDeps) {
    this.log = deps.logger;
  }

  /**
   * A box enrols with the enrolment token and its id. An id that already has
   * credentials is taken only with its current password (a box renewing
   * them); a revoked id never again: the token alone must not let anyone
   * take over a box.
   */
  async enrol(body: unknown): Promise<Enrolment> {
    const req = objectBody(body);
    const token = req['token'];
    if (typeof token !== 'string' || !(await this.deps.enrollment.matches(token))) throw forbidden('the enrolment token is not valid');
    const deviceId = parseDeviceId(req['deviceId']);
    if (!deviceId) throw badRequest('deviceId must be 1 to 64 lowercase letters, digits, - or _, starting with a letter or digit');
    const name = optionalName(req['name']);
    const existing = await this.deps.store.getDevice(deviceId);
    if (existing && existing.passwordHash === null) throw forbidden(`box ${deviceId} was revoked; it cannot enrol again under this id`);
    if (existing?.passwordHash) {
      const current = req['currentPassword'];
      if (typeof current !== 'string' || !verifyMosquittoPassword(current, existing.passwordHash)) throw conflict(`box ${deviceId} is already enrolled; renewing its credentials needs its current password`);
    }
    const password = newBoxPassword();
    await this.deps.store.enrolDevice(deviceId, hashMosquittoPassword(password), name, new Date().toISOString());
    this.log.info('box enrolled', { deviceId, renewed: existing !== null });
    // Its credentials changed: an old session must not live on.
    await this.deps.broker?.credentialsChanged(deviceId);
    return { deviceId, mqttUrl: this.deps.boxMqttUrl(), username: deviceId, password, ca: this.deps.boxCa };
  }

  async list(): Promise<DeviceView[]> {
    return (await this.deps.store.listDevices()).map(deviceView);
  }

  async get(rawId: string): Promise<DeviceView> {
    return deviceView(await this.device(rawId));
  }

  /** Validates with the box's own schema; only a valid config gets a version and reaches the box. */
  async putConfig(rawId: string, body: unknown): Promise<{ version: number; device: DeviceView; warnings: string[] }> {
    const { id, desiredConfig } = await this.device(rawId);
    const req = objectBody(body);
    let config = req['config'];
    // Keys sent back masked (unchanged in the dashboard) are the stored ones.
    if (typeof config === 'object' && config !== null && Object.values(config).every((v) => typeof v === 'string')) {
      const restored = restoreMasked(config as Record<string, string>, desiredConfig);
      if (!restored.ok) throw badRequest('the config is not valid; nothing was changed', restored.errors);
      config = restored.config;
    }
    // The same decoder the box runs on the desired payload: shape, names, sizes.
    const shaped = decodePayload('desired', JSON.stringify({ version: 1, config }));
    if (!shaped.ok) throw badRequest(shaped.error.replace(/^desired\./, ''));
    const checked = checkDesiredConfig(shaped.value.config);
    if (!checked.ok) throw badRequest('the config is not valid; nothing was changed', checked.errors);
    const version = await this.deps.store.putDesiredConfig(id, shaped.value.config);
    if (version === null) throw notFound(`no box ${id}`);
    this.log.info('desired config set', { deviceId: id, version });
    this.publishDesired(id, version, shaped.value.config);
    this.deps.onChanged?.(id);
    return { version, device: await this.get(id), warnings: checked.warnings.map((w) => `${w.variable}: ${w.message}`) };
  }

  /** What saving this config would restart (the dashboard shows it before saving); the config is checked only when saved. */
  async previewConfig(rawId: string, body: unknown): Promise<ConfigPreview> {
    const { desiredConfig, reported } = await this.device(rawId);
    const config = objectBody(body)['config'];
    if (typeof config !== 'object' || config === null || Array.isArray(config) || !Object.values(config).every((v) => typeof v === 'string')) throw badRequest('config must be an object of strings');
    // What the box runs now (its own variables included) against what it would run.
    const running = reported?.config ?? {};
    return previewConfig({ ...running, ...maskSecrets(desiredConfig) }, { ...running, ...(config as Record<string, string>) });
  }

  /** In the background: the stored config is what counts, and a broker that is down gets it on reconnect. */
  private publishDesired(id: DeviceId, version: number, config: Record<string, string>): void {
    const latest = async (): Promise<{ version: number; config: Record<string, string> } | null> => {
      const d = await this.deps.store.getDevice(id);
      return d ? { version: d.desiredVersion, config: d.desiredConfig } : null;
    };
    this.deps.link.publishDesired(id, version, config, latest).catch((err: unknown) => this.log.warn('publishing the desired config failed', { deviceId: id, error: err instanceof Error ? err.message : String(err) }));
  }

  /** Every box's newest desired config, retained again (after the embedded broker restarted). */
  async republishDesired(): Promise<void> {
    for (const d of await this.deps.store.listDevices()) {
      if (d.desiredVersion > 0 && d.passwordHash !== null) this.publishDesired(d.id, d.desiredVersion, d.desiredConfig);
    }
  }

  async command(rawId: string, name: string, body: unknown): Promise<{ status: 200 | 504; body: { response: CommandResponse } | { error: string } }> {
    const device = await this.device(rawId);
    const args = body === undefined ? undefined : objectBody(body)['args'];
    const checked = decodePayload('commandRequest', JSON.stringify({ id: 'check', name, ...(args === undefined ? {} : { args }) }));
    if (!checked.ok) throw badRequest(checked.error.replace(/^request\./, ''));
    if (device.status !== 'online') throw conflict(`box ${device.id} is ${device.status === null ? 'not connected yet' : device.status}: commands reach only a box that is online`);
    const timeoutMs = this.deps.config.commandTimeoutMs;
    const outcome = await this.deps.link.command(device.id, checked.value.name, checked.value.args, timeoutMs);
    if (outcome.kind === 'timeout') return { status: 504, body: { error: `box ${device.id} did not answer within ${timeoutMs} ms` } };
    if (checked.value.name === 'snapshot' && outcome.response.ok) this.keepSnapshot(device.id, outcome.response.result);
    return { status: 200, body: { response: outcome.response } };
  }

  private keepSnapshot(id: DeviceId, result: Extract<CommandResponse, { ok: true }>['result']): void {
    const still = stillFromResult(result, new Date());
    if (still) this.deps.snapshots.put(id, still);
    else this.log.warn('a snapshot answer held no JPEG; not kept', { deviceId: id });
  }

  /** The box's latest still (taken by the snapshot command). */
  async snapshot(rawId: string): Promise<StoredSnapshot> {
    const { id } = await this.device(rawId);
    const still = this.deps.snapshots.get(id);
    if (!still) throw notFound(`no snapshot of box ${id} yet: POST /api/devices/${id}/commands/snapshot takes one`);
    return still;
  }

  async health(rawId: string, query: URLSearchParams): Promise<{ samples: HealthSample[] }> {
    const { id } = await this.device(rawId);
    const to = isoParam(query, 'to') ?? new Date().toISOString();
    const from = isoParam(query, 'from') ?? new Date(Date.parse(to) - 3600_000).toISOString();
    const rawLimit = query.get('limit');
    const limit = rawLimit === null ? 1000 : Number(rawLimit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_HEALTH_SAMPLES) throw badRequest(`limit must be a whole number from 1 to ${MAX_HEALTH_SAMPLES}`);
    if (from >= to) throw badRequest('from must be before to');
    return { samples: await this.deps.store.healthHistory(id, from, to, limit) };
  }

  /** The box's timeline, newest first (`limit`, default 100; `before` pages back). */
  async timeline(rawId: string, query: URLSearchParams): Promise<{ events: TimelineEvent[] }> {
    const { id } = await this.device(rawId);
    const rawLimit = query.get('limit');
    const limit = rawLimit === null ? 100 : Number(rawLimit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_TIMELINE_EVENTS) throw badRequest(`limit must be a whole number from 1 to ${MAX_TIMELINE_EVENTS}`);
    const before = isoParam(query, 'before');
    return { events: await this.deps.store.timeline(id, limit, before ?? undefined) };
  }

  /** The box's credentials stop working now: its connection is dropped and its retained messages removed. */
  async revoke(rawId: string): Promise<DeviceView> {
    const { id } = await this.device(rawId);
    await this.deps.store.revokeDevice(id);
    await this.deps.broker?.credentialsChanged(id);
    // Mosquitto drops a client that fails the check at reload without publishing
    // its last will (it treats it as disconnecting): nothing else would say it is gone.
    await this.deps.store.recordStatus(id, 'offline', new Date().toISOString());
    await this.deps.link.clearRetained(id);
    this.deps.snapshots.forget(id);
    this.log.warn('box revoked', { deviceId: id });
    this.deps.onChanged?.(id);
    return this.get(id);
  }

  async rename(rawId: string, body: unknown): Promise<DeviceView> {
    const { id } = await this.device(rawId);
    const name = optionalName(objectBody(body)['name']);
    if (name === null) throw badRequest('name is required');
    await this.deps.store.renameDevice(id, name);
    this.deps.onChanged?.(id);
    return this.get(id);
  }

  async rotateEnrollmentToken(): Promise<{ token: string }> {
    if (this.deps.enrollment.fixed) throw conflict('the enrolment token is set by ROOMCAST_ENROLL_TOKEN: change that variable instead');
    const token = await this.deps.enrollment.rotate();
    this.log.warn('enrolment token rotated: the old one no longer enrols boxes');
    return { token };
  }

  async pruneHistory(): Promise<void> {
    const before = new Date(Date.now() - this.deps.config.healthRetentionDays * 86_400_000).toISOString();
    try {
      const removed = await this.deps.store.pruneHealth(before);
      const events = await this.deps.store.pruneTimeline(before);
      if (removed > 0 || events > 0) this.log.info('old health samples and timeline events removed', { removed, events, before });
    } catch (err) {
      this.log.warn('pruning health and timelines failed', { error: err instanceof Error ? err.message : String(err) });
    }
  }

  private async device(rawId: string): Promise<NonNullable<Awaited<ReturnType<FleetStore['getDevice']>>>> {
    const id = parseDeviceId(rawId);
    const device = id ? await this.deps.store.getDevice(id) : null;
    if (!device) throw notFound(`no box ${id ?? '(invalid id)'}`);
    return device;
  }
}

export function objectBody(body: unknown): Readonly<Record<string, unknown>> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('the body must be a JSON object');
  return body as Record<string, unknown>;
}

function optionalName(raw: unknown): string | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'string' || raw.trim() === '' || raw.length > 80 || [...raw].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) throw badRequest('name must be 1 to 80 printable characters');
  return raw.trim();
}

function isoParam(query: URLSearchParams, name: string): string | null {
  const raw = query.get(name);
  if (raw === null) return null;
  const t = Date.parse(raw);
  if (Number.isNaN(t)) throw badRequest(`${name} must be a time like 2026-11-22T10:00:00Z`);
  return new Date(t).toISOString();
}
