import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../common/config/load.js';
import type { Destination } from '../../common/destination.js';
import type { HostStats } from '../../device/pipeline/host-messages.js';
import { applyCoreStats, HANDSHAKE_BYTES, initialState, mediaFlowing, relayProgress, withDestination, withPhase, type DestinationState, type StreamState } from '../../device/state.js';

const T0 = new Date('2026-11-22T14:15:03.000Z');
const T1 = new Date('2026-11-22T14:15:09.000Z');
const YT_KEY = 'abcd-efgh-ijkl-mnop-qrst';

function destinations(words: string): Destination[] {
  const result = loadConfig({ ROOMCAST_DESTINATIONS: words });
  if (!result.ok) throw result.error;
  return result.config.destinations;
}

const DESTS = destinations(`youtube:${YT_KEY} twitch:live_123456789_AbCdEfGhIjKlMnOp`);

/** A sample of the core's statistics (no rtmp2sink there). */
function coreSample(at: number, video: HostStats['video']): { at: number; stats: HostStats } {
  return { at, stats: { video, bytesSent: null, unackedBytes: null } };
}

function frames(passed: number, dropped = 0): NonNullable<HostStats['video']> {
  return { in: passed + dropped, dropped };
}

function dest(state: StreamState, id: string): DestinationState {
  const d = state.destinations.find((x) => x.id === id);
  assert.ok(d, `no destination ${id}`);
  return d;
}

function withDestinationStates(state: StreamState, s: DestinationState['state'], bitrateKbps: number): StreamState {
  return { ...state, destinations: state.destinations.map((d) => ({ ...d, state: s, bitrateKbps })) };
}

describe('initialState', () => {
  it('is idle, with each destination idle, never failed, and shown by its masked URL', () => {
    const s = initialState(DESTS, '/data/recordings', T0);
    assert.equal(s.phase, 'idle');
    assert.equal(s.reason, null);
    assert.equal(s.since, '2026-11-22T14:15:03.000Z');
    assert.deepEqual(s.destinations[0], {
      id: 'youtube',
      platform: 'youtube',
      url: 'rtmp://a.rtmp.youtube.com/live2/****qrst',
      state: 'idle',
      bytesSent: 0,
      bitrateKbps: 0,
      failures: 0,
      lastError: null,
      retryInMs: null,
    });
    assert.deepEqual(s.destinations.map((d) => d.id), ['youtube', 'twitch']);
    assert.ok(!JSON.stringify(s).includes(YT_KEY));
    assert.deepEqual(s.encoder, { fps: null, droppedFrames: 0, });
    assert.deepEqual(s.recording, { enabled: true, dir: '/data/recordings', currentSegment: null, segmentsClosed: 0, freeBytes: null, segmentsRemoved: 0, stopped: null });
    assert.equal(s.restarts, 0);
  });

  it('recording is disabled without a record dir', () => {
    assert.equal(initialState(DESTS, null, T0).recording.enabled, false);
  });
});

describe('withPhase', () => {
  const base = initialState(DESTS, '/data', T0);
  /** Live, with YouTube publishing and Twitch waiting for its third attempt. */
  const live: StreamState = {
    ...base,
    phase: 'live',
    destinations: [
      { ...dest(base, 'youtube'), state: 'live', bytesSent: 900_000, bitrateKbps: 2500 },
      { ...dest(base, 'twitch'), state: 'retrying', failures: 2, lastError: 'rtmp2sink: connection refused', retryInMs: 2000 },
    ],
    encoder: { fps: 30, droppedFrames: 2 },
    recording: { enabled: true, dir: '/data', currentSegment: '/data/roomcast-x-00001.ts', segmentsClosed: 1, freeBytes: 5e9, segmentsRemoved: 0, stopped: null },
  };

  it('returns the same state when phase and reason are unchanged', () => {
    assert.equal(withPhase(live, 'live', null, T1), live);
  });

  it('starting keeps destination states, fps and the open segment', () => {
    const s = withPhase(live, 'starting', null, T1);
    assert.equal(s.phase, 'starting');
    assert.equal(s.since, T1.toISOString());
    assert.deepEqual(s.destinations, live.destinations);
    assert.equal(s.encoder.fps, 30);
    assert.equal(s.recording.currentSegment, '/data/roomcast-x-00001.ts');
  });

  it('idle sets every destination idle at 0 kbps with no retry pending, and clears fps and the open segment', () => {
    const s = withPhase(live, 'idle', null, T1);
    assert.equal(s.phase, 'idle');
    assert.equal(s.since, T1.toISOString());
    assert.deepEqual(s.destinations.map((d) => [d.id, d.url, d.state, d.bitrateKbps, d.retryInMs]), [
      ['youtube', 'rtmp://a.rtmp.youtube.com/live2/****qrst', 'idle', 0, null],
      ['twitch', dest(live, 'twitch').url, 'idle', 0, null],
    ]);
    assert.equal(s.encoder.fps, null);
    assert.equal(s.encoder.droppedFrames, 2);
    assert.equal(s.recording.currentSegment, null);
    assert.equal(s.recording.segmentsClosed, 1);
  });

  it('error keeps the destinations as their relays left them, and clears fps and the open segment', () => {
    const s = withPhase(live, 'error', 'x264enc: not negotiated', T1);
    assert.equal(s.phase, 'error');
    assert.equal(s.reason, 'x264enc: not negotiated');
    assert.deepEqual(s.destinations, live.destinations);
    assert.equal(s.encoder.fps, null);
    assert.equal(s.encoder.droppedFrames, 2);
    assert.equal(s.recording.currentSegment, null);
    assert.equal(s.recording.segmentsClosed, 1);
  });

  it('does not change the state it was given', () => {
    const before = structuredClone(live);
    withPhase(live, 'idle', null, T1);
    withPhase(live, 'error', 'boom', T1);
    assert.deepEqual(live, before);
  });
});

