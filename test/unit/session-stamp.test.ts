import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sessionStamper, stamp } from '../../device/agent.js';

describe('session stamps (they name recording files)', () => {
  it('formats UTC time as YYYYMMDD-HHMMSS', () => {
    assert.equal(stamp(new Date('2026-11-22T14:15:03.999Z')), '20261122-141503');
  });

  it('never repeats within one second, so a quick restart cannot overwrite a segment', () => {
    let t = new Date('2026-11-22T14:15:03.100Z');
    const next = sessionStamper(() => t);
    assert.equal(next(), '20261122-141503');
    t = new Date('2026-11-22T14:15:03.900Z');
    assert.equal(next(), '20261122-141503-r1');
    assert.equal(next(), '20261122-141503-r2');
    t = new Date('2026-11-22T14:15:04.000Z');
    assert.equal(next(), '20261122-141504');
  });
});
