import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { initialState } from '../../device/state.js';
import { attentionFor, HOT_C, LOW_DATA_BYTES, LOW_DISK_BYTES, TOO_HOT_C, type AttentionKind } from '../../fleet/attention.js';
import type { DeviceView } from '../../fleet/device-view.js';

const NOW = new Date('2026-11-22T12:00:00.000Z');

/** A healthy live box with one live destination, recording, with room to spare. */
function view(over: Partial<Omit<DeviceView, 'attention'>> = {}): Omit<DeviceView, 'attention'> {
  const s = initialState([], '/data/rec', NOW);
  return {
    id: 'box-a', name: 'Main hall', online: true, status: 'online', state: 'live', stateReason: null, lastSeen: NOW.toISOString(), enrolledAt: NOW.toISOString(),
    revoked: false, desiredVersion: 1, appliedVersion: 1, refused: null, config: {}, running: {},
    destinations: [{ id: 'd1', platform: 'youtube', url: 'rtmp://a.rtmp.youtube.com/live2/****abcd', state: 'live', bytesSent: 1, bitrateKbps: 2500, failures: 0, lastError: null, retryInMs: null }],
    stream: { since: s.since, encoder: s.encoder, video: s.video, recording: { ...s.recording, freeBytes: 50 * 1024 ** 3 }, restarts: 0, audio: { ...s.audio, peakDb: [-12, -12], rmsDb: [-20, -20] } },
    health: { tempC: 55, dataFreeBytes: 10 * 1024 ** 3, recordFreeBytes: 50 * 1024 ** 3 },
    healthAt: NOW.toISOString(),
    ipfs: null,
    update: null,
    updateWaiting: false,
    ...over,
  };
}

const kinds = (v: Omit<DeviceView, 'attention'>): AttentionKind[] => attentionFor(v).map((a) => a.kind);
const base = view();
const stream = base.stream ?? assert.fail('stream');

describe('attentionFor', () => {
  it('says nothing about a healthy live box, an idle one, or a revoked one', () => {
    assert.deepEqual(attentionFor(base), []);
    assert.deepEqual(attentionFor(view({ state: 'idle' })), []);
    assert.deepEqual(attentionFor(view({ revoked: true, online: false, status: 'lost' })), []);
  });

  it('flags a box that went away while live, but not one that was idle', () => {
    const lost = attentionFor(view({ online: false, status: 'lost' }));
    assert.deepEqual(lost.map((a) => [a.kind, a.severity]), [['box-unreachable', 'critical']]);
    assert.match(lost[0]?.message ?? '', /connection lost/);
    assert.match(attentionFor(view({ online: false, status: 'offline', state: 'starting' }))[0]?.message ?? '', /switched off/);
    assert.deepEqual(kinds(view({ online: false, status: 'lost', state: 'idle' })), []);
    assert.deepEqual(kinds(view({ online: false, status: null, state: 'live' })), [], 'never connected');
    // Stale figures of a box that is away are not judged.
    assert.deepEqual(kinds(view({ online: false, status: 'lost', state: 'idle', health: { tempC: 95, underVoltageNow: true } })), []);
  });

  it('names a failing destination with its reason and next try, only while streaming', () => {
    const retrying = { ...base.destinations[0]!, state: 'retrying' as const, failures: 2, lastError: 'connection refused', retryInMs: 7400 };
    const out = attentionFor(view({ destinations: [retrying] }));
    assert.deepEqual(out.map((a) => a.kind), ['destination-failing']);
    assert.equal(out[0]?.message, 'YouTube is not receiving the stream (connection refused). Retrying by itself. Next try in 7 s.');
    assert.deepEqual(kinds(view({ state: 'idle', destinations: [retrying] })), []);
  });

  it('flags the slate, a failed or silent microphone and a stopped recording while live', () => {
    assert.deepEqual(kinds(view({ stream: { ...stream, video: { slate: true, slateSince: NOW.toISOString(), lastError: 'camera unplugged', losses: 1 } } })), ['camera-lost']);
    assert.deepEqual(kinds(view({ stream: { ...stream, audio: { ...stream.audio, silent: true } } })), ['mic-silent']);
    assert.deepEqual(kinds(view({ stream: { ...stream, audio: { ...stream.audio, silent: true, failed: true, failReason: 'unplugged' } } })), ['mic-failed'], 'failed, not also silent');
    assert.deepEqual(kinds(view({ state: 'idle', stream: { ...stream, audio: { ...stream.audio, silent: true } } })), [], 'silence while idle is nobody\'s problem');
    assert.deepEqual(kinds(view({ stream: { ...stream, recording: { ...stream.recording, stopped: 'disk full' } } })), ['recording-stopped']);
  });

  it('warns of low disk where the box records, or a nearly full data disk', () => {
    assert.deepEqual(kinds(view({ stream: { ...stream, recording: { ...stream.recording, freeBytes: LOW_DISK_BYTES - 1 } } })), ['disk-low']);
    assert.deepEqual(kinds(view({ health: { recordFreeBytes: LOW_DISK_BYTES - 1 } })), ['disk-low']);
    assert.deepEqual(kinds(view({ stream: { ...stream, recording: { ...stream.recording, enabled: false, freeBytes: 1 } }, health: { recordFreeBytes: 1 } })), [], 'not recording');
    assert.deepEqual(kinds(view({ health: { dataFreeBytes: LOW_DATA_BYTES - 1 } })), ['disk-low']);
    assert.match(attentionFor(view({ health: { recordFreeBytes: 1.5 * 1024 ** 3 } }))[0]?.message ?? '', /1\.5 GiB free/);
  });

  it('warns of power, throttling and heat', () => {
    assert.deepEqual(kinds(view({ health: { underVoltageNow: true } })), ['under-voltage']);
    assert.deepEqual(kinds(view({ health: { underVoltageOccurred: true } })), [], 'only what happens now');
    assert.deepEqual(kinds(view({ health: { throttledNow: true } })), ['throttled']);
    assert.deepEqual(attentionFor(view({ health: { tempC: HOT_C } })).map((a) => [a.kind, a.severity]), [['too-hot', 'warning']]);
    assert.deepEqual(attentionFor(view({ health: { tempC: TOO_HOT_C, softTempLimitNow: true } })).map((a) => [a.kind, a.severity]), [['too-hot', 'critical']]);
  });

  it('flags an error and a refused config, and puts what is critical first', () => {
    const out = attentionFor(view({ state: 'error', stateReason: 'no camera', refused: { version: 3, errors: ['ROOMCAST_FRAMERATE: 0 is outside 1..60'] }, health: { underVoltageNow: true } }));
    assert.deepEqual(out.map((a) => a.kind), ['stream-error', 'under-voltage', 'config-refused']);
    assert.match(out[0]?.message ?? '', /no camera/);
    assert.match(out[2]?.message ?? '', /ROOMCAST_FRAMERATE/);
  });
});
