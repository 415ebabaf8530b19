import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../common/config/load.js';
import type { Destination } from '../../common/destination.js';
import type { HostStats } from '../../device/pipeline/host-messages.js';
import { applyStats, initialState, mediaFlowing, withPhase, type DestinationState, type StreamState } from '../../device/state.js';

const T0 = new Date('2026-11-22T14:15:03.000Z');
const T1 = new Date('2026-11-22T14:15:09.000Z');
const YT_KEY = 'abcd-efgh-ijkl-mnop-qrst';

function destinations(words: string): Destination[] {
  const result = loadConfig({ ROOMCAST_DESTINATIONS: words });
  if (!result.ok) throw result.error;
  return result.config.destinations;
}

const DESTS = destinations(`youtube:${YT_KEY} twitch:live_123456789_AbCdEfGhIjKlMnOp`);

function sample(at: number, bytes: Record<string, number>, video: HostStats['video'] = null): { at: number; stats: HostStats } {
  return { at, stats: { video, destinations: Object.fromEntries(Object.entries(bytes).map(([id, bytesSent]) => [id, { bytesSent }])) } };
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
  it('is idle, with each destination idle and shown by its masked URL', () => {
    const s = initialState(DESTS, '/data/recordings', T0);
    assert.equal(s.phase, 'idle');
    assert.equal(s.reason, null);
    assert.equal(s.since, '2026-11-22T14:15:03.000Z');
    assert.deepEqual(s.destinations[0], { id: 'youtube', platform: 'youtube', url: 'rtmp://a.rtmp.youtube.com/live2/****qrst', state: 'idle', bytesSent: 0, bitrateKbps: 0 });
    assert.ok(!JSON.stringify(s).includes(YT_KEY));
    assert.deepEqual(s.encoder, { fps: null, droppedFrames: 0, duplicatedFrames: 0 });
    assert.deepEqual(s.recording, { enabled: true, dir: '/data/recordings', currentSegment: null, segmentsClosed: 0 });
    assert.equal(s.restarts, 0);
  });

  it('recording is disabled without a record dir', () => {
    assert.equal(initialState(DESTS, null, T0).recording.enabled, false);
  });
});

