import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fitSnapshot, type Still } from '../../device/pipeline/snapshot-fit.js';
import { snapshotSteps, stillSize, type SnapshotStep } from '../../device/pipeline/snapshot-plan.js';

describe('snapshot sizes and steps', () => {
  it('scales to 640 wide keeping the aspect, never up, always even', () => {
    assert.deepEqual(stillSize(1920, 1080, 640), { width: 640, height: 360 });
    assert.deepEqual(stillSize(1280, 720, 640), { width: 640, height: 360 });
    assert.deepEqual(stillSize(640, 480, 640), { width: 640, height: 480 });
    assert.deepEqual(stillSize(320, 180, 640), { width: 320, height: 180 });
    // 1024x768 -> 640x480; an odd result is rounded to even.
    assert.deepEqual(stillSize(1024, 768, 640), { width: 640, height: 480 });
    assert.deepEqual(stillSize(1000, 562, 640), { width: 640, height: 360 });
    assert.deepEqual(stillSize(854, 480, 427), { width: 428, height: 240 });
  });

  it('lowers the quality at the full still size, then tries half the size', () => {
    assert.deepEqual(snapshotSteps(1280, 720), [
      { width: 640, height: 360, quality: 85 },
      { width: 640, height: 360, quality: 70 },
      { width: 640, height: 360, quality: 50 },
      { width: 640, height: 360, quality: 30 },
      { width: 320, height: 180, quality: 50 },
      { width: 320, height: 180, quality: 30 },
    ]);
  });

  it('a small picture is not scaled up, and its half size stays even', () => {
    const steps = snapshotSteps(426, 240);
    assert.deepEqual(steps[0], { width: 426, height: 240, quality: 85 });
    assert.deepEqual(steps.at(-1), { width: 214, height: 120, quality: 30 });
    for (const s of steps) assert.ok(s.width % 2 === 0 && s.height % 2 === 0, JSON.stringify(s));
  });
});

/** A pipeline stand-in: the JPEG size it makes for each step, and the steps it was asked for. */
function camera(bytesFor: (step: SnapshotStep) => number): { capture: (step: SnapshotStep) => Promise<Still>; asked: SnapshotStep[] } {
  const asked: SnapshotStep[] = [];
  return {
    asked,
    capture: (step) => {
      asked.push(step);
      return Promise.resolve({ jpeg: Buffer.alloc(bytesFor(step)), width: step.width, height: step.height });
    },
  };
}

describe('fitting a still into the budget', () => {
  const steps = snapshotSteps(1280, 720);
  /** Roughly how JPEG sizes go: with the pixels and with the quality. */
  const busy = (s: SnapshotStep): number => Math.round((s.width * s.height * s.quality) / 200);

  it('takes the first step when it fits, and only that one', async () => {
    const c = camera(() => 20_000);
    const r = await fitSnapshot(steps, 48_000, c.capture);
    assert.ok(r.ok);
    assert.equal(r.tries, 1);
    assert.deepEqual(c.asked, [steps[0]]);
  });

  it('goes down the steps until one fits, and returns that one', async () => {
    const c = camera(busy);
    // 640x360: 98k at 85, 81k at 70, 58k at 50, 35k at 30.
    const r = await fitSnapshot(steps, 48_000, c.capture);
    assert.ok(r.ok);
    assert.equal(r.tries, 4);
    assert.equal(r.still.jpeg.length, busy({ width: 640, height: 360, quality: 30 }));
    assert.deepEqual(c.asked, steps.slice(0, 4));
  });

  it('goes down to half size when no quality at full size fits', async () => {
    // 640x360 at 30: 35k; 320x180 at 50: 14k.
    const r = await fitSnapshot(steps, 15_000, camera(busy).capture);
    assert.ok(r.ok);
    assert.deepEqual([r.still.width, r.still.height, r.tries], [320, 180, 5]);
  });

  it('never returns a still larger than the budget: an error names the best it got', async () => {
    const c = camera(busy);
    const r = await fitSnapshot(steps, 1000, c.capture);
    assert.deepEqual(r, { ok: false, error: 'the picture does not fit in one message: 8640 bytes at best (320x180, quality 30), more than 1000' });
    assert.equal(c.asked.length, steps.length);
  });

  it('a still exactly at the budget fits', async () => {
    const r = await fitSnapshot(steps, 20_000, camera(() => 20_000).capture);
    assert.equal(r.ok, true);
  });

  it('stops at the first capture that fails (no picture), with its error', async () => {
    let calls = 0;
    const failing = (): Promise<Still> => {
      calls += 1;
      return Promise.reject(new Error('no picture within 2000 ms'));
    };
    await assert.rejects(fitSnapshot(steps, 48_000, failing), /no picture within 2000 ms/);
    assert.equal(calls, 1);
  });

  it('with no steps there is nothing to take', async () => {
    assert.deepEqual(await fitSnapshot([], 48_000, camera(() => 1).capture), { ok: false, error: 'no snapshot size is planned' });
  });
});
