import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BACKOFF_CAP_MS, BACKOFF_FIRST_MS, backoffDelay } from '../../device/backoff.js';

/** Randoms across [0, 1), the top one as close to 1 as a double gets. */
const RANDOMS = [0, 0.001, 0.25, 0.5, 0.75, 0.999, 1 - Number.EPSILON];
const HIGHEST = 1 - Number.EPSILON;

/** The undisturbed step of an attempt: 1 s, doubling, capped at 30 s. */
function step(attempt: number): number {
  return Math.min(1000 * 2 ** (Math.max(attempt, 1) - 1), 30_000);
}

describe('backoffDelay', () => {
  it('starts at 1 s and caps at 30 s', () => {
    assert.equal(BACKOFF_FIRST_MS, 1000);
    assert.equal(BACKOFF_CAP_MS, 30_000);
  });

  it('the first retry comes within 1 s for any random in [0, 1)', () => {
    for (const r of RANDOMS) {
      const d = backoffDelay(1, r);
      assert.ok(d >= 500 && d <= 1000, `random ${r}: ${d} ms`);
    }
  });

  it('doubles with each attempt', () => {
    assert.deepEqual([1, 2, 3, 4, 5].map((a) => backoffDelay(a, 0)), [500, 1000, 2000, 4000, 8000]);
    assert.deepEqual([1, 2, 3, 4, 5].map((a) => backoffDelay(a, HIGHEST)), [1000, 2000, 4000, 8000, 16_000]);
    assert.deepEqual([1, 2, 3, 4, 5].map((a) => backoffDelay(a, 0.5)), [750, 1500, 3000, 6000, 12_000]);
  });

  it('is capped at 30 s however many attempts failed', () => {
    for (const attempt of [6, 7, 10, 50, 1100, Number.MAX_SAFE_INTEGER]) {
      assert.equal(backoffDelay(attempt, HIGHEST), 30_000, `attempt ${attempt}`);
      assert.equal(backoffDelay(attempt, 0), 15_000, `attempt ${attempt}`);
    }
  });

  it('jitters between half and all of the step', () => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      for (const r of RANDOMS) {
        const d = backoffDelay(attempt, r);
        assert.ok(d >= step(attempt) / 2 && d <= step(attempt), `attempt ${attempt}, random ${r}: ${d} ms of a ${step(attempt)} ms step`);
        assert.ok(Number.isInteger(d), `${d} is not whole milliseconds`);
      }
    }
  });

  it('grows with the random draw', () => {
    for (let attempt = 1; attempt <= 8; attempt++) {
      const delays = RANDOMS.map((r) => backoffDelay(attempt, r));
      assert.deepEqual(delays, [...delays].sort((a, b) => a - b), `attempt ${attempt}`);
    }
  });

  it('treats attempt 0 like attempt 1', () => {
    for (const r of RANDOMS) assert.equal(backoffDelay(0, r), backoffDelay(1, r), `random ${r}`);
  });

  it('draws its own jitter when given no random', () => {
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(3);
      assert.ok(d >= 2000 && d <= 4000, `${d} ms`);
    }
  });
});
