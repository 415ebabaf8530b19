import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bitrateWindows, keyframeIntervals, measuredFramerate } from '../../testbed/conformance.js';
import { audioMaxVolume, probePackets, probeStreams } from '../../testbed/ffprobe.js';
import { NginxRtmp } from '../../testbed/nginx-rtmp.js';
import { AgentProcess } from '../helpers/agent-process.js';
import { boxEnv, sleep } from '../helpers/env.js';

describe('one encode, two destinations: 640x360 at 25 fps, 1 s keyframes, 800 kbit/s, no microphone', () => {
  let dir: string;
  let first: NginxRtmp;
  let second: NginxRtmp;
  let agent: AgentProcess;
  const received: string[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roomcast-two-'));
    first = new NginxRtmp(join(dir, 'first'));
    second = new NginxRtmp(join(dir, 'second'));
    await Promise.all([first.start(), second.start()]);
    agent = AgentProcess.start(
      boxEnv(dir, {
        ROOMCAST_AUDIO_SOURCE: 'none',
        ROOMCAST_VIDEO_SIZE: '640x360',
        ROOMCAST_FRAMERATE: '25',
        ROOMCAST_KEYFRAME_SECONDS: '1',
        ROOMCAST_VIDEO_BITRATE: '800',
        ROOMCAST_AUDIO_BITRATE: '96',
        ROOMCAST_DESTINATIONS: `${first.url('live', 'first-key-1111')} ${second.url('live', 'second-key-2222')}`,
      }),
    );
    await agent.waitForPhase('live');
    await sleep(8000);
    await agent.proc.stop();
    for (const ingest of [first, second]) {
      const files = await ingest.received();
      assert.equal(files.length, 1);
      received.push(files[0] ?? '');
    }
  });

  after(async () => {
    await agent?.proc.stop();
    await Promise.all([first?.stop(), second?.stop()]);
    await rm(dir, { recursive: true, force: true });
  });

  test('both ingests receive the configured size, frame rate, keyframe interval and bitrate', async () => {
    for (const file of received) {
      const { streams } = await probeStreams(file);
      const video = streams.find((s) => s.codec_type === 'video');
      assert.equal(video?.width, 640);
      assert.equal(video.height, 360);
      const packets = await probePackets(file, 'v');
      assert.ok(Math.abs(measuredFramerate(packets) - 25) < 0.2);
      for (const i of keyframeIntervals(packets)) assert.ok(Math.abs(i - 1) <= 0.0015, `interval ${i}`);
      for (const w of bitrateWindows(packets, 2)) assert.ok(w >= 680 && w <= 920, `window ${w} kbit/s in ${bitrateWindows(packets, 2).join(', ')}`);
    }
  });

  test('with ROOMCAST_AUDIO_SOURCE=none there is still an AAC-LC stereo track, and it is silent', async () => {
    for (const file of received) {
      const { streams } = await probeStreams(file);
      const audio = streams.find((s) => s.codec_type === 'audio');
      assert.equal(audio?.codec_name, 'aac');
      assert.equal(audio.channels, 2);
      assert.ok((await probePackets(file, 'a')).length > 100);
      const loudest = await audioMaxVolume(file);
      assert.ok(loudest < -80, `loudest sample ${loudest} dBFS`);
    }
  });

  test('the two destinations carry the same encode (identical video packet sizes)', async () => {
    const [a, b] = await Promise.all(received.map((f) => probePackets(f, 'v')));
    // Each relay joins the encode at a keyframe of its own, so either stream may
    // start first: the first 100 packets of one must appear, in order, in the other.
    const sizesA = (a ?? []).map((p) => p.size);
    const sizesB = (b ?? []).map((p) => p.size);
    assert.ok(sizesA.length >= 100 && sizesB.length >= 100, `${sizesA.length} and ${sizesB.length} packets`);
    const runOf = (later: number[], earlier: number[]): boolean => {
      const head = later.slice(0, 100).join();
      return earlier.some((_, i) => earlier.slice(i, i + 100).join() === head);
    };
    assert.ok(runOf(sizesB, sizesA) || runOf(sizesA, sizesB), 'neither stream carries the other\'s first 100 packets');
  });
});