describe('applyCoreStats', () => {
  const start = withPhase(initialState(DESTS, null, T0), 'starting', null, T0);

  it('fps is the change of camera frames passed to the encoder over time, to one decimal', () => {
    const a = applyCoreStats(start, coreSample(1000, frames(300)), coreSample(2000, frames(330, 1)));
    assert.equal(a.encoder.fps, 30);
    assert.equal(a.encoder.droppedFrames, 1);
    const b = applyCoreStats(start, coreSample(1000, frames(0)), coreSample(3000, frames(59)));
    assert.equal(b.encoder.fps, 29.5);
  });

  it('counts the frames passed, not those dropped above the frame rate (a 60 fps camera)', () => {
    const s = applyCoreStats(start, coreSample(1000, { in: 600, dropped: 300 }), coreSample(2000, { in: 660, dropped: 330 }));
    assert.equal(s.encoder.fps, 30);
  });

  it('keeps the last fps when the camera pipeline was rebuilt and counts from zero again', () => {
    const before = { ...start, encoder: { fps: 30, droppedFrames: 0 } };
    const s = applyCoreStats(before, coreSample(1000, frames(900)), coreSample(2000, frames(12)));
    assert.equal(s.encoder.fps, 30);
  });

  it('dropped frames are videorate totals, not per-sample differences', () => {
    const s = applyCoreStats({ ...start, encoder: { fps: 30, droppedFrames: 5 } }, coreSample(1000, frames(300, 5)), coreSample(2000, frames(330, 7)));
    assert.deepEqual(s.encoder, { fps: 30, droppedFrames: 7 });
  });

  it('fps is unchanged without a previous video sample (first sample, or passthrough)', () => {
    const first = applyCoreStats(start, null, coreSample(1000, frames(30)));
    assert.equal(first.encoder.fps, null);
    const passthrough = applyCoreStats({ ...start, encoder: { fps: 25, droppedFrames: 3 } }, coreSample(1000, null), coreSample(2000, null));
    assert.deepEqual(passthrough.encoder, { fps: 25, droppedFrames: 3 });
  });

  it('leaves the destinations, phase and recording to others', () => {
    const withLive = withDestination(start, 'youtube', { state: 'live', bytesSent: 500_000, bitrateKbps: 2500 });
    const s = applyCoreStats(withLive, coreSample(1000, frames(300)), coreSample(2000, frames(330)));
    assert.deepEqual(s.destinations, withLive.destinations);
    assert.equal(s.phase, 'starting');
    assert.deepEqual(s.recording, withLive.recording);
  });

  it('samples at the same instant give a finite fps', () => {
    const s = applyCoreStats(start, coreSample(1000, frames(300)), coreSample(1000, frames(300)));
    assert.equal(s.encoder.fps, 0);
  });
});

