import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KEEP_LIVE_SEGMENTS, planRetention, replaceWithVod, type PinEntry } from '../../device/ipfs/retention.js';

const MB = 1024 ** 2;
const seg = (stream: string, n: number, bytes = MB): PinEntry => ({ cid: `${stream}-${n}`, bytes, stream, kind: 'segment' });
const vod = (stream: string, bytes: number): PinEntry => ({ cid: `vod-${stream}`, bytes, stream, kind: 'vod' });

describe('planRetention', () => {
  it('keeps everything under the limit', () => {
    const pins = [vod('a', 10 * MB), seg('b', 0), seg('b', 1)];
    assert.deepEqual(planRetention(pins, 100 * MB, 'b'), { unpin: [], keep: pins });
  });

  it('drops finished talks first, oldest first, before any live segment', () => {
    const pins = [vod('a', 30 * MB), vod('b', 30 * MB), ...Array.from({ length: 20 }, (_, i) => seg('c', i))];
    const plan = planRetention(pins, 60 * MB, 'c');
    assert.deepEqual(plan.unpin.map((p) => p.cid), ['vod-a']);
    assert.equal(plan.keep.reduce((s, p) => s + p.bytes, 0), 50 * MB);
  });

  it('then the oldest segments of the talk going on, never its newest ones', () => {
    const pins = Array.from({ length: 30 }, (_, i) => seg('c', i));
    const plan = planRetention(pins, 5 * MB, 'c');
    assert.deepEqual(plan.keep.map((p) => p.cid), pins.slice(-KEEP_LIVE_SEGMENTS).map((p) => p.cid));
    assert.equal(plan.unpin.length, 30 - KEEP_LIVE_SEGMENTS);
  });

  it('segments of a talk that ended without a VOD go before the live ones', () => {
    const pins = [seg('old', 0), seg('old', 1), ...Array.from({ length: 12 }, (_, i) => seg('c', i))];
    const plan = planRetention(pins, 12 * MB, 'c');
    assert.deepEqual(plan.unpin.map((p) => p.cid), ['old-0', 'old-1']);
  });
});

describe('replaceWithVod', () => {
  it("swaps a talk's segment pins for one VOD pin of the same size, at the end", () => {
    const pins = [vod('a', 3 * MB), seg('b', 0), seg('b', 1), seg('c', 0)];
    const plan = replaceWithVod(pins, 'b', 'vod-b');
    assert.deepEqual(plan.unpin.map((p) => p.cid), ['b-0', 'b-1']);
    assert.deepEqual(plan.keep, [vod('a', 3 * MB), seg('c', 0), { cid: 'vod-b', bytes: 2 * MB, stream: 'b', kind: 'vod' }]);
  });
});
