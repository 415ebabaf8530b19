import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { previewConfig } from '../../fleet/config-effects.js';

describe('previewConfig', () => {
  it('finds nothing to do when nothing changed, masked keys included', () => {
    const c = { ROOMCAST_DESTINATIONS: 'twitch:****abcd', ROOMCAST_FRAMERATE: '30' };
    assert.deepEqual(previewConfig(c, { ...c }), { changes: [], interrupts: false });
    assert.deepEqual(previewConfig({ ROOMCAST_FRAMERATE: '' }, {}), { changes: [], interrupts: false }, 'unset and empty are the same');
  });

  it('says picture and sound restart for encoder and recording settings', () => {
    const p = previewConfig({ ROOMCAST_VIDEO_BITRATE: '2500' }, { ROOMCAST_VIDEO_BITRATE: '4500', ROOMCAST_RECORD_DIR: '/data/rec' });
    assert.deepEqual(p.changes.map((c) => [c.variable, c.impact]), [['ROOMCAST_RECORD_DIR', 'restart'], ['ROOMCAST_VIDEO_BITRATE', 'restart']]);
    assert.equal(p.interrupts, true);
  });

  it('restarts nothing for the room name or box-side settings', () => {
    const p = previewConfig({}, { ROOMCAST_ROOM_NAME: 'Main hall', ROOMCAST_HEALTH_SECONDS: '5' });
    assert.deepEqual(p.changes.map((c) => c.impact), ['none', 'none']);
    assert.match(p.changes[1]?.message ?? '', /slate/);
    assert.equal(p.interrupts, false);
  });

  it('names the destinations that stop and start, never showing a full key', () => {
    const p = previewConfig({ ROOMCAST_DESTINATIONS: 'twitch:****abcd youtube:****wxyz' }, { ROOMCAST_DESTINATIONS: 'youtube:****wxyz facebook:FB-new-secret-key-9876' });
    assert.equal(p.changes.length, 1);
    assert.equal(p.changes[0]?.impact, 'reconnect');
    assert.equal(p.changes[0]?.message, 'stops streaming to twitch:****abcd; starts streaming to facebook:****9876. The other destinations and the recording go on.');
    assert.equal(p.interrupts, true);
  });
});
