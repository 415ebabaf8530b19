import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BitrateHistory, HISTORY_MS } from '../../fleet/dashboard/bitrate-history.js';
import { buildDestinations, parseDestinations } from '../../fleet/dashboard/destination-words.js';
import { ago, destinationLine, liveState, meterPercent, pageTitle } from '../../fleet/dashboard/format.js';
import { presetOf, QUALITY_PRESETS } from '../../fleet/dashboard/presets.js';
import { fleetRunsNow } from '../../fleet/dashboard/updates-view.js';
import type { BoxRelease, Device, DestinationState, Release, Rollout as PageRollout } from '../../fleet/dashboard/types.js';
import type { Rollout as FleetRollout } from '../../fleet/balena/rollout-plan.js';
import type { DeviceRelease, ReleaseInfo } from '../../fleet/balena/types.js';
import type { DeviceView } from '../../fleet/device-view.js';

// The page declares the API's JSON it reads (fleet/dashboard/types.ts, compiled for the browser without the fleet's
// modules): this line stops the build when the fleet's device view no longer gives what the page reads.
export const viewFitsPage: (v: DeviceView) => Device = (v) => v;
// The same for the updates page's types (fleet/balena/).
export const rolloutFitsPage: (r: FleetRollout) => PageRollout = (r) => r;
export const releaseFitsPage: (r: ReleaseInfo) => Release = (r) => r;
export const boxReleaseFitsPage: (r: DeviceRelease) => BoxRelease = (r) => r;

/** The dashboard's pure parts (fleet/dashboard/), which run the same in Node. */
const dest = (state: DestinationState['state'], over: Partial<DestinationState> = {}): DestinationState => ({ id: 'd', platform: 'youtube', url: 'rtmp://a/****abcd', state, bitrateKbps: 2500, failures: 0, lastError: null, retryInMs: null, ...over });

describe('dashboard: the big state word', () => {
  it('is LIVE in green only when every destination receives the stream', () => {
    assert.deepEqual(liveState({ online: true, status: 'online', state: 'live', destinations: [dest('live')] }), { label: 'LIVE', tone: 'live', detail: 'Streaming' });
    assert.equal(liveState({ online: true, status: 'online', state: 'live', destinations: [dest('live'), dest('retrying')] }).tone, 'starting');
    assert.equal(liveState({ online: true, status: 'online', state: 'live', destinations: [dest('retrying')] }).label, 'NOT ON AIR');
    assert.equal(liveState({ online: true, status: 'online', state: 'live', destinations: [dest('connecting')] }).label, 'STARTING');
    assert.equal(liveState({ online: true, status: 'online', state: 'live', destinations: [] }).detail, 'Recording only');
  });

  it('says LOST or OFF for a box that is away, whatever it last reported', () => {
    assert.deepEqual(liveState({ online: false, status: 'lost', state: 'live', destinations: [dest('live')] }), { label: 'LOST', tone: 'offline', detail: 'No contact with the box (it was live)' });
    assert.equal(liveState({ online: false, status: 'offline', state: 'idle', destinations: [] }).label, 'OFF');
    assert.equal(liveState({ online: true, status: 'online', state: 'error', destinations: [] }).label, 'ERROR');
  });

  it('words a failing destination with its reason and next try', () => {
    assert.deepEqual(destinationLine(dest('retrying', { lastError: 'connection refused', retryInMs: 4200 })), { label: 'YouTube', tone: 'error', detail: 'failing: connection refused, next try in 4 s' });
    assert.equal(destinationLine(dest('live', { bitrateKbps: 4500 })).detail, 'live · 4.5 Mbit/s');
  });

  it('formats times, meters and the title', () => {
    assert.equal(ago('2026-11-22T12:00:00Z', Date.parse('2026-11-22T12:00:30Z')), '30 s ago');
    assert.equal(ago('2026-11-22T12:00:00Z', Date.parse('2026-11-22T12:10:00Z')), '10 min ago');
    assert.equal(ago(null, 0), 'never');
    assert.deepEqual([-100, -60, -30, 0, 3].map(meterPercent), [0, 0, 50, 100, 100]);
    assert.equal(pageTitle(0), 'roomcast');
    assert.equal(pageTitle(2), '(2) roomcast: 2 rooms need attention');
  });
});