describe('relayProgress', () => {
  it('the handshake takes 4 KiB', () => {
    assert.equal(HANDSHAKE_BYTES, 4096);
  });

  it('computes the bitrate over the time between samples', () => {
    assert.deepEqual(relayProgress({ at: 1000, bytes: 10_000 }, { at: 2000, bytes: 322_500 }), { media: true, advanced: true, bitrateKbps: 2500 });
    assert.equal(relayProgress({ at: 1000, bytes: 10_000 }, { at: 2000, bytes: 166_250 }).bitrateKbps, 1250);
  });

  it('scales the bitrate to a sample interval other than 1 s', () => {
    assert.equal(relayProgress({ at: 1000, bytes: 10_000 }, { at: 1500, bytes: 166_250 }).bitrateKbps, 2500);
    assert.equal(relayProgress({ at: 1000, bytes: 10_000 }, { at: 3000, bytes: 635_000 }).bitrateKbps, 2500);
  });

  it('the first sample of a run counts as progress from zero (a relay starts at 0 bytes) but has no bitrate yet', () => {
    assert.deepEqual(relayProgress(null, { at: 1000, bytes: 100_000 }), { media: true, advanced: true, bitrateKbps: 0 });
    assert.deepEqual(relayProgress(null, { at: 1000, bytes: 0 }), { media: false, advanced: false, bitrateKbps: 0 });
  });

  it('is media only beyond the handshake bytes', () => {
    assert.equal(relayProgress({ at: 1000, bytes: 0 }, { at: 2000, bytes: 1536 }).media, false);
    assert.equal(relayProgress({ at: 1000, bytes: 1536 }, { at: 2000, bytes: HANDSHAKE_BYTES }).media, false);
    assert.equal(relayProgress({ at: 1000, bytes: HANDSHAKE_BYTES }, { at: 2000, bytes: HANDSHAKE_BYTES + 1 }).media, true);
  });

  it('advanced says whether the server took any byte since the previous sample', () => {
    assert.equal(relayProgress({ at: 1000, bytes: 4096 }, { at: 2000, bytes: 4097 }).advanced, true);
    assert.deepEqual(relayProgress({ at: 1000, bytes: 500_000 }, { at: 2000, bytes: 500_000 }), { media: true, advanced: false, bitrateKbps: 0 });
  });

  it('a counter that goes backwards gives 0 kbps and no advance, never a negative bitrate', () => {
    assert.deepEqual(relayProgress({ at: 1000, bytes: 900_000 }, { at: 2000, bytes: 100_000 }), { media: true, advanced: false, bitrateKbps: 0 });
  });

  it('samples at the same instant give a finite bitrate', () => {
    const p = relayProgress({ at: 1000, bytes: 10_000 }, { at: 1000, bytes: 20_000 });
    assert.ok(Number.isFinite(p.bitrateKbps), String(p.bitrateKbps));
    assert.equal(p.advanced, true);
  });
});

describe('withDestination', () => {
  const base = initialState(DESTS, null, T0);

  it('patches only the destination with that id', () => {
    const s = withDestination(base, 'twitch', { state: 'retrying', failures: 3, lastError: 'stalled: the server took no data for 3 s', retryInMs: 4000, bitrateKbps: 0 });
    assert.deepEqual(dest(s, 'twitch'), { ...dest(base, 'twitch'), state: 'retrying', failures: 3, lastError: 'stalled: the server took no data for 3 s', retryInMs: 4000, bitrateKbps: 0 });
    assert.deepEqual(dest(s, 'youtube'), dest(base, 'youtube'));
    assert.deepEqual(s.destinations.map((d) => d.id), ['youtube', 'twitch']);
  });

  it('keeps the fields the patch does not name', () => {
    const a = withDestination(base, 'youtube', { state: 'live', bytesSent: 400_000, bitrateKbps: 2500 });
    const b = withDestination(a, 'youtube', { bitrateKbps: 2400 });
    assert.deepEqual(dest(b, 'youtube'), { ...dest(base, 'youtube'), state: 'live', bytesSent: 400_000, bitrateKbps: 2400 });
  });

  it('leaves everything else, and the state it was given, unchanged', () => {
    const before = structuredClone(base);
    const s = withDestination(base, 'youtube', { state: 'connecting' });
    assert.deepEqual(base, before);
    assert.deepEqual({ ...s, destinations: null }, { ...base, destinations: null });
  });

  it('an unknown id changes nothing', () => {
    assert.deepEqual(withDestination(base, 'facebook', { state: 'live' }), base);
  });
});

describe('mediaFlowing', () => {
  const base = initialState(DESTS, '/data', T0);
  const segment = '/data/roomcast-x-00000.ts';

  it('is true once one destination is live, whatever the others do', () => {
    assert.equal(mediaFlowing(withDestinationStates(base, 'live', 2500)), true);
    assert.equal(mediaFlowing(withDestination(base, 'twitch', { state: 'live' })), true);
    const oneRetrying = withDestination(withDestination(base, 'youtube', { state: 'live' }), 'twitch', { state: 'retrying', failures: 4 });
    assert.equal(mediaFlowing(oneRetrying), true);
  });

  it('is false while no destination is live and no segment is open', () => {
    assert.equal(mediaFlowing(base), false);
    for (const s of ['idle', 'connecting', 'retrying'] as const) assert.equal(mediaFlowing(withDestinationStates(base, s, 0)), false, s);
  });

  it('without destinations, is true once the recorder has a segment open', () => {
    const recordOnly = initialState([], '/data', T0);
    assert.equal(mediaFlowing(recordOnly), false);
    assert.equal(mediaFlowing({ ...recordOnly, recording: { ...recordOnly.recording, currentSegment: segment } }), true);
  });

  it('with destinations, an open segment is enough even while none is live', () => {
    assert.equal(mediaFlowing({ ...withDestinationStates(base, 'retrying', 0), recording: { ...base.recording, currentSegment: segment } }), true);
  });
});
