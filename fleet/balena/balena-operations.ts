import { randomUUID } from 'node:crypto';
import type { Logger } from '../../common/log.js';
import { parseDeviceId } from '../../common/protocol.js';
import type { FleetConfig } from '../config.js';
import { ApiError, badRequest, conflict, notFound } from '../http/errors.js';
import { objectBody } from '../operations.js';
import type { FleetStore } from '../store/types.js';
import type { RolloutExecutor } from './rollout-executor.js';
import { isActive, label, newRollout, type RestTarget, type Rollout, type RolloutTimeouts } from './rollout-plan.js';
import { BalenaError, type BalenaFleet, type DeviceRelease, type PinTarget, type ReleaseInfo, type ReleaseRef } from './types.js';

export interface BalenaOperationsDeps {
  config: FleetConfig;
  store: FleetStore;
  /** Null when the service has no balena token and fleet. */
  balena: { fleet: BalenaFleet; rollouts: RolloutExecutor } | null;
  logger: Logger;
}

export interface BalenaStatus {
  configured: boolean;
  fleet: string | number | null;
  apiUrl: string;
  /** Without balena: what to set, in plain words. */
  message: string;
}

const TAG_PART = /^[A-Za-z0-9_.:-]{1,100}$/;
const DESTINATION_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** What the fleet's HTTP API does with balena: releases, pins, rollbacks and staged rollouts. */
export class BalenaOperations {
  constructor(private readonly deps: BalenaOperationsDeps) {}

  status(): BalenaStatus {
    const { config } = this.deps;
    return { configured: this.deps.balena !== null, fleet: config.balenaFleet, apiUrl: config.balenaApiUrl, message: this.deps.balena ? `balena fleet ${config.balenaFleet ?? ''} at ${config.balenaApiUrl}` : howToConfigure(config) };
  }

  async releases(): Promise<{ releases: ReleaseInfo[]; fleetRelease: ReleaseRef | null }> {
    const { fleet } = this.need();
    const [releases, fleetRelease] = await Promise.all([balena(fleet.releases()), balena(fleet.fleetRelease())]);
    return { releases, fleetRelease };
  }

  async devices(): Promise<{ devices: DeviceRelease[] }> {
    return { devices: await balena(this.need().fleet.devices()) };
  }

  async deviceRelease(rawId: string): Promise<DeviceRelease> {
    const id = parseDeviceId(rawId);
    const found = (await balena(this.need().fleet.devices())).find((d) => d.deviceId === id);
    if (!found) throw notFound(`balena has no device ${id ?? '(invalid id)'} in fleet ${this.deps.config.balenaFleet ?? ''}`);
    return found;
  }

  /** Pins a release to a box, a tag group or the whole fleet; a draft only to a box or a tag group. */
  async pin(body: unknown): Promise<{ release: ReleaseRef; target: PinTarget; pinned: string[] }> {
    const { fleet } = this.need();
    const req = objectBody(body);
    const target = pinTarget(req['target']);
    const release = await this.release(fleet, req['release'], target.kind === 'fleet');
    const pinned = await balena(fleet.pin(target, release));
    this.deps.logger.info('release pinned', { release: release.commit, target });
    return { release: ref(release), target, pinned };
  }

  /** Pins the release before the one the target should run now (by creation time, final and successful). */
  async rollback(body: unknown): Promise<{ from: ReleaseRef; release: ReleaseRef; target: PinTarget; pinned: string[] }> {
    const { fleet } = this.need();
    const target = pinTarget(objectBody(body)['target']);
    const releases = await balena(fleet.releases());
    const current = await this.currentOf(fleet, target);
    if (!current) throw conflict(`${targetLabel(target)} follows the latest release: there is no pinned release to roll back from`);
    const currentInfo = releases.find((r) => r.id === current.id);
    const previous = releases.filter(deployable).find((r) => currentInfo !== undefined && r.createdAt < currentInfo.createdAt);
    if (!previous) throw conflict(`there is no final release older than ${label(current)} to roll back to`);
    const pinned = await balena(fleet.pin(target, previous));
    this.deps.logger.warn('release rolled back', { from: current.commit, to: previous.commit, target });
    return { from: current, release: ref(previous), target, pinned };
  }

