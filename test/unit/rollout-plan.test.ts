import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { abortRollout, afterPin, liveOnTestDestination, newRollout, planStep, withWaiting, type BoxObservation, type CanaryObservation, type Rollout } from '../../fleet/balena/rollout-plan.js';
import type { DeviceRelease, ReleaseRef } from '../../fleet/balena/types.js';

const BASE = Date.UTC(2026, 10, 22, 12, 0, 0);
const T = (s: number): string => new Date(BASE + s * 1000).toISOString();
const OLD: ReleaseRef = { id: 10, commit: 'a'.repeat(32), version: '1.0.0' };
const NEW: ReleaseRef = { id: 11, commit: 'b'.repeat(32), version: '1.1.0' };

function start(rest: Rollout['rest'] = { kind: 'fleet' }): Rollout {
  return newRollout({ id: 'r1', release: NEW, previous: OLD, canary: 'canary-1', testDestination: 'youtube', rest, timeouts: { pinMs: 60_000, canaryUpdateMs: 600_000, canaryTestMs: 900_000 } }, T(0));
}

function device(patch: Partial<DeviceRelease> = {}): DeviceRelease {
  return { deviceId: 'canary-1', balenaId: 1, name: 'c', online: true, running: OLD, target: NEW, pinned: NEW, updateStatus: null, overallStatus: 'idle', progress: null, tags: {}, ...patch };
}

function box(patch: Partial<BoxObservation> = {}): BoxObservation {
  return { status: 'online', phase: 'live', reason: null, destinations: [{ id: 'youtube', state: 'live' }], reportedAt: T(100), ...patch };
}

const seen = (balena: DeviceRelease | null, b: BoxObservation | null = null): CanaryObservation => ({ balena, box: b });

/** Walks a rollout to canary-testing, with the canary seen running the release at T(50). */
function testing(): Rollout {
  const updating = afterPin(start(), { ok: true, pinned: ['canary-1'] }, T(1));
  const step = planStep(updating, seen(device({ running: NEW })), T(50));
  assert.equal(step.kind, 'advance');
  return step.kind === 'advance' ? step.rollout : updating;
}

function advanced(r: Rollout, o: CanaryObservation, at: string): Rollout {
  const step = planStep(r, o, at);
  assert.equal(step.kind, 'advance', JSON.stringify(step));
  return step.kind === 'advance' ? step.rollout : r;
}

