import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FreshStill } from '../../device/stills/fresh-still.js';
import type { Snapshot } from '../../device/snapshot-requests.js';

const still = (label: string): Snapshot => ({ jpegBase64: Buffer.from(label).toString('base64'), width: 320, height: 180 });

/** A capture that counts its calls and answers when told to. */
function camera(): { calls: number; aborted: number; capture: (signal: AbortSignal) => Promise<Snapshot>; answer(label: string, nth?: number): void } {
  const waiting: Array<(s: Snapshot) => void> = [];
  const cam = {
    calls: 0,
    aborted: 0,
    capture: (signal: AbortSignal): Promise<Snapshot> => {
      cam.calls++;
      return new Promise<Snapshot>((resolve, reject) => {
        waiting.push(resolve);
        signal.addEventListener('abort', () => {
          cam.aborted++;
          reject(new Error('killed'));
        });
      });
    },
    answer: (label: string, nth = 0): void => waiting.splice(nth, 1)[0]?.(still(label)),
  };
  return cam;
}

describe('FreshStill: one still per interval, shared, cancellable', () => {
  it('a second ask within the interval gets the same still; after it, a new one', async () => {
    let now = 1000;
    const fresh = new FreshStill(2000, () => now);
    const cam = camera();
    const first = fresh.take(1000, cam.capture);
    cam.answer('one');
    assert.deepEqual(await first, still('one'));
    now += 1999;
    assert.deepEqual(await fresh.take(1000, cam.capture), still('one'));
    assert.equal(cam.calls, 1);
    now += 1;
    const third = fresh.take(1000, cam.capture);
    cam.answer('two');
    assert.deepEqual(await third, still('two'));
    assert.equal(cam.calls, 2);
  });

  it('asks while a still is being taken share it; a smaller budget than the kept still asks again', async () => {
    const fresh = new FreshStill(60_000);
    const cam = camera();
    const a = fresh.take(1000, cam.capture);
    const b = fresh.take(1000, cam.capture);
    cam.answer('shared');
    assert.deepEqual(await Promise.all([a, b]), [still('shared'), still('shared')]);
    assert.equal(cam.calls, 1);
    const small = fresh.take(2, cam.capture);
    cam.answer('s');
    assert.deepEqual(await small, still('s'));
    assert.equal(cam.calls, 2);
  });

  it('cancel stops the still being taken with its reason and forgets the last', async () => {
    const fresh = new FreshStill(60_000);
    const cam = camera();
    const kept = fresh.take(1000, cam.capture);
    cam.answer('kept');
    await kept;
    void fresh.cancel('going live');
    const next = fresh.take(1000, cam.capture);
    assert.equal(cam.calls, 2, 'the kept still was forgotten');
    void fresh.cancel('the box went live');
    await assert.rejects(next, { name: 'SnapshotError', message: 'the box went live' });
    assert.equal(cam.aborted, 1);
  });

  it("cancel resolves only once the capture has stopped (the tool let go of the camera)", async () => {
    const fresh = new FreshStill(60_000);
    let exited: () => void = () => undefined;
    // A tool that takes a while to exit after it is told to stop.
    const slowTool = (signal: AbortSignal): Promise<Snapshot> =>
      new Promise<Snapshot>((_, reject) => {
        signal.addEventListener('abort', () => {
          exited = () => reject(new Error('killed'));
        });
      });
    const taking = fresh.take(1000, slowTool).catch(() => undefined);
    let cancelled = false;
    const cancel = fresh.cancel('going live').then(() => {
      cancelled = true;
    });
    await new Promise((r) => setImmediate(r));
    assert.equal(cancelled, false, 'the tool has not exited yet');
    exited();
    await cancel;
    assert.equal(cancelled, true);
    await taking;
    await fresh.cancel('nothing being taken');
  });

  it('forget: a still begun before the picture changed is neither kept nor shared', async () => {
    const fresh = new FreshStill(60_000);
    const cam = camera();
    const old = fresh.take(1000, cam.capture);
    fresh.forget();
    const after = fresh.take(1000, cam.capture);
    assert.equal(cam.calls, 2);
    cam.answer('slate', 1);
    assert.deepEqual(await after, still('slate'));
    cam.answer('bars');
    assert.deepEqual(await old, still('bars'));
    assert.deepEqual(await fresh.take(1000, cam.capture), still('slate'));
    assert.equal(cam.calls, 2);
  });
});
