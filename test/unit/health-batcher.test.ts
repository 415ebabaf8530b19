import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDeviceId } from '../../common/protocol.js';
import { HealthBatcher, type PendingHealth } from '../../fleet/store/health-batcher.js';

const id = parseDeviceId('box-a');
if (id === null) throw new Error('box-a should be a device id');
const sample = (n: number): PendingHealth => ({ id, at: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(), health: { tempC: n } });

/** A write function that keeps what it was given, or fails when told to. */
class FakeDatabase {
  batches: number[][] = [];
  failNext: Error | null = null;

  write = (batch: readonly PendingHealth[]): Promise<void> => {
    const failure = this.failNext;
    this.failNext = null;
    if (failure !== null) return Promise.reject(failure);
    this.batches.push(batch.map((s) => s.health.tempC ?? -1));
    return Promise.resolve();
  };
}

describe('HealthBatcher', () => {
  test('gathers samples until the window closes and writes them in one batch, in order', async () => {
    const db = new FakeDatabase();
    const batcher = new HealthBatcher(db.write, { flushMs: 30, maxRows: 100 });
    const started = Date.now();
    await Promise.all([1, 2, 3].map((n) => batcher.add(sample(n))));
    assert.ok(Date.now() - started >= 25, 'the window was waited out');
    assert.deepEqual(db.batches, [[1, 2, 3]]);
  });

  test('a full batch is written without waiting for the window', async () => {
    const db = new FakeDatabase();
    const batcher = new HealthBatcher(db.write, { flushMs: 600_000, maxRows: 2 });
    await Promise.all([1, 2, 3, 4].map((n) => batcher.add(sample(n))));
    assert.deepEqual(db.batches, [[1, 2], [3, 4]]);
  });

  test('flush() writes what waits at once and resolves after it is written', async () => {
    const db = new FakeDatabase();
    const batcher = new HealthBatcher(db.write, { flushMs: 600_000, maxRows: 100 });
    const added = batcher.add(sample(1));
    assert.equal(batcher.pending, 1);
    await batcher.flush();
    assert.deepEqual(db.batches, [[1]]);
    assert.equal(batcher.pending, 0);
    await added;
    await batcher.flush();
    assert.equal(db.batches.length, 1, 'nothing waiting, nothing written');
  });

  test('a failed write rejects the samples of that batch only, and flush() still resolves', async () => {
    const db = new FakeDatabase();
    const batcher = new HealthBatcher(db.write, { flushMs: 600_000, maxRows: 100 });
    db.failNext = new Error('disk full');
    const lost = batcher.add(sample(1));
    await batcher.flush();
    await assert.rejects(lost, /disk full/);
    const kept = batcher.add(sample(2));
    await batcher.flush();
    await kept;
    assert.deepEqual(db.batches, [[2]]);
  });
});
