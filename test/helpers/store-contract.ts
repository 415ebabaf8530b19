import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { initialState } from '../../device/state.js';
import { parseDeviceId, type DeviceId, type Health, type ReportedState } from '../../common/protocol.js';
import { afterPin, newRollout } from '../../fleet/balena/rollout-plan.js';
import { StoreClosedError, StoreInputError } from '../../fleet/store/errors.js';
import type { BatchOptions } from '../../fleet/store/health-batcher.js';
import type { FleetStore } from '../../fleet/store/types.js';

/** Opens a new, migrated store instance on one database; every call gives another instance on the same data. */
export type OpenStore = (healthBatch?: BatchOptions) => Promise<FleetStore>;

/** A batch window no test waits out: whatever is written, a read or close() wrote. */
export const NEVER_BY_TIMER: BatchOptions = { flushMs: 600_000, maxRows: 1_000_000 };

export function deviceId(raw: string): DeviceId {
  const id = parseDeviceId(raw);
  assert.ok(id, `${raw} should be a device id`);
  return id;
}

const BASE = Date.UTC(2026, 10, 22, 12, 0, 0);
/** The n-th second after the base time, in stored form. */
export const T = (n: number): string => new Date(BASE + n * 1000).toISOString();

export function healthAt(n: number): Health {
  return { at: T(n), phase: 'live', tempC: 40 + (n % 40), cpuLoadPercent: 12.5, netInterface: 'wlan0', underVoltageOccurred: n % 2 === 0 };
}

const REPORTED: ReportedState = {
  appliedVersion: 2,
  refused: { version: 3, errors: ['ROOMCAST_FRAMERATE: 0 is outside 1..60'] },
  config: { ROOMCAST_DESTINATIONS: 'youtube:****wxyz', ROOMCAST_FRAMERATE: '25' },
  state: initialState([], '/data/recordings', new Date(BASE)),
};

const STREAM_KEY = 'youtube:abcd-efgh-ijkl-mnop-qrst';

/**
 * The behaviour every FleetStore must have, registered as tests in the
 * caller's describe(). `newDatabase` gives an empty database each time, so
 * tests do not see each other's rows.
 */