describe('withPhase', () => {
  const live: StreamState = {
    ...withDestinationStates(initialState(DESTS, '/data', T0), 'live', 2500),
    phase: 'live',
    encoder: { fps: 30, droppedFrames: 2, duplicatedFrames: 1 },
    recording: { enabled: true, dir: '/data', currentSegment: '/data/roomcast-x-00001.ts', segmentsClosed: 1 },
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

  for (const phase of ['idle', 'error'] as const) {
    it(`${phase} sets every destination idle at 0 kbps and clears fps and the open segment`, () => {
      const s = withPhase(live, phase, phase === 'error' ? 'rtmp2sink: connection refused' : null, T1);
      assert.equal(s.phase, phase);
      assert.deepEqual(s.destinations.map((d) => [d.state, d.bitrateKbps]), [['idle', 0], ['idle', 0]]);
      assert.equal(s.encoder.fps, null);
      assert.equal(s.encoder.droppedFrames, 2);
      assert.equal(s.recording.currentSegment, null);
      assert.equal(s.recording.segmentsClosed, 1);
    });
  }
});

describe('applyStats', () => {
  const start = withPhase(initialState(DESTS, null, T0), 'starting', null, T0);

  it('computes the bitrate over the time between samples', () => {
    const s = applyStats(start, sample(1000, { youtube: 10_000, twitch: 10_000 }), sample(2000, { youtube: 322_500, twitch: 166_250 }));
    assert.equal(dest(s, 'youtube').bitrateKbps, 2500);
    assert.equal(dest(s, 'twitch').bitrateKbps, 1250);
    assert.equal(dest(s, 'youtube').bytesSent, 322_500);
  });

  it('scales the bitrate to a sample interval other than 1 s', () => {
    const s = applyStats(start, sample(1000, { youtube: 10_000 }), sample(1500, { youtube: 166_250 }));
    assert.equal(dest(s, 'youtube').bitrateKbps, 2500);
  });

  it('the first sample of a run has no bitrate yet', () => {
    const s = applyStats(start, null, sample(1000, { youtube: 100_000, twitch: 100_000 }));
    assert.equal(dest(s, 'youtube').bitrateKbps, 0);
    assert.equal(dest(s, 'youtube').state, 'live');
  });

  it('is connecting while no more than the handshake bytes were sent', () => {
    const s = applyStats(start, sample(1000, { youtube: 0, twitch: 1536 }), sample(2000, { youtube: 3073, twitch: 4096 }));
    assert.equal(dest(s, 'youtube').state, 'connecting');
    assert.equal(dest(s, 'twitch').state, 'connecting');
  });

  it('a destination missing from the stats is connecting', () => {
    const s = applyStats(start, sample(1000, { youtube: 50_000 }), sample(2000, { youtube: 80_000 }));
    assert.deepEqual([dest(s, 'twitch').state, dest(s, 'twitch').bytesSent], ['connecting', 0]);
  });

  it('is live when bytes beyond the handshake increase', () => {
    const s = applyStats(start, sample(1000, { youtube: 4096 }), sample(2000, { youtube: 4097 }));
    assert.equal(dest(s, 'youtube').state, 'live');
  });

  it('is stalled when a live destination stops sending', () => {
    const live = applyStats(start, sample(1000, { youtube: 10_000, twitch: 10_000 }), sample(2000, { youtube: 500_000, twitch: 500_000 }));
    const s = applyStats(live, sample(2000, { youtube: 500_000, twitch: 500_000 }), sample(3000, { youtube: 500_000, twitch: 800_000 }));
    assert.deepEqual([dest(s, 'youtube').state, dest(s, 'youtube').bitrateKbps], ['stalled', 0]);
    assert.equal(dest(s, 'twitch').state, 'live');
  });

  it('a counter that goes backwards gives 0 kbps, never a negative bitrate', () => {
    const s = applyStats(start, sample(1000, { youtube: 900_000 }), sample(2000, { youtube: 100_000 }));
    assert.equal(dest(s, 'youtube').bitrateKbps, 0);
  });

  it('fps is the change of videorate out frames over time, to one decimal', () => {
    const a = applyStats(start, sample(1000, {}, { in: 300, out: 300, dropped: 0, duplicated: 0 }), sample(2000, {}, { in: 330, out: 330, dropped: 1, duplicated: 2 }));
    assert.equal(a.encoder.fps, 30);
    assert.equal(a.encoder.droppedFrames, 1);
    assert.equal(a.encoder.duplicatedFrames, 2);
    const b = applyStats(start, sample(1000, {}, { in: 0, out: 0, dropped: 0, duplicated: 0 }), sample(3000, {}, { in: 59, out: 59, dropped: 0, duplicated: 0 }));
    assert.equal(b.encoder.fps, 29.5);
  });

  it('fps is unchanged without a previous video sample (first sample, or passthrough)', () => {
    const first = applyStats(start, null, sample(1000, {}, { in: 30, out: 30, dropped: 0, duplicated: 0 }));
    assert.equal(first.encoder.fps, null);
    const passthrough = applyStats({ ...start, encoder: { fps: 25, droppedFrames: 3, duplicatedFrames: 4 } }, sample(1000, {}), sample(2000, {}));
    assert.deepEqual(passthrough.encoder, { fps: 25, droppedFrames: 3, duplicatedFrames: 4 });
  });
});

describe('mediaFlowing', () => {
  const base = initialState(DESTS, '/data', T0);

  it('is true only when every destination is live', () => {
    assert.equal(mediaFlowing(withDestinationStates(base, 'live', 2500)), true);
    const oneConnecting = { ...base, destinations: [{ ...dest(base, 'youtube'), state: 'live' as const }, { ...dest(base, 'twitch'), state: 'connecting' as const }] };
    assert.equal(mediaFlowing(oneConnecting), false);
    assert.equal(mediaFlowing(base), false);
  });

  it('without destinations, is true once the recorder has a segment open', () => {
    const recordOnly = initialState([], '/data', T0);
    assert.equal(mediaFlowing(recordOnly), false);
    assert.equal(mediaFlowing({ ...recordOnly, recording: { ...recordOnly.recording, currentSegment: '/data/roomcast-x-00000.ts' } }), true);
  });

  it('with destinations, an open segment alone is not enough', () => {
    assert.equal(mediaFlowing({ ...base, recording: { ...base.recording, currentSegment: '/data/roomcast-x-00000.ts' } }), false);
  });
});