describe('staged rollout planner', () => {
  it('starts by pinning the canary, and says so', () => {
    const r = start();
    assert.equal(r.phase, 'pinning-canary');
    assert.match(r.reason ?? '', /pinning release 1\.1\.0 \(bbbbbbb\) to the canary canary-1/);
    assert.deepEqual(planStep(r, seen(null), T(1)), { kind: 'pin', target: { kind: 'device', deviceId: 'canary-1' }, release: NEW });
  });

  it('a failed pin is kept and retried; it fails the rollout only after pinMs', () => {
    const r = afterPin(start(), { ok: false, error: 'balena unreachable' }, T(5));
    assert.equal(r.phase, 'pinning-canary');
    assert.equal(r.lastError, 'balena unreachable');
    assert.equal(planStep(r, seen(null), T(59)).kind, 'pin');
    const failed = advanced(r, seen(null), T(61));
    assert.equal(failed.phase, 'failed');
    assert.match(failed.reason ?? '', /timed out after 60 s waiting for pinning .* \(last error: balena unreachable\)/);
  });

  it('waits while the canary downloads, showing balena\'s progress', () => {
    const r = afterPin(start(), { ok: true, pinned: ['canary-1'] }, T(1));
    assert.equal(r.phase, 'canary-updating');
    assert.equal(r.lastError, null);
    const step = planStep(r, seen(device({ updateStatus: 'downloading', progress: 40 })), T(10));
    assert.deepEqual(step, { kind: 'wait', waitingFor: 'the canary canary-1 to run release 1.1.0 (bbbbbbb) (balena: downloading 40%)' });
    const stored = withWaiting(r, step.kind === 'wait' ? step.waitingFor : '', T(10));
    assert.ok(stored);
    assert.equal(withWaiting(stored, stored.reason ?? '', T(11)), null, 'an unchanged wait stores nothing');
  });

  it('moves to testing when balena says the canary runs the release, remembering when', () => {
    const r = testing();
    assert.equal(r.phase, 'canary-testing');
    assert.equal(r.canaryRunningAt, T(50));
    assert.equal(r.phaseSince, T(50));
    assert.deepEqual(r.history.map((h) => h.phase), ['pinning-canary', 'canary-updating', 'canary-testing']);
  });

  it('fails when the canary leaves the fleet, its update is rejected, or someone pins it elsewhere', () => {
    const r = afterPin(start(), { ok: true, pinned: ['canary-1'] }, T(1));
    assert.match(advanced(r, seen(null), T(2)).reason ?? '', /no longer in the balena fleet/);
    assert.match(advanced(r, seen(device({ updateStatus: 'rejected' })), T(2)).reason ?? '', /update as rejected/);
    assert.match(advanced(r, seen(device({ updateStatus: 'aborted' })), T(2)).reason ?? '', /update as aborted/);
    assert.match(advanced(r, seen(device({ target: OLD })), T(2)).reason ?? '', /pinned to another release/);
  });

  it('times out when the canary never runs the release', () => {
    const r = afterPin(start(), { ok: true, pinned: ['canary-1'] }, T(1));
    assert.equal(planStep(r, seen(device()), T(600)).kind, 'wait');
    const failed = advanced(r, seen(device()), T(602));
    assert.equal(failed.phase, 'failed');
    assert.match(failed.reason ?? '', /timed out after 600 s waiting for the canary canary-1 to run/);
  });

  it('passes the canary only on a report received after the release runs, live on the test destination', () => {
    const r = testing();
    const running = device({ running: NEW });
    // A report from before the release ran (the old release was live) does not count.
    assert.equal(planStep(r, seen(running, box({ reportedAt: T(49) })), T(60)).kind, 'wait');
    // Live, but the test destination is not.
    assert.equal(planStep(r, seen(running, box({ destinations: [{ id: 'youtube', state: 'retrying' }, { id: 'twitch', state: 'live' }] })), T(60)).kind, 'wait');
    // Starting, not live yet.
    assert.equal(planStep(r, seen(running, box({ phase: 'starting' })), T(60)).kind, 'wait');
    // Offline (restarting after the update): wait, do not fail.
    assert.equal(planStep(r, seen(running, box({ status: 'lost' })), T(60)).kind, 'wait');
    assert.equal(planStep(r, seen(running, null), T(60)).kind, 'wait');
    const passed = advanced(r, seen(running, box({ reportedAt: T(50) })), T(60));
    assert.equal(passed.phase, 'pinning-rest');
    assert.match(passed.reason ?? '', /pinning release 1\.1\.0 \(bbbbbbb\) to the whole fleet/);
  });

  it('fails on an error phase reported with the new release, but not on one from before', () => {
    const r = testing();
    const running = device({ running: NEW });
    assert.equal(planStep(r, seen(running, box({ phase: 'error', reason: 'old crash', reportedAt: T(40) })), T(60)).kind, 'wait');
    const failed = advanced(r, seen(running, box({ phase: 'error', reason: 'x264enc: not negotiated' })), T(60));
    assert.equal(failed.phase, 'failed');
    assert.match(failed.reason ?? '', /reports an error with the new release: x264enc: not negotiated/);
  });

  it('fails when the canary stops running the release during the test, and times out without going live', () => {
    const r = testing();
    assert.match(advanced(r, seen(device({ running: OLD }), box()), T(60)).reason ?? '', /no longer runs release 1\.1\.0/);
    assert.match(advanced(r, seen(device({ running: NEW }), box({ phase: 'idle' })), T(50 + 901)).reason ?? '', /timed out after 900 s waiting for the canary canary-1 to go live on youtube/);
  });

  it('pins the rest (a tag group) and is done; then it is idle', () => {
    const tagged = start({ kind: 'tag', key: 'ring', value: 'early' });
    const r = advanced(afterPin(afterPin(tagged, { ok: true, pinned: ['canary-1'] }, T(1)), { ok: true, pinned: [] }, T(1)), seen(device({ running: NEW })), T(2));
    // afterPin in canary-updating changes nothing: only pin phases move on a pin.
    assert.equal(r.phase, 'canary-testing');
    const rest = advanced(r, seen(device({ running: NEW }), box({ reportedAt: T(3) })), T(3));
    assert.deepEqual(planStep(rest, seen(null), T(4)), { kind: 'pin', target: { kind: 'tag', key: 'ring', value: 'early' }, release: NEW });
    const done = afterPin(rest, { ok: true, pinned: ['a', 'b'] }, T(5));
    assert.equal(done.phase, 'done');
    assert.match(done.history.at(-1)?.note ?? '', /pinned to 2 boxes tagged ring=early/);
    assert.deepEqual(planStep(done, seen(null), T(99_999)), { kind: 'idle' });
  });

  it('an abort ends a running rollout with its reason; a finished one cannot be aborted', () => {
    const aborted = abortRollout(testing(), 'aborted: the keynote starts', T(70));
    assert.equal(aborted?.phase, 'aborted');
    assert.equal(aborted?.reason, 'aborted: the keynote starts');
    assert.ok(aborted);
    assert.equal(abortRollout(aborted, 'again', T(71)), null);
    assert.deepEqual(planStep(aborted, seen(null), T(72)), { kind: 'idle' });
  });

  it('"live on the test destination" needs online, phase live and that destination live', () => {
    assert.equal(liveOnTestDestination(box(), 'youtube'), true);
    assert.equal(liveOnTestDestination(box({ status: 'offline' }), 'youtube'), false);
    assert.equal(liveOnTestDestination(box({ phase: 'stopping' }), 'youtube'), false);
    assert.equal(liveOnTestDestination(box(), 'twitch'), false);
  });
});