  async startRollout(body: unknown): Promise<Rollout> {
    const { fleet, rollouts } = this.need();
    const req = objectBody(body);
    const current = await this.deps.store.latestRollout();
    if (current && isActive(current.phase)) throw conflict(`rollout ${current.id} is still running (${current.phase}): abort it first`);
    const release = await this.release(fleet, req['release'], true);
    const canary = parseDeviceId(req['canary']);
    if (!canary) throw badRequest('canary must be the id of an enrolled box (its balena uuid)');
    const testDestination = req['testDestination'];
    if (typeof testDestination !== 'string' || !DESTINATION_ID.test(testDestination)) throw badRequest('testDestination must be the id of one of the canary\'s destinations, like youtube or custom-2');
    const box = await this.deps.store.getDevice(canary);
    if (!box || box.passwordHash === null) throw notFound(`no enrolled box ${canary}`);
    const destinations = box.reported?.state.destinations.map((d) => d.id) ?? [];
    if (!destinations.includes(testDestination)) throw conflict(`the canary ${canary} has no destination ${testDestination} (it reports: ${destinations.join(', ') || 'none yet'})`);
    if (!(await balena(fleet.devices())).some((d) => d.deviceId === canary)) throw conflict(`balena has no device ${canary} in fleet ${this.deps.config.balenaFleet ?? ''}: the canary must be one of its devices`);
    const previous = await balena(fleet.fleetRelease());
    if (!previous) throw conflict('the fleet follows the latest release, so balena gives every new final release to every box at once: pin the fleet to the release it runs (POST /api/releases/pin with target {"kind":"fleet"}) before a staged rollout');
    if (previous.id === release.id) throw conflict(`the fleet already runs ${label(release)}`);
    const rollout = newRollout({ id: randomUUID(), release: ref(release), previous, canary, testDestination, rest: restTarget(req['rest']), timeouts: timeouts(req['timeouts']) }, new Date().toISOString());
    return rollouts.begin(rollout);
  }

  async currentRollout(): Promise<{ rollout: Rollout | null }> {
    this.need();
    return { rollout: await this.deps.store.latestRollout() };
  }

  async abortRollout(body: unknown): Promise<Rollout> {
    const { rollouts } = this.need();
    const raw = body === undefined ? undefined : objectBody(body)['reason'];
    if (raw !== undefined && (typeof raw !== 'string' || raw.length > 200)) throw badRequest('reason must be text of at most 200 characters');
    const aborted = await rollouts.abort(`aborted: ${raw ?? 'by the operator'}`);
    if (!aborted) throw conflict('no rollout is running');
    return aborted;
  }

  private need(): NonNullable<BalenaOperationsDeps['balena']> {
    if (!this.deps.balena) throw new ApiError(503, howToConfigure(this.deps.config));
    return this.deps.balena;
  }

  /** A release by id or commit (7 characters or more), from this fleet's releases. */
  private async release(fleet: BalenaFleet, raw: unknown, mustBeFinal: boolean): Promise<ReleaseInfo> {
    const byId = typeof raw === 'number' && Number.isSafeInteger(raw);
    if (!byId && (typeof raw !== 'string' || !/^[0-9a-f]{7,64}$/.test(raw))) throw badRequest('release must be a release id (a number) or its commit (at least 7 hex characters)');
    const found = (await balena(fleet.releases())).filter((r) => (byId ? r.id === raw : r.commit.startsWith(raw as string)));
    if (found.length > 1) throw badRequest(`commit ${String(raw)} matches ${found.length} releases: give more of it`);
    const release = found[0];
    if (!release) throw notFound(`fleet ${this.deps.config.balenaFleet ?? ''} has no release ${String(raw)}`);
    if (release.status !== 'success' || release.invalidated) throw conflict(`${label(release)} cannot be deployed: its build is ${release.invalidated ? 'invalidated' : release.status}`);
    if (mustBeFinal && !release.isFinal) throw conflict(`${label(release)} is a draft: finalise it first, or pin it to a box or a tag group to try it`);
    return release;
  }