export function storeContract(newDatabase: () => Promise<OpenStore>): void {
  const opened: FleetStore[] = [];
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
  });
  const fresh = async (healthBatch?: BatchOptions): Promise<{ store: FleetStore; reopen: OpenStore }> => {
    const open = await newDatabase();
    const reopen: OpenStore = async (batch) => {
      const store = await open(batch);
      opened.push(store);
      return store;
    };
    return { store: await reopen(healthBatch), reopen };
  };
  const A = deviceId('box-a');
  const B = deviceId('box-b');
  const UNKNOWN = deviceId('never-enrolled');

  test('migrate is idempotent and a new store is empty', async () => {
    const { store, reopen } = await fresh();
    await store.migrate();
    await Promise.all([store.migrate(), (await reopen()).migrate()]);
    assert.deepEqual(await store.listDevices(), []);
    assert.equal(await store.getSetting('admin-token'), null);
  });

  test('enrolment gives a box its id as name, desired version 0 and an empty config', async () => {
    const { store } = await fresh();
    const record = await store.enrolDevice(A, 'hash-1', null, T(0));
    assert.deepEqual(record, {
      id: A,
      name: 'box-a',
      enrolledAt: T(0),
      passwordHash: 'hash-1',
      status: null,
      statusAt: null,
      lastSeen: null,
      desiredVersion: 0,
      desiredConfig: {},
      reported: null,
      reportedAt: null,
      health: null,
      healthAt: null,
    });
    assert.deepEqual(await store.getDevice(A), record);
    const named = await store.enrolDevice(B, 'hash-2', 'Main hall', T(1));
    assert.equal(named.name, 'Main hall');
    assert.deepEqual((await store.listDevices()).map((d) => d.id), [A, B]);
  });

  test('re-enrolment replaces the credentials and keeps name, desired config, status and history', async () => {
    const { store } = await fresh();
    await store.enrolDevice(A, 'old-hash', 'Room 1', T(0));
    await store.putDesiredConfig(A, { ROOMCAST_DESTINATIONS: STREAM_KEY });
    await store.recordStatus(A, 'online', T(1));
    await store.recordHealth(A, healthAt(2), T(2));
    const again = await store.enrolDevice(A, 'new-hash', null, T(10));
    assert.equal(again.passwordHash, 'new-hash');
    assert.equal(again.enrolledAt, T(10));
    assert.equal(again.name, 'Room 1');
    assert.equal(again.desiredVersion, 1);
    assert.deepEqual(again.desiredConfig, { ROOMCAST_DESTINATIONS: STREAM_KEY });
    assert.equal(again.status, 'online');
    assert.deepEqual(again.health, healthAt(2));
    assert.equal((await store.healthHistory(A, T(0), T(100), 10)).length, 1);
    assert.equal((await store.enrolDevice(A, 'newer-hash', 'Room 2', T(11))).name, 'Room 2');
    assert.equal(await store.putDesiredConfig(A, {}), 2, 'versions go on from where they were');
  });

  test('revocation clears the credentials of a known box only', async () => {
    const { store } = await fresh();
    await store.enrolDevice(A, 'hash-a', null, T(0));
    await store.enrolDevice(B, 'hash-b', null, T(0));
    assert.equal(await store.revokeDevice(A), true);
    assert.equal((await store.getDevice(A))?.passwordHash, null);
    assert.equal((await store.getDevice(B))?.passwordHash, 'hash-b');
    assert.equal(await store.revokeDevice(UNKNOWN), false);
    assert.equal(await store.getDevice(UNKNOWN), null);
    assert.equal((await store.enrolDevice(A, 'hash-a2', null, T(5))).passwordHash, 'hash-a2');
  });

  test('renaming: true for a known box, false for an unknown one', async () => {
    const { store } = await fresh();
    await store.enrolDevice(A, 'h', null, T(0));
    assert.equal(await store.renameDevice(A, 'Lecture theatre'), true);
    assert.equal((await store.getDevice(A))?.name, 'Lecture theatre');
    assert.equal(await store.renameDevice(UNKNOWN, 'x'), false);
    assert.equal(await store.getDevice(UNKNOWN), null);
  });

  test('messages of an unknown box are ignored and create nothing', async () => {
    const { store } = await fresh();
    const known = await store.enrolDevice(A, 'h', null, T(0));
    await store.recordStatus(UNKNOWN, 'online', T(1));
    await store.recordReported(UNKNOWN, REPORTED, T(2));
    await Promise.all([store.recordHealth(UNKNOWN, healthAt(3), T(3)), store.recordHealth(A, healthAt(3), T(3))]);
    assert.equal(await store.putDesiredConfig(UNKNOWN, { ROOMCAST_FRAMERATE: '30' }), null);
    assert.equal(await store.getDevice(UNKNOWN), null);
    assert.deepEqual(await store.healthHistory(UNKNOWN, T(0), T(10), 10), []);
    const devices = await store.listDevices();
    assert.deepEqual(devices.map((d) => d.id), [A]);
    assert.deepEqual(devices[0], { ...known, health: healthAt(3), healthAt: T(3), lastSeen: T(3) }, 'the known box in the same batch is kept');
  });

  test('desired versions count 1, 2, 3 and the config keeps stream keys whole', async () => {
    const { store } = await fresh();
    await store.enrolDevice(A, 'h', null, T(0));
    const configs = [{ ROOMCAST_DESTINATIONS: STREAM_KEY }, { ROOMCAST_FRAMERATE: '30' }, {}];
    const versions: (number | null)[] = [];
    for (const config of configs) versions.push(await store.putDesiredConfig(A, config));
    assert.deepEqual(versions, [1, 2, 3]);
    const record = await store.getDevice(A);
    assert.equal(record?.desiredVersion, 3);
    assert.deepEqual(record?.desiredConfig, {});
    await store.putDesiredConfig(A, { ROOMCAST_DESTINATIONS: STREAM_KEY });
    assert.equal((await store.getDevice(A))?.desiredConfig['ROOMCAST_DESTINATIONS'], STREAM_KEY);
  });

  test('50 concurrent desired configs get 50 distinct versions; the highest holds its own config', async () => {
    const { store } = await fresh();
    await store.enrolDevice(A, 'h', null, T(0));
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.putDesiredConfig(A, { ROOMCAST_FRAMERATE: String(i + 1) }).then((v) => ({ i, v }))));
    assert.deepEqual(results.map((r) => r.v).sort((x, y) => (x ?? 0) - (y ?? 0)), Array.from({ length: 50 }, (_, i) => i + 1));
    const last = results.find((r) => r.v === 50);
    const record = await store.getDevice(A);
    assert.equal(record?.desiredVersion, 50);
    assert.deepEqual(record?.desiredConfig, { ROOMCAST_FRAMERATE: String((last?.i ?? -1) + 1) });
  });

  test('settings: set overwrites, set-if-absent keeps the first writer even when 20 race', async () => {
    const { store, reopen } = await fresh();
    assert.equal(await store.getSetting('admin-token'), null);
    await store.setSetting('admin-token', 'first');
    await store.setSetting('admin-token', 'second');
    assert.equal(await store.getSetting('admin-token'), 'second');
    assert.equal(await store.setSettingIfAbsent('admin-token', 'third'), 'second');
    const other = await reopen();
    const candidates = Array.from({ length: 20 }, (_, i) => `token-${i}`);
    const answers = await Promise.all(candidates.map((c, i) => (i % 2 === 0 ? store : other).setSettingIfAbsent('enrol-token', c)));
    const winner = await store.getSetting('enrol-token');
    assert.ok(winner !== null && candidates.includes(winner));
    assert.deepEqual(new Set(answers), new Set([winner]), 'every writer is told the one stored value');
  });

  test('health history is [from, to), oldest first, limited, and per box', async () => {
    const { store } = await fresh();
    await store.enrolDevice(A, 'h', null, T(0));
    await store.enrolDevice(B, 'h', null, T(0));
    // Out of order, interleaved with another box, and two samples at one time.
    const order = [7, 2, 9, 0, 5, 3, 8, 1, 6, 4];
    await Promise.all(order.flatMap((n) => [store.recordHealth(A, healthAt(n), T(n)), store.recordHealth(B, healthAt(n + 100), T(n))]));
    await store.recordHealth(A, { ...healthAt(5), tempC: 99 }, T(5));
    const all = await store.healthHistory(A, T(0), T(10), 100);
    assert.deepEqual(all.map((s) => s.at), [0, 1, 2, 3, 4, 5, 5, 6, 7, 8, 9].map(T));
    assert.deepEqual(all[0], { at: T(0), health: healthAt(0) });
    assert.deepEqual([all[5]?.health.tempC, all[6]?.health.tempC], [healthAt(5).tempC, 99], 'samples at one time keep their order');
    assert.deepEqual((await store.healthHistory(A, T(2), T(5), 100)).map((s) => s.at), [T(2), T(3), T(4)], 'from is included, to is not');
    assert.deepEqual((await store.healthHistory(A, T(1), T(10), 3)).map((s) => s.at), [T(1), T(2), T(3)], 'the limit keeps the oldest');
    assert.deepEqual(await store.healthHistory(A, T(5), T(5), 10), []);
    assert.deepEqual(await store.healthHistory(A, T(0), T(10), 0), []);
    assert.deepEqual(await store.healthHistory(B, T(0), T(10), 100), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => ({ at: T(n), health: healthAt(n + 100) })));
  });

  test('the newest status, reported state and health win; lastSeen is the newest of all', async () => {
    const { store } = await fresh();
    await store.enrolDevice(A, 'h', null, T(0));
    await store.recordStatus(A, 'online', T(5));
    let record = await store.getDevice(A);
    assert.deepEqual([record?.status, record?.statusAt, record?.lastSeen], ['online', T(5), T(5)]);
    await store.recordStatus(A, 'lost', T(3));
    record = await store.getDevice(A);
    assert.deepEqual([record?.status, record?.statusAt, record?.lastSeen], ['online', T(5), T(5)], 'an older status changes nothing');
    await store.recordReported(A, REPORTED, T(7));
    record = await store.getDevice(A);
    assert.deepEqual(record?.reported, REPORTED);
    assert.deepEqual([record?.reportedAt, record?.lastSeen], [T(7), T(7)]);
    await store.recordHealth(A, healthAt(6), T(6));
    record = await store.getDevice(A);
    assert.deepEqual([record?.health, record?.healthAt, record?.lastSeen], [healthAt(6), T(6), T(7)], 'lastSeen does not go back');
    await store.recordHealth(A, healthAt(9), T(9));
    await store.recordHealth(A, healthAt(8), T(8));
    record = await store.getDevice(A);
    assert.deepEqual([record?.health, record?.healthAt, record?.lastSeen], [healthAt(9), T(9), T(9)], 'a late sample goes to the history only');
    assert.equal((await store.healthHistory(A, T(0), T(10), 10)).length, 3);
    await store.recordStatus(A, 'offline', T(20));
    record = await store.getDevice(A);
    assert.deepEqual([record?.status, record?.statusAt, record?.lastSeen, record?.reportedAt], ['offline', T(20), T(20), T(7)]);
  });

  test('pruning deletes the samples older than a time and says how many', async () => {
    const { store } = await fresh();
    await store.enrolDevice(A, 'h', null, T(0));
    await store.enrolDevice(B, 'h', null, T(0));
    await Promise.all([0, 1, 2, 3, 4].flatMap((n) => [store.recordHealth(A, healthAt(n), T(n)), store.recordHealth(B, healthAt(n), T(n))]));
    assert.equal(await store.pruneHealth(T(3)), 6);
    assert.deepEqual((await store.healthHistory(A, T(0), T(10), 10)).map((s) => s.at), [T(3), T(4)]);
    assert.equal(await store.pruneHealth(T(3)), 0);
    assert.deepEqual((await store.getDevice(A))?.health, healthAt(4), 'the latest health stays');
  });

  test('reads see health samples whose batch is not written yet', async () => {
    const { store } = await fresh(NEVER_BY_TIMER);
    await store.enrolDevice(A, 'h', null, T(0));
    const recorded = store.recordHealth(A, healthAt(1), T(1));
    assert.deepEqual((await store.getDevice(A))?.health, healthAt(1));
    const second = store.recordHealth(A, healthAt(2), T(2));
    assert.deepEqual((await store.healthHistory(A, T(0), T(10), 10)).map((s) => s.at), [T(1), T(2)]);
    await Promise.all([recorded, second]);
  });

  test('close() writes pending health samples; a closed store refuses calls', async () => {
    const { store, reopen } = await fresh(NEVER_BY_TIMER);
    await store.enrolDevice(A, 'h', null, T(0));
    const pending = [1, 2, 3].map((n) => store.recordHealth(A, healthAt(n), T(n)));
    await store.close();
    await Promise.all(pending);
    await store.close();
    await assert.rejects(store.getDevice(A), StoreClosedError);
    await assert.rejects(store.recordHealth(A, healthAt(4), T(4)), StoreClosedError);
    await assert.rejects(store.putDesiredConfig(A, {}), StoreClosedError);
    const again = await reopen();
    assert.deepEqual((await again.healthHistory(A, T(0), T(10), 10)).map((s) => s.health), [1, 2, 3].map(healthAt));
  });

  test('a burst larger than one batch is stored whole', async () => {
    const { store } = await fresh();
    const boxes = Array.from({ length: 30 }, (_, i) => deviceId(`burst-${i}`));
    for (const id of boxes) await store.enrolDevice(id, 'h', null, T(0));
    await Promise.all(boxes.flatMap((id) => Array.from({ length: 100 }, (_, n) => store.recordHealth(id, healthAt(n), T(n)))));
    for (const id of [boxes[0], boxes[29]]) {
      assert.ok(id);
      assert.equal((await store.healthHistory(id, T(0), T(1000), 1000)).length, 100);
      assert.deepEqual((await store.getDevice(id))?.health, healthAt(99));
    }
    assert.equal(await store.pruneHealth(T(1000)), 3000);
  });

  test('a timeline keeps events in order, newest first, pages back, ignores unknown boxes and is pruned', async () => {
    const { store, reopen } = await fresh();
    await store.enrolDevice(A, 'h', null, T(0));
    await store.enrolDevice(B, 'h', null, T(0));
    await store.recordTimeline(A, [
      { at: T(1), kind: 'online', message: 'The box came online.' },
      { at: T(2), kind: 'live', message: 'Went live.' },
      // Two events at one time keep the order they were given in.
      { at: T(2), kind: 'destination-live', message: 'Twitch receives the stream.' },
    ]);
    await store.recordTimeline(A, [{ at: '2026-11-22T13:00:03+01:00', kind: 'slate-on', message: 'Camera lost.' }]);
    await store.recordTimeline(B, [{ at: T(5), kind: 'lost', message: 'lost' }]);
    await store.recordTimeline(UNKNOWN, [{ at: T(5), kind: 'online', message: 'ghost' }]);
    await store.recordTimeline(A, []);
    const other = await reopen();
    assert.deepEqual((await other.timeline(A, 10)).map((e) => [e.at, e.kind]), [[T(3), 'slate-on'], [T(2), 'destination-live'], [T(2), 'live'], [T(1), 'online']]);
    assert.deepEqual(await other.timeline(A, 1), [{ at: T(3), kind: 'slate-on', message: 'Camera lost.' }]);
    assert.deepEqual((await other.timeline(A, 10, T(2))).map((e) => e.kind), ['online'], 'older than `before` only');
    assert.deepEqual(await other.timeline(UNKNOWN, 10), []);
    await assert.rejects(store.recordTimeline(A, [{ at: 'soon', kind: 'live', message: 'x' }]), StoreInputError);
    await assert.rejects(store.timeline(A, -1), StoreInputError);
    assert.equal(await store.pruneTimeline(T(3)), 3);
    assert.deepEqual((await store.timeline(A, 10)).map((e) => e.kind), ['slate-on']);
    assert.deepEqual((await store.timeline(B, 10)).map((e) => e.kind), ['lost']);
  });

  test('times are kept in UTC toISOString form; bad times and limits are refused', async () => {
    const { store } = await fresh();
    const record = await store.enrolDevice(A, 'h', null, '2026-11-22T13:00:00+01:00');
    assert.equal(record.enrolledAt, '2026-11-22T12:00:00.000Z');
    await store.recordHealth(A, healthAt(0), '2026-11-22T13:00:00.5+01:00');
    assert.deepEqual((await store.healthHistory(A, '2026-11-22T12:00:00.500Z', '2026-11-22T13:00:00.501+01:00', 10)).map((s) => s.at), ['2026-11-22T12:00:00.500Z']);
    await assert.rejects(store.recordStatus(A, 'online', 'yesterday'), StoreInputError);
    await assert.rejects(store.recordHealth(A, healthAt(0), 'not a time'), StoreInputError);
    await assert.rejects(store.enrolDevice(B, 'h', null, '+010000-01-01T00:00:00.000Z'), StoreInputError);
    await assert.rejects(store.healthHistory(A, T(0), T(1), -1), StoreInputError);
    await assert.rejects(store.healthHistory(A, T(0), T(1), 1.5), StoreInputError);
    assert.equal(await store.getDevice(B), null);
  });

  test('rollouts: saved whole, replaced by id, the latest by start time survives a reopen', async () => {
    const { store, reopen } = await fresh();
    assert.equal(await store.latestRollout(), null);
    const release = { id: 11, commit: 'c'.repeat(32), version: '1.2.0+rev1' };
    const first = newRollout({ id: 'r-1', release, previous: null, canary: 'box-a', testDestination: 'youtube', rest: { kind: 'fleet' } }, T(0));
    await store.saveRollout(first);
    const second = newRollout({ id: 'r-0', release, previous: { id: 10, commit: 'b'.repeat(32), version: null }, canary: 'box-b', testDestination: 'custom', rest: { kind: 'tag', key: 'ring', value: 'early' } }, T(5));
    await store.saveRollout(second);
    assert.deepEqual(await store.latestRollout(), second, 'newest start wins, not the id order');
    const advanced = afterPin(second, { ok: true, pinned: ['box-b'] }, T(6));
    await store.saveRollout(advanced);
    const again = await reopen();
    assert.deepEqual(await again.latestRollout(), advanced);
    assert.equal((await again.latestRollout())?.phase, 'canary-updating');
    await assert.rejects(store.saveRollout({ ...first, startedAt: 'never' }), StoreInputError);
  });
}
