import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../common/config/load.js';
import { minFreeBytes, planCleanup, type SegmentFile } from '../../device/recording/cleanup.js';

const MIB = 1024 ** 2;
const GIB = 1024 ** 3;
const seg = (name: string, mtimeMs: number, size = 10 * MIB): SegmentFile => ({ name, size, mtimeMs });
const SEGMENTS = [seg('roomcast-20261122-100000-00002.ts', 3000), seg('roomcast-20261122-100000-00000.ts', 1000), seg('roomcast-20261122-100000-00001.ts', 2000), seg('roomcast-20261122-100000-00003.ts', 4000)];

describe('how much room to keep', () => {
  it('auto is 1 GiB, or 10% of a disk smaller than 10 GiB', () => {
    assert.equal(minFreeBytes({ kind: 'auto' }, 64 * GIB), GIB);
    assert.equal(minFreeBytes({ kind: 'auto' }, 8 * GIB), 0.8 * GIB);
  });

  it('parses ROOMCAST_RECORD_MIN_FREE sizes and shares, and refuses anything else', () => {
    const ok = (raw: string): unknown => {
      const l = loadConfig({ ROOMCAST_RECORD_MIN_FREE: raw });
      assert.ok(l.ok, raw);
      return l.config.recordMinFree;
    };
    assert.deepEqual(ok('auto'), { kind: 'auto' });
    assert.deepEqual(ok('500MiB'), { kind: 'bytes', bytes: 500 * MIB });
    assert.deepEqual(ok('2GiB'), { kind: 'bytes', bytes: 2 * GIB });
    assert.deepEqual(ok('15%'), { kind: 'percent', percent: 15 });
    for (const bad of ['1G', '100%', '-5%', 'lots']) assert.equal(loadConfig({ ROOMCAST_RECORD_MIN_FREE: bad }).ok, false, bad);
  });
});

describe('planCleanup', () => {
  it('deletes nothing while there is room', () => {
    assert.deepEqual(planCleanup(SEGMENTS, null, 100 * MIB, 50 * MIB), { remove: [], short: false });
  });

  it('deletes the oldest segments first, only as many as needed', () => {
    assert.deepEqual(planCleanup(SEGMENTS, null, 35 * MIB, 50 * MIB), { remove: ['roomcast-20261122-100000-00000.ts', 'roomcast-20261122-100000-00001.ts'], short: false });
  });

  it('never deletes the segment being written, and says when even deleting all the rest is not enough', () => {
    const plan = planCleanup(SEGMENTS, 'roomcast-20261122-100000-00000.ts', 5 * MIB, 50 * MIB);
    assert.ok(!plan.remove.includes('roomcast-20261122-100000-00000.ts'));
    assert.equal(plan.remove.length, 3);
    assert.equal(plan.short, true);
  });
});