  private async currentOf(fleet: BalenaFleet, target: PinTarget): Promise<ReleaseRef | null> {
    if (target.kind === 'fleet') return balena(fleet.fleetRelease());
    const devices = await balena(fleet.devices());
    const chosen = target.kind === 'device' ? devices.find((d) => d.deviceId === target.deviceId) : devices.find((d) => d.tags[target.key] === target.value);
    if (!chosen) throw notFound(`no device matches ${targetLabel(target)}`);
    return chosen.target;
  }
}

export function howToConfigure(config: FleetConfig): string {
  const missing = [config.balenaApiToken === null ? 'ROOMCAST_BALENA_API_TOKEN (a balena API key: balenaCloud dashboard, Preferences, Access tokens)' : null, config.balenaFleet === null ? 'ROOMCAST_BALENA_FLEET (the fleet\'s slug, like myorg/roomcast, or its id)' : null].filter((m) => m !== null);
  return `balena is not configured: set ${missing.join(' and ')} in the fleet service's environment and restart it (docs/updates.md). Everything else works without it.`;
}

/** balena failures as API answers: a device or release balena does not know is 404, the rest 502 (balena, not us). */
async function balena<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    if (err instanceof BalenaError) throw new ApiError(err.kind === 'not-found' ? 404 : 502, err.message);
    throw err;
  }
}

function deployable(r: ReleaseInfo): boolean {
  return r.status === 'success' && r.isFinal && !r.invalidated;
}

function ref(r: ReleaseRef): ReleaseRef {
  return { id: r.id, commit: r.commit, version: r.version };
}

function targetLabel(t: PinTarget): string {
  return t.kind === 'fleet' ? 'the fleet' : t.kind === 'device' ? `box ${t.deviceId}` : `tag ${t.key}=${t.value}`;
}

function tag(o: Readonly<Record<string, unknown>>, at: string): { key: string; value: string } {
  const key = o['key'];
  const value = o['value'];
  if (typeof key !== 'string' || !TAG_PART.test(key) || typeof value !== 'string' || !TAG_PART.test(value)) throw badRequest(`${at} needs key and value: 1 to 100 letters, digits or _.:-`);
  return { key, value };
}

function pinTarget(raw: unknown): PinTarget {
  const o = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  if (o['kind'] === 'fleet') return { kind: 'fleet' };
  if (o['kind'] === 'tag') return { kind: 'tag', ...tag(o, 'target') };
  if (o['kind'] === 'device') {
    const deviceId = parseDeviceId(o['deviceId']);
    if (!deviceId) throw badRequest('target.deviceId must be a box id (its balena uuid)');
    return { kind: 'device', deviceId };
  }
  throw badRequest('target must be {"kind":"fleet"}, {"kind":"device","deviceId":...} or {"kind":"tag","key":...,"value":...}');
}

function restTarget(raw: unknown): RestTarget {
  if (raw === undefined) return { kind: 'fleet' };
  const target = pinTarget(raw);
  if (target.kind === 'device') throw badRequest('rest must be {"kind":"fleet"} or a tag group: the canary is the one box');
  return target;
}

const TIMEOUT_FIELDS: Record<string, keyof RolloutTimeouts> = { pinSeconds: 'pinMs', canaryUpdateSeconds: 'canaryUpdateMs', canaryTestSeconds: 'canaryTestMs' };

function timeouts(raw: unknown): Partial<RolloutTimeouts> {
  if (raw === undefined) return {};
  const out: Partial<RolloutTimeouts> = {};
  for (const [name, value] of Object.entries(objectBody(raw))) {
    const field = TIMEOUT_FIELDS[name];
    if (!field) throw badRequest(`timeouts.${name} is not one of ${Object.keys(TIMEOUT_FIELDS).join(', ')}`);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 7 * 86_400) throw badRequest(`timeouts.${name} must be a whole number of seconds from 1 to 604800`);
    out[field] = value * 1000;
  }
  return out;
}