describe('dashboard: destinations with write-only keys', () => {
  it('sends a kept key back masked, and a new key in full', () => {
    const rows = parseDestinations('twitch:****abcd rtmp://ingest.example:1935/live/****1234');
    assert.deepEqual(rows.map((r) => [r.platform, r.server, r.maskedKey]), [['twitch', '', '****abcd'], ['custom', 'rtmp://ingest.example:1935/live', '****1234']]);
    assert.deepEqual(buildDestinations(rows), { ok: true, value: 'twitch:****abcd rtmp://ingest.example:1935/live/****1234' });
    rows[1]!.newKey = 'new-key-5678';
    assert.deepEqual(buildDestinations(rows), { ok: true, value: 'twitch:****abcd rtmp://ingest.example:1935/live/new-key-5678' });
  });

  it('asks for a key where the stored one cannot be kept', () => {
    const rows = parseDestinations('twitch:****abcd rtmp://ingest.example/live/****1234');
    rows[0]!.platform = 'youtube';
    rows[1]!.server = 'rtmp://elsewhere.example/live';
    rows.push({ platform: 'custom', server: 'ftp://nope', maskedKey: '', newKey: 'k', original: null });
    const out = buildDestinations(rows);
    assert.deepEqual(out, {
      ok: false,
      errors: ['Destination 1: type the youtube stream key', 'Destination 2: type the stream key again (the server changed)', 'Destination 3: the server must look like rtmp://host/app or rtmps://host:443/app'],
    });
  });
});

describe('dashboard: quality presets and bitrate history', () => {
  it('finds the preset a box runs, defaults included', () => {
    assert.equal(presetOf({})?.id, '720p30');
    assert.equal(presetOf({ ROOMCAST_VIDEO_SIZE: '1920x1080', ROOMCAST_VIDEO_BITRATE: '4500' })?.id, '1080p30');
    assert.equal(presetOf({ ROOMCAST_VIDEO_SIZE: '320x180' }), null);
    assert.ok(QUALITY_PRESETS.some((p) => p.size === '854x480' && p.bitrateKbps === '1200'));
  });

  it('keeps samples once, in order, for the last minutes', () => {
    const h = new BitrateHistory();
    const t = (s: number): string => new Date(Date.UTC(2026, 10, 22) + s * 1000).toISOString();
    h.add('a', t(10), 300);
    h.add('a', t(0), 100);
    h.add('a', t(10), 999);
    h.add('a', t(5), undefined);
    h.add('a', null, 5);
    assert.deepEqual(h.recent('a', Date.parse(t(10))).map((p) => p.kbps), [100, 300]);
    h.add('a', new Date(Date.parse(t(10)) + HISTORY_MS).toISOString(), 400);
    assert.deepEqual(h.recent('a', Date.parse(t(10)) + HISTORY_MS).map((p) => p.kbps), [300, 400], 'older than the window is dropped');
  });
});

describe('dashboard: the ipfs destination', () => {
  it('reads and writes the ipfs word, with no key', () => {
    const rows = parseDestinations('twitch:****abcd ipfs');
    assert.deepEqual(rows.map((r) => r.platform), ['twitch', 'ipfs']);
    assert.deepEqual(buildDestinations(rows), { ok: true, value: 'twitch:****abcd ipfs' });
  });
});

describe('dashboard: the release the fleet can be pinned to safely', () => {
  const ref = (id: number) => ({ id, commit: String(id).repeat(8), version: `1.${id}.0` });
  const box = (running: number | null, pinned: number | null = null) => ({ deviceId: 'b', name: 'b', online: true, running: running === null ? null : ref(running), target: null, pinned: pinned === null ? null : ref(pinned) });
  it('is the release every box that follows the fleet runs', () => {
    assert.equal(fleetRunsNow([box(1), box(1), box(2, 2)])?.id, 1);
  });
  it('is none when they differ or run nothing yet', () => {
    assert.equal(fleetRunsNow([box(1), box(2)]), null);
    assert.equal(fleetRunsNow([box(null)]), null);
    assert.equal(fleetRunsNow([]), null);
  });
});
