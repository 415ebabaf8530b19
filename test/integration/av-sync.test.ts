import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { avOffsets, beeps, decodeSound, flips, frameLuma } from '../../testbed/picture-sound.js';
import { AgentProcess } from '../helpers/agent-process.js';
import { boxEnv, sleep } from '../helpers/env.js';
import { useIngest } from '../helpers/fixture.js';

/** One frame at 30 fps: the bound on the A/V offset. */
const FRAME_S = 1 / 30;

describe('A/V sync, measured in what the ingest received', () => {
  const f = useIngest('roomcast-avsync-');

  async function offsets(stream: string): Promise<number[]> {
    const files = await f.ingest.sessionsOf(stream);
    assert.equal(files.length, 1, `one session for ${stream}`);
    const file = files[0] ?? '';
    const flashes = flips(await frameLuma(file));
    const found = avOffsets(flashes, beeps(await decodeSound(file)));
    assert.ok(flashes.length >= 10, `flashes seen: ${flashes.length}`);
    assert.ok(found.length >= flashes.length - 1, `a beep for every flash: ${found.length} of ${flashes.length}`);
    return found.map((o) => o.offset);
  }

  test('the flash and the beep arrive within one frame of each other; ROOMCAST_AUDIO_DELAY_MS=200 moves the beep 200 ms later', async () => {
    const env = (name: string, extra: Record<string, string>) =>
      boxEnv(join(f.dir, name), { ROOMCAST_DESTINATIONS: f.ingest.url('live', `${name}-7d1e`), ROOMCAST_VIDEO_SIZE: '640x360', ROOMCAST_VIDEO_BITRATE: '1000', ROOMCAST_TEST_PATTERN: 'avsync', ...extra });
    const synced = AgentProcess.start(env('synced', {}));
    const delayed = AgentProcess.start(env('delayed', { ROOMCAST_AUDIO_DELAY_MS: '200' }));
    f.agents.push(synced, delayed);
    await Promise.all([synced, delayed].map((a) => a.waitFor((l) => l.msg === 'destination live', 20_000, 'destination live')));
    await sleep(15_000);
    await Promise.all([synced.proc.stop(), delayed.proc.stop()]);

    const inSync = await offsets('synced-7d1e');
    const worst = Math.max(...inSync.map(Math.abs));
    assert.ok(worst <= FRAME_S, `A/V offsets (ms): ${inSync.map((o) => Math.round(o * 1000)).join(' ')}`);

    const shifted = await offsets('delayed-7d1e');
    for (const o of shifted) assert.ok(Math.abs(o - 0.2) <= FRAME_S, `with a 200 ms delay, offsets (ms): ${shifted.map((x) => Math.round(x * 1000)).join(' ')}`);
  });
});
