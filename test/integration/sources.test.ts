import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { largestGap, probePackets } from '../../testbed/ffprobe.js';
import { decodeSound, frameLuma, rmsDb, type FrameLuma } from '../../testbed/picture-sound.js';
import { AgentProcess } from '../helpers/agent-process.js';
import { boxEnv, sleep } from '../helpers/env.js';
import { useIngest } from '../helpers/fixture.js';

/** The slate's dark background reads about 50; colour bars about 120. */
const SLATE_MAX_Y = 80;
const BARS_MIN_Y = 100;
const FRAME = 1 / 30;

function runs(frames: FrameLuma[]): { kind: 'slate' | 'bars' | 'other'; from: number; to: number; frames: number }[] {
  const out: { kind: 'slate' | 'bars' | 'other'; from: number; to: number; frames: number }[] = [];
  for (const f of frames) {
    const kind = f.y < SLATE_MAX_Y ? 'slate' : f.y > BARS_MIN_Y ? 'bars' : 'other';
    const last = out[out.length - 1];
    if (last && last.kind === kind) {
      last.to = f.pts;
      last.frames += 1;
    } else out.push({ kind, from: f.pts, to: f.pts, frames: 1 });
  }
  return out;
}

describe('source failures: the slate, and a lost microphone', () => {
  const f = useIngest('roomcast-sources-');

  async function received(stream: string): Promise<string> {
    const files = await f.ingest.sessionsOf(stream);
    assert.equal(files.length, 1, `one RTMP session for ${stream}, never reconnected: ${files.join(', ')}`);
    return files[0] ?? '';
  }

  test('a camera fault shows the slate within 2 s with the sound going on, then the camera again, on one connection', async () => {
    const agent = AgentProcess.start(
      boxEnv(join(f.dir, 'slate'), { ROOMCAST_DESTINATIONS: f.ingest.url('live', 'slate-test-7f3a'), ROOMCAST_VIDEO_SIZE: '640x360', ROOMCAST_VIDEO_BITRATE: '1000', ROOMCAST_ROOM_NAME: 'Room 1' }),
      { control: true },
    );
    f.agents.push(agent);
    await agent.waitFor((l) => l.msg === 'destination live', 20_000, 'destination live');
    await sleep(3000);
    const faultAt = Date.now();
    agent.control({ type: 'inject-fault', feed: 'video' });
    const slateOn = await agent.waitFor((l) => l.msg === 'camera lost: slate on', 5000, 'slate on');
    assert.ok(Date.parse(slateOn.ts) - faultAt <= 2000, `slate on ${Date.parse(slateOn.ts) - faultAt} ms after the fault`);
    assert.match(String(slateOn['reason']), /videotestsrc.*not-negotiated|data stream/s);
    await agent.waitFor((l) => l.msg === 'camera back: slate off', 10_000, 'camera back');
    await sleep(3000);
    await agent.proc.stop();

    assert.ok(!agent.lines().some((l) => l.msg === 'destination retry' || l.msg === 'restarting pipeline'), 'no destination or pipeline restart');

    const file = await received('slate-test-7f3a');
    // The core shows the slate until the camera's first frame (CI once saw 3
    // frames of it, 79 ms, on a busy machine): the fault's slate comes after bars.
    const all = runs(await frameLuma(file));
    const seen = all.slice(all.findIndex((r) => r.kind === 'bars'));
    assert.ok((all[0]?.kind === 'bars' || (all[0]?.frames ?? 0) <= 15), `slate at the start for more than half a second: ${JSON.stringify(all)}`);
    const slate = seen.filter((r) => r.kind === 'slate');
    assert.equal(slate.length, 1, `one slate period: ${JSON.stringify(seen)}`);
    const s = slate[0];
    assert.ok(s && s.frames >= 10, `the slate was sent for ${s?.frames} frames`);
    const i = seen.indexOf(s);
    assert.equal(seen[i - 1]?.kind === 'bars' || seen[i - 2]?.kind === 'bars', true, 'bars before the slate');
    assert.equal(seen[seen.length - 1]?.kind, 'bars', 'bars again after it');
    assert.ok((seen[seen.length - 1]?.frames ?? 0) >= 60, 'and for the rest of the stream');

    // The picture changed; the clock did not: no gap in the received video, and the tone went on under the slate.
    const video = (await probePackets(file, 'v')).map((p) => p.pts).sort((a, b) => a - b);
    assert.ok(largestGap(video) <= FRAME * 1.5, `largest video gap ${largestGap(video)} s`);
    const sound = await decodeSound(file);
    const underSlate = rmsDb(sound, s.from + 0.1, s.to - 0.1);
    assert.ok(Math.abs(underSlate + 29) < 2, `the test tone under the slate: ${underSlate.toFixed(1)} dBFS RMS`);
  });

  test('a microphone fault sends silence, flagged, and the sound comes back by itself; the picture never stops', async () => {
    const agent = AgentProcess.start(
      boxEnv(join(f.dir, 'mic'), { ROOMCAST_DESTINATIONS: f.ingest.url('live', 'mic-test-2b9c'), ROOMCAST_VIDEO_SIZE: '640x360', ROOMCAST_VIDEO_BITRATE: '1000' }),
      { control: true },
    );
    f.agents.push(agent);
    await agent.waitFor((l) => l.msg === 'destination live', 20_000, 'destination live');
    await sleep(2000);
    agent.control({ type: 'inject-fault', feed: 'audio' });
    const lost = await agent.waitFor((l) => l.msg === 'microphone lost: sending silence', 5000, 'microphone lost');
    assert.match(String(lost['reason']), /audiotestsrc.*not-negotiated|data stream/s);
    await agent.waitFor((l) => l.msg === 'microphone back', 10_000, 'microphone back');
    await sleep(2000);
    await agent.proc.stop();
    assert.ok(!agent.lines().some((l) => l.msg === 'camera lost: slate on' || l.msg === 'restarting pipeline'));

    const file = await received('mic-test-2b9c');
    const sound = await decodeSound(file);
    // Find the hole: 100 ms windows of silence between the tone.
    const windows: number[] = [];
    for (let t = sound.start + 1; t < sound.start + sound.samples.length / sound.rate - 0.2; t += 0.1) windows.push(rmsDb(sound, t, t + 0.1));
    const silent = windows.filter((db) => db < -60).length;
    assert.ok(silent >= 2, `the lost microphone was sent as silence (${silent} silent windows)`);
    assert.ok(windows.slice(-10).every((db) => Math.abs(db + 29) < 2), 'the tone is back at the end');
    const video = (await probePackets(file, 'v')).map((p) => p.pts).sort((a, b) => a - b);
    assert.ok(largestGap(video) <= FRAME * 1.5, `largest video gap ${largestGap(video)} s`);
  });
});
