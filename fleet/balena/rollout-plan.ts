import type { Status } from '../../common/protocol.js';
import type { Phase } from '../../device/state.js';
import type { DeviceRelease, PinTarget, ReleaseRef } from './types.js';

/**
 * A staged rollout as a pure state machine (STYLE.md #2): the executor
 * (rollout-executor.ts) observes balena and the store, asks `planStep` what
 * to do, does it, and stores the rollout it gets back. Nothing here acts.
 *
 *   pinning-canary → canary-updating → canary-testing → pinning-rest → done
 *   any of these → failed (a reason, or a timeout) or aborted (by a person)
 */

export type RolloutPhase = 'pinning-canary' | 'canary-updating' | 'canary-testing' | 'pinning-rest' | 'done' | 'failed' | 'aborted';
export type ActivePhase = Exclude<RolloutPhase, 'done' | 'failed' | 'aborted'>;

/** Who gets the release once the canary passed: boxes with a balena device tag, or the whole fleet. */
export type RestTarget = { kind: 'fleet' } | { kind: 'tag'; key: string; value: string };

export interface RolloutTimeouts {
  /** A pin that keeps failing (balena unreachable) fails the rollout after this long. */
  pinMs: number;
  /** From the canary's pin until balena says it runs the release. */
  canaryUpdateMs: number;
  /** From then until the canary has gone live on the test destination. */
  canaryTestMs: number;
}

export const DEFAULT_TIMEOUTS: RolloutTimeouts = { pinMs: 600_000, canaryUpdateMs: 1_800_000, canaryTestMs: 3_600_000 };

export interface RolloutEvent {
  at: string;
  phase: RolloutPhase;
  note: string;
}

export interface Rollout {
  id: string;
  release: ReleaseRef;
  /** The fleet's release when the rollout started (null: it tracked the latest): what a rollback returns to. */
  previous: ReleaseRef | null;
  canary: string;
  /** The canary's destination (its id, e.g. "youtube") on which it must go live with the new release. */
  testDestination: string;
  rest: RestTarget;
  phase: RolloutPhase;
  startedAt: string;
  phaseSince: string;
  updatedAt: string;
  /** When the fleet first saw balena report the canary running the release. */
  canaryRunningAt: string | null;
  /** What the rollout waits for now, or why it failed or was aborted. */
  reason: string | null;
  /** The last failed attempt to pin (retried until pinMs runs out). */
  lastError: string | null;
  timeouts: RolloutTimeouts;
  history: RolloutEvent[];
}

/** What the canary box last told the fleet over MQTT (the store's record of it). */
export interface BoxObservation {
  status: Status | null;
  phase: Phase | null;
  reason: string | null;
  destinations: readonly { id: string; state: string }[];
  /** When the fleet received that report. */
  reportedAt: string | null;
}

export interface CanaryObservation {
  /** balena's record of the canary (null: not in the balena fleet). */
  balena: DeviceRelease | null;
  box: BoxObservation | null;
}

export type RolloutStep =
  | { kind: 'idle' }
  | { kind: 'wait'; waitingFor: string }
  | { kind: 'pin'; target: PinTarget; release: ReleaseRef }
  | { kind: 'advance'; rollout: Rollout };

interface PhaseSpec {
  next: RolloutPhase;
  deadline: keyof RolloutTimeouts;
  /** What the rollout waits for in this phase, for people. */
  waiting: (r: Rollout) => string;
}

/** The machine as data: each active phase, where it goes when its condition holds, and the timeout that fails it. */
export const PHASES: { readonly [P in ActivePhase]: PhaseSpec } = {
  'pinning-canary': { next: 'canary-updating', deadline: 'pinMs', waiting: (r) => `pinning ${label(r.release)} to the canary ${r.canary}` },
  'canary-updating': { next: 'canary-testing', deadline: 'canaryUpdateMs', waiting: (r) => `the canary ${r.canary} to run ${label(r.release)}` },
  'canary-testing': {
    next: 'pinning-rest',
    deadline: 'canaryTestMs',
    waiting: (r) => `the canary ${r.canary} to go live on ${r.testDestination} with ${label(r.release)}, online and without errors`,
  },
  'pinning-rest': { next: 'done', deadline: 'pinMs', waiting: (r) => `pinning ${label(r.release)} to ${restLabel(r.rest)}` },
};

export function isActive(phase: RolloutPhase): phase is ActivePhase {
  return phase in PHASES;
}

export function label(release: ReleaseRef): string {
  return release.version ? `release ${release.version} (${release.commit.slice(0, 7)})` : `release ${release.commit.slice(0, 7)}`;
}

export function restLabel(rest: RestTarget): string {
  return rest.kind === 'fleet' ? 'the whole fleet' : `the boxes tagged ${rest.key}=${rest.value}`;
}

export type NewRollout = Pick<Rollout, 'id' | 'release' | 'previous' | 'canary' | 'testDestination' | 'rest'> & { timeouts?: Partial<RolloutTimeouts> };

export function newRollout(input: NewRollout, now: string): Rollout {
  const { timeouts, ...rest } = input;
  const rollout: Rollout = {
    ...rest,
    phase: 'pinning-canary',
    startedAt: now,
    phaseSince: now,
    updatedAt: now,
    canaryRunningAt: null,
    reason: null,
    lastError: null,
    timeouts: { ...DEFAULT_TIMEOUTS, ...timeouts },
    history: [{ at: now, phase: 'pinning-canary', note: `started: ${label(input.release)}, canary ${input.canary}, then ${restLabel(input.rest)}` }],
  };
  return { ...rollout, reason: PHASES['pinning-canary'].waiting(rollout) };
}

