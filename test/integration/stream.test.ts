import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bitrateWindows, keyframeIntervals, measuredFramerate } from '../../testbed/conformance.js';
import { decodeErrors, probePackets, probeStreams } from '../../testbed/ffprobe.js';
import { NginxRtmp } from '../../testbed/nginx-rtmp.js';
import { AgentProcess } from '../helpers/agent-process.js';
import { boxEnv, sleep } from '../helpers/env.js';

const KEY = 'sk_live_9f3a7c21d4e8';

describe('a box streaming 720p30 to nginx-rtmp while recording', () => {
  let dir: string;
  let ingest: NginxRtmp;
  let agent: AgentProcess;
  let stopMs = 0;
  let exit: { code: number | null; signal: NodeJS.Signals | null };
  let received: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roomcast-stream-'));
    ingest = new NginxRtmp(join(dir, 'ingest'));
    await ingest.start();
    agent = AgentProcess.start(
      boxEnv(dir, {
        ROOMCAST_DESTINATIONS: ingest.url('live', KEY),
        ROOMCAST_RECORD_DIR: join(dir, 'recordings'),
        ROOMCAST_RECORD_SEGMENT_SECONDS: '4',
      }),
    );
    await agent.waitForPhase('live');
    await sleep(13_000);
    const t0 = Date.now();
    exit = await agent.proc.stop(10_000);
    stopMs = Date.now() - t0;
    const files = await ingest.received();
    assert.equal(files.length, 1, 'nginx received exactly one publish session');
    received = files[0] ?? '';
  });

  after(async () => {
    await agent?.proc.stop();
    await ingest?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('stops within 5 s of SIGTERM, after flushing the pipeline', () => {
    assert.equal(exit.code, 0);
    assert.ok(stopMs < 5000, `took ${stopMs} ms`);
    const stopped = agent.lines().find((l) => l.msg === 'pipeline stopped');
    assert.equal(stopped?.['flushed'], true);
  });

  test('the ingest received H.264 Main at 1280x720, 30 fps, and AAC-LC stereo 48 kHz', async () => {
    const { streams } = await probeStreams(received);
    const video = streams.find((s) => s.codec_type === 'video');
    const audio = streams.find((s) => s.codec_type === 'audio');
    assert.equal(video?.codec_name, 'h264');
    assert.ok(video.profile === 'Main' || video.profile === 'High', `profile ${video.profile}`);
    assert.equal(video.width, 1280);
    assert.equal(video.height, 720);
    assert.equal(audio?.codec_name, 'aac');
    assert.equal(audio.profile, 'LC');
    assert.equal(audio.sample_rate, '48000');
    assert.equal(audio.channels, 2);
    const fps = measuredFramerate(await probePackets(received, 'v'));
    assert.ok(Math.abs(fps - 30) < 0.2, `measured ${fps.toFixed(2)} fps`);
  });

  test('a keyframe exactly every 2 s', async () => {
    const intervals = keyframeIntervals(await probePackets(received, 'v'));
    assert.ok(intervals.length >= 5, `only ${intervals.length + 1} keyframes`);
    for (const i of intervals) assert.ok(Math.abs(i - 2) <= 0.0015, `keyframe interval ${i} s in ${intervals.join(', ')}`);
  });

  test('constant video bitrate within ±15% of 2500 kbit/s over every 2 s window', async () => {
    const windows = bitrateWindows(await probePackets(received, 'v'), 2);
    assert.ok(windows.length >= 5);
    for (const w of windows) assert.ok(w >= 2125 && w <= 2875, `window ${w} kbit/s in ${windows.join(', ')}`);
  });

  test('the RTMP session was closed by the box (deleteStream), not dropped', async () => {
    const log = await readFile(join(ingest.dir, 'error.log'), 'utf8');
    assert.match(log, /deleteStream/);
  });

  test('the recording is in 4 s MPEG-TS segments that each play, the last one finalised', async () => {
    const dirName = join(dir, 'recordings');
    const segments = (await readdir(dirName)).filter((f) => f.endsWith('.ts')).sort();
    assert.ok(segments.length >= 3, `segments: ${segments.join(', ')}`);
    for (const [i, name] of segments.entries()) {
      const file = join(dirName, name);
      const { streams, duration } = await probeStreams(file);
      assert.deepEqual(streams.map((s) => s.codec_name).sort(), ['aac', 'h264'], name);
      if (i < segments.length - 1) assert.ok(Math.abs(duration - 4) < 0.2, `${name} lasts ${duration} s`);
      assert.equal(await decodeErrors(file), '', `${name} decodes without errors`);
    }
    const closed = agent.lines().filter((l) => l.msg === 'recording segment closed').map((l) => String(l['location']));
    assert.deepEqual(closed.map((p) => p.split('/').pop()).sort(), segments, 'the agent reported each segment closed, the last one at stop');
    const keyframes = await probePackets(join(dirName, segments[0] ?? ''), 'v');
    assert.equal(keyframes[0]?.keyframe, true, 'a segment starts on a keyframe');
  });

  test('the stream key never appears in the log, only its last 4 characters', () => {
    assert.ok(!agent.proc.log.includes(KEY));
    assert.ok(!agent.proc.log.includes(KEY.slice(0, 12)));
    assert.ok(agent.proc.log.includes(`****${KEY.slice(-4)}`));
  });

  test('the state object reports the destination live with its bitrate, and encoder fps', () => {
    const states = agent.lines().filter((l) => l.msg === 'state');
    const last = states[states.length - 1]?.['state'] as
      | { phase: string; destinations: { state: string; bitrateKbps: number; bytesSent: number }[]; encoder: { fps: number }; recording: { currentSegment: string | null; segmentsClosed: number } }
      | undefined;
    assert.ok(last, 'a periodic state line was logged');
    assert.equal(last.phase, 'live');
    assert.equal(last.destinations[0]?.state, 'live');
    const kbps = last.destinations[0]?.bitrateKbps ?? 0;
    assert.ok(kbps > 2000 && kbps < 3500, `destination bitrate ${kbps}`);
    assert.ok(Math.abs(last.encoder.fps - 30) <= 2, `encoder fps ${last.encoder.fps}`);
    const recording = last.recording;
    assert.match(recording.currentSegment ?? '', /roomcast-\d{8}-\d{6}-\d{5}\.ts$/);
    assert.ok(recording.segmentsClosed >= 1, `segments closed: ${recording.segmentsClosed}`);
  });
});
