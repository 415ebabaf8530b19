import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planReconfigure } from '../../device/reconfigure.js';
import { configFrom } from '../helpers/config.js';

const TWO = 'youtube:aaaa-bbbb-cccc-dddd twitch:live_1111_2222';

describe('planReconfigure', () => {
  it('changes nothing for the same config', () => {
    const plan = planReconfigure(configFrom({ ROOMCAST_DESTINATIONS: TWO }), configFrom({ ROOMCAST_DESTINATIONS: TWO }));
    assert.deepEqual(plan, { changed: [], restartCore: false, stopDestinations: [], startDestinations: [], redrawSlate: false, janitor: false, reopenIpfs: false });
  });

  it('restarts only the destination whose stream key changed', () => {
    const plan = planReconfigure(configFrom({ ROOMCAST_DESTINATIONS: TWO }), configFrom({ ROOMCAST_DESTINATIONS: 'youtube:aaaa-bbbb-cccc-dddd twitch:live_3333_4444' }));
    assert.equal(plan.restartCore, false);
    assert.deepEqual(plan.stopDestinations, ['twitch']);
    assert.deepEqual(plan.startDestinations.map((d) => d.id), ['twitch']);
    assert.deepEqual(plan.changed, ['ROOMCAST_DESTINATIONS']);
  });

  it('adds and removes destinations without touching the others', () => {
    const plan = planReconfigure(configFrom({ ROOMCAST_DESTINATIONS: TWO }), configFrom({ ROOMCAST_DESTINATIONS: 'youtube:aaaa-bbbb-cccc-dddd rtmp://127.0.0.1:1935/live/x1234' }));
    assert.deepEqual(plan.stopDestinations, ['twitch']);
    assert.deepEqual(plan.startDestinations.map((d) => d.id), ['custom']);
  });

  it('restarts the core for a pipeline or recorder change, and keeps the relays', () => {
    for (const env of [{ ROOMCAST_FRAMERATE: '25' }, { ROOMCAST_RECORD_DIR: '/data/rec' }, { ROOMCAST_AUDIO_DELAY_MS: '100' }]) {
      const plan = planReconfigure(configFrom({ ROOMCAST_DESTINATIONS: TWO }), configFrom({ ROOMCAST_DESTINATIONS: TWO, ...env }));
      assert.equal(plan.restartCore, true, JSON.stringify(env));
      assert.deepEqual(plan.stopDestinations, []);
    }
  });

  it('renews every relay when the bitrate changes (they judge stalls by it)', () => {
    const plan = planReconfigure(configFrom({ ROOMCAST_DESTINATIONS: TWO }), configFrom({ ROOMCAST_DESTINATIONS: TWO, ROOMCAST_VIDEO_BITRATE: '4000' }));
    assert.equal(plan.restartCore, true);
    assert.deepEqual(plan.stopDestinations, ['youtube', 'twitch']);
    assert.deepEqual(plan.startDestinations.map((d) => d.id), ['youtube', 'twitch']);
  });

  it('renews the janitor for a new threshold without restarting anything', () => {
    const plan = planReconfigure(configFrom({ ROOMCAST_RECORD_DIR: '/data/rec' }), configFrom({ ROOMCAST_RECORD_DIR: '/data/rec', ROOMCAST_RECORD_MIN_FREE: '2GiB' }));
    assert.deepEqual(plan, { changed: ['ROOMCAST_RECORD_MIN_FREE'], restartCore: false, stopDestinations: [], startDestinations: [], redrawSlate: false, janitor: true, reopenIpfs: false });
  });

  it('redraws the slate for a new room name or message without restarting anything', () => {
    const plan = planReconfigure(configFrom({ ROOMCAST_DESTINATIONS: TWO }), configFrom({ ROOMCAST_DESTINATIONS: TWO, ROOMCAST_ROOM_NAME: 'Hall B', ROOMCAST_SLATE_MESSAGE: 'Back at 14:00' }));
    assert.deepEqual(plan, { changed: ['ROOMCAST_ROOM_NAME', 'ROOMCAST_SLATE_MESSAGE'], restartCore: false, stopDestinations: [], startDestinations: [], redrawSlate: true, janitor: false, reopenIpfs: false });
  });

  it('does not redraw a slate the core restart draws anyway', () => {
    const plan = planReconfigure(configFrom({ ROOMCAST_ROOM_NAME: 'A' }), configFrom({ ROOMCAST_ROOM_NAME: 'B', ROOMCAST_FRAMERATE: '25' }));
    assert.equal(plan.restartCore, true);
    assert.equal(plan.redrawSlate, false);
  });

  it('a new IPFS setting restarts the ipfs destination (its talk ends with a VOD) and reopens its node, and nothing else', () => {
    const plan = planReconfigure(configFrom({ ROOMCAST_DESTINATIONS: `${TWO} ipfs` }), configFrom({ ROOMCAST_DESTINATIONS: `${TWO} ipfs`, ROOMCAST_IPFS_KEEP: '2GiB' }));
    assert.equal(plan.restartCore, false);
    assert.equal(plan.reopenIpfs, true);
    assert.deepEqual(plan.stopDestinations, ['ipfs']);
    assert.deepEqual(plan.startDestinations.map((d) => d.id), ['ipfs']);
  });

  it('a new keyframe interval restarts the ipfs destination too: a segment is one GOP', () => {
    const plan = planReconfigure(configFrom({ ROOMCAST_DESTINATIONS: `${TWO} ipfs` }), configFrom({ ROOMCAST_DESTINATIONS: `${TWO} ipfs`, ROOMCAST_KEYFRAME_SECONDS: '4' }));
    assert.equal(plan.restartCore, true);
    assert.equal(plan.reopenIpfs, false);
    assert.deepEqual(plan.stopDestinations, ['ipfs']);
  });
});
