import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReportedState } from '../../common/protocol.js';
import { initialState, withPhase, type DestinationState } from '../../device/state.js';
import { timelineEvents, type StoredBoxState } from '../../fleet/timeline.js';

const AT = '2026-11-22T12:00:00.000Z';
const T0 = new Date(AT);
const dest: DestinationState = { id: 'd1', platform: 'twitch', url: 'rtmp://live.twitch.tv/app/****abcd', state: 'connecting', bytesSent: 0, bitrateKbps: 0, failures: 0, lastError: null, retryInMs: null };

function reported(over: Partial<ReportedState['state']> = {}, top: Partial<ReportedState> = {}): ReportedState {
  return { appliedVersion: 1, config: {}, state: { ...initialState([], null, T0), destinations: [dest], ...over }, ...top };
}
const box = (r: ReportedState | null, status: StoredBoxState['status'] = 'online'): StoredBoxState => ({ status, reported: r });
const kinds = (before: StoredBoxState, after: StoredBoxState): string[] => timelineEvents(before, after, AT).map((e) => e.kind);

describe('timelineEvents', () => {
  it('gives nothing for an unchanged state, and stamps events with the time given', () => {
    const r = reported();
    assert.deepEqual(timelineEvents(box(r), box(structuredClone(r)), AT), []);
    const [event] = timelineEvents(box(r, 'lost'), box(r), AT);
    assert.deepEqual(event, { at: AT, kind: 'online', message: 'The box came online.' });
  });

  it('tells status changes apart', () => {
    assert.deepEqual(kinds(box(null), box(null, 'lost')), ['lost']);
    assert.deepEqual(kinds(box(null), box(null, 'offline')), ['offline']);
    assert.deepEqual(kinds(box(null, null), box(null, 'online')), ['online']);
  });

  it('follows the phase: starting, live, stopped, error with its reason', () => {
    const idle = reported();
    const starting = reported({ phase: 'starting' });
    const live = reported({ phase: 'live' });
    assert.deepEqual(kinds(box(idle), box(starting)), ['starting']);
    assert.deepEqual(kinds(box(starting), box(live)), ['live']);
    assert.deepEqual(kinds(box(live), box(reported({ phase: 'stopping' }))), []);
    assert.deepEqual(kinds(box(reported({ phase: 'stopping' })), box(idle)), ['stopped']);
    const error = timelineEvents(box(live), box({ ...live, state: withPhase(live.state, 'error', 'no camera found', T0) }), AT);
    assert.deepEqual(error.map((e) => e.message), ['The stream stopped with an error: no camera found.']);
    assert.deepEqual(kinds(box(null), box(idle)), [], 'the first report of an idle box is no stop');
  });

  it('tells when a destination receives the stream, and each failed attempt with its reason', () => {
    const live = reported({ phase: 'live', destinations: [{ ...dest, state: 'live' }] });
    assert.deepEqual(kinds(box(reported({ phase: 'live' })), box(live)), ['destination-live']);
    const retry = reported({ phase: 'live', destinations: [{ ...dest, state: 'retrying', failures: 1, lastError: 'connection refused', retryInMs: 2000 }] });
    assert.deepEqual(timelineEvents(box(live), box(retry), AT).map((e) => e.message), ['Twitch failed (connection refused); next try in 2 s.']);
    const again = reported({ phase: 'live', destinations: [{ ...dest, state: 'retrying', failures: 2, lastError: 'connection refused', retryInMs: 4000 }] });
    assert.deepEqual(kinds(box(retry), box(again)), ['destination-retrying']);
    assert.deepEqual(kinds(box(again), box(again)), []);
  });

  it('tells slate on and off, microphone silent, failed and back, recording stopped', () => {
    const r = reported({ phase: 'live' });
    const slate = reported({ phase: 'live', video: { slate: true, slateSince: AT, lastError: 'camera unplugged', losses: 1 } });
    assert.deepEqual(timelineEvents(box(r), box(slate), AT).map((e) => e.message), ['Camera lost: the slate is showing (camera unplugged).']);
    assert.deepEqual(kinds(box(slate), box(r)), ['slate-off']);
    const silent = reported({ phase: 'live', audio: { ...r.state.audio, silent: true } });
    assert.deepEqual(kinds(box(r), box(silent)), ['mic-silent']);
    assert.deepEqual(kinds(box(silent), box(r)), ['mic-back']);
    assert.deepEqual(kinds(box(r), box(reported({ phase: 'live', audio: { ...r.state.audio, failed: true, failReason: 'unplugged' } }))), ['mic-failed']);
    assert.deepEqual(kinds(box(r), box(reported({ phase: 'live', recording: { ...r.state.recording, stopped: 'the disk is full' } }))), ['recording-stopped']);
  });

  it('tells a config applied or refused, once per version', () => {
    const v1 = reported();
    const v2 = reported({}, { appliedVersion: 2 });
    assert.deepEqual(timelineEvents(box(v1), box(v2), AT).map((e) => e.message), ['Settings version 2 applied.']);
    const refused = reported({}, { refused: { version: 3, errors: ['ROOMCAST_FRAMERATE: 0 is outside 1..60'] } });
    assert.deepEqual(timelineEvents(box(v1), box(refused), AT).map((e) => e.message), ['Settings version 3 refused: ROOMCAST_FRAMERATE: 0 is outside 1..60']);
    assert.deepEqual(kinds(box(refused), box(structuredClone(refused))), []);
  });
});