/** The rollout in `phase` from `now` on, with one more line of history. */
function moveTo(r: Rollout, phase: RolloutPhase, now: string, note: string, patch: Partial<Rollout> = {}): Rollout {
  const moved: Rollout = { ...r, ...patch, phase, phaseSince: now, updatedAt: now, lastError: null, history: [...r.history, { at: now, phase, note }] };
  return { ...moved, reason: isActive(phase) ? PHASES[phase].waiting(moved) : note };
}

function fail(r: Rollout, now: string, reason: string): RolloutStep {
  return { kind: 'advance', rollout: moveTo(r, 'failed', now, reason) };
}

const REJECTED_UPDATES = new Set(['rejected', 'aborted']);

/**
 * The next step of a rollout, from what balena and the canary box report.
 * A pin step is followed by `afterPin` with its outcome.
 */
export function planStep(r: Rollout, canary: CanaryObservation, now: string): RolloutStep {
  if (!isActive(r.phase)) return { kind: 'idle' };
  const spec = PHASES[r.phase];
  const limit = r.timeouts[spec.deadline];
  if (Date.parse(now) - Date.parse(r.phaseSince) > limit) {
    return fail(r, now, `timed out after ${Math.round(limit / 1000)} s waiting for ${spec.waiting(r)}${r.lastError ? ` (last error: ${r.lastError})` : ''}`);
  }
  switch (r.phase) {
    case 'pinning-canary':
      return { kind: 'pin', target: { kind: 'device', deviceId: r.canary }, release: r.release };
    case 'pinning-rest':
      return { kind: 'pin', target: r.rest, release: r.release };
    case 'canary-updating': {
      const device = canary.balena;
      if (!device) return fail(r, now, `the canary ${r.canary} is no longer in the balena fleet`);
      if (device.running?.id === r.release.id) {
        return { kind: 'advance', rollout: moveTo(r, spec.next, now, `the canary runs ${label(r.release)}`, { canaryRunningAt: now }) };
      }
      if (device.target !== null && device.target.id !== r.release.id) return fail(r, now, `the canary ${r.canary} was pinned to another release meanwhile`);
      if (device.updateStatus !== null && REJECTED_UPDATES.has(device.updateStatus)) return fail(r, now, `balena reports the canary's update as ${device.updateStatus}`);
      const progress = device.updateStatus ? ` (balena: ${device.updateStatus}${device.progress !== null ? ` ${device.progress}%` : ''})` : '';
      return { kind: 'wait', waitingFor: `${spec.waiting(r)}${progress}` };
    }
    case 'canary-testing': {
      if (canary.balena?.running?.id !== r.release.id) return fail(r, now, `the canary ${r.canary} no longer runs ${label(r.release)}`);
      const box = canary.box;
      const fresh = box !== null && box.reportedAt !== null && r.canaryRunningAt !== null && box.reportedAt >= r.canaryRunningAt;
      if (fresh && box.phase === 'error') return fail(r, now, `the canary ${r.canary} reports an error with the new release: ${box.reason ?? 'no reason given'}`);
      if (fresh && liveOnTestDestination(box, r.testDestination)) {
        return { kind: 'advance', rollout: moveTo(r, spec.next, now, `the canary went live on ${r.testDestination} with ${label(r.release)}`) };
      }
      return { kind: 'wait', waitingFor: spec.waiting(r) };
    }
  }
}

/**
 * "Gone live on the test destination", in protocol terms: the box is online
 * (status), its reported stream phase is live, and the destination with that
 * id is in state live, in a report the fleet received after it first saw
 * balena report the release running (checked by the caller).
 */
export function liveOnTestDestination(box: BoxObservation, destination: string): boolean {
  return box.status === 'online' && box.phase === 'live' && box.destinations.some((d) => d.id === destination && d.state === 'live');
}

/** After a pin step: success moves on; a failure is kept and retried at the next step, until the phase times out. */
export function afterPin(r: Rollout, outcome: { ok: true; pinned: readonly string[] } | { ok: false; error: string }, now: string): Rollout {
  if (r.phase !== 'pinning-canary' && r.phase !== 'pinning-rest') return r;
  if (!outcome.ok) return { ...r, lastError: outcome.error, updatedAt: now };
  const whom = r.phase === 'pinning-canary' ? `the canary ${r.canary}` : r.rest.kind === 'fleet' ? 'the whole fleet' : `${outcome.pinned.length} boxes tagged ${r.rest.key}=${r.rest.value}`;
  return moveTo(r, PHASES[r.phase].next, now, `${label(r.release)} pinned to ${whom}`);
}

/** A person stops the rollout; what was pinned stays pinned (a rollback undoes it). */
export function abortRollout(r: Rollout, reason: string, now: string): Rollout | null {
  if (!isActive(r.phase)) return null;
  return moveTo(r, 'aborted', now, reason);
}

/** The rollout with a new waiting line, or null when it has not changed (nothing to store). */
export function withWaiting(r: Rollout, waitingFor: string, now: string): Rollout | null {
  return r.reason === waitingFor ? null : { ...r, reason: waitingFor, updatedAt: now };
}
