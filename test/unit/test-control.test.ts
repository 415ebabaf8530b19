import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTestControl } from '../../device/test-control.js';

describe('test controls from a parent process', () => {
  it('accepts a fault for the camera or the microphone, and the flash on or off', () => {
    assert.deepEqual(parseTestControl({ type: 'inject-fault', feed: 'video' }), { type: 'inject-fault', feed: 'video' });
    assert.deepEqual(parseTestControl({ type: 'inject-fault', feed: 'audio', extra: 1 }), { type: 'inject-fault', feed: 'audio' });
    assert.deepEqual(parseTestControl({ type: 'test-flash', on: true }), { type: 'test-flash', on: true });
  });

  it('refuses anything else', () => {
    for (const bad of [null, 'inject-fault', 42, {}, { type: 'inject-fault' }, { type: 'inject-fault', feed: 'screen' }, { type: 'test-flash', on: 'yes' }, { type: 'reboot' }]) {
      assert.equal(parseTestControl(bad), null, JSON.stringify(bad));
    }
  });
});
