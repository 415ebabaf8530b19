import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideDesired, reportedValues } from '../../device/fleet/twin.js';
import { significantChange } from '../../device/fleet/report-throttle.js';
import { initialState } from '../../device/state.js';
import { configFrom } from '../helpers/config.js';

const KEY = 'live_123456789_abcdefghij';

describe('decideDesired', () => {
  it('ignores a version that is not newer than the applied one', () => {
    assert.deepEqual(decideDesired({ version: 3, config: {} }, 3, {}), { kind: 'ignore' });
    assert.deepEqual(decideDesired({ version: 2, config: {} }, 3, {}), { kind: 'ignore' });
  });

  it('applies a newer valid config laid over the box\'s own variables', () => {
    const d = decideDesired({ version: 4, config: { ROOMCAST_DESTINATIONS: `twitch:${KEY}` } }, 3, { ROOMCAST_FRAMERATE: '25' });
    assert.equal(d.kind, 'apply');
    if (d.kind !== 'apply') return;
    assert.equal(d.version, 4);
    assert.equal(d.config.framerate, 25);
    assert.deepEqual(d.config.destinations.map((x) => x.platform), ['twitch']);
  });

  it('refuses an invalid config with every reason, none holding the key', () => {
    const d = decideDesired({ version: 5, config: { ROOMCAST_FRAMERATE: '500', ROOMCAST_DESTINATIONS: `twitch:${KEY} ftp://x/${KEY}`, ROOMCAST_DATA_DIR: '/tmp' } }, 1, {});
    assert.equal(d.kind, 'refuse');
    if (d.kind !== 'refuse') return;
    assert.equal(d.refusal.version, 5);
    assert.equal(d.refusal.errors.length, 3);
    assert.ok(d.refusal.errors.every((e) => !e.includes(KEY)), d.refusal.errors.join(' | '));
  });

  it('refuses the fleet link\'s own variables from the fleet', () => {
    const d = decideDesired({ version: 2, config: { ROOMCAST_FLEET_URL: 'http://evil.example' } }, 1, {});
    assert.equal(d.kind, 'refuse');
  });
});

describe('reportedValues', () => {
  it('masks keys, keeps known variables only, and never reports the enrolment token', () => {
    const values = reportedValues({ ROOMCAST_ENROLL_TOKEN: 'abcdefghijklmnopqrstuvwxyz', PATH: '/bin', ROOMCAST_FRAMERATE: '25' }, { ROOMCAST_DESTINATIONS: `twitch:${KEY}` });
    assert.deepEqual(values, { ROOMCAST_FRAMERATE: '25', ROOMCAST_DESTINATIONS: `twitch:****${KEY.slice(-4)}` });
  });
});

describe('significantChange', () => {
  const state = initialState(configFrom().destinations, null, new Date(0));
  it('ignores counters and meters', () => {
    const moved = { ...state, destinations: state.destinations.map((d) => ({ ...d, bytesSent: 99, bitrateKbps: 2600 })), audio: { ...state.audio, rmsDb: [-20, -20] } };
    assert.equal(significantChange(state, moved), false);
  });
  it('sees the phase, a destination state and the slate', () => {
    assert.equal(significantChange(state, { ...state, phase: 'live' }), true);
    assert.equal(significantChange(state, { ...state, destinations: state.destinations.map((d) => ({ ...d, state: 'retrying' as const })) }), true);
    assert.equal(significantChange(state, { ...state, video: { ...state.video, slate: true } }), true);
  });
});
