import assert from 'node:assert/strict';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadConfig } from '../../common/config/load.js';
import { DeviceAgent } from '../../device/agent.js';
import { HARDWARE_MAX_AGE_MS } from '../../device/hardware/current-hardware.js';
import { detectHardware } from '../../device/hardware/detect.js';
import { hostPaths, type HostPaths } from '../../device/hardware/paths.js';
import type { StreamState } from '../../device/state.js';
import { boxEnv, sleep } from '../helpers/env.js';
import { useTempDir } from '../helpers/fixture.js';
import { LogLines } from '../helpers/log-lines.js';

/**
 * A camera and a USB audio interface plugged in after the box started are
 * used at the next go-live, and their going is noticed too. The box is a real
 * agent with real pipelines; what it sees of the hardware is a host tree
 * (as on a Pi: /sys/class/video4linux, /proc/asound) that the test changes.
 * The camera node named there does not exist on this machine, so the live
 * pipeline shows the slate for it: which is how the test sees it was opened.
 */

async function plugCamera(p: HostPaths): Promise<void> {
  const node = join(p.sys, 'class/video4linux/video0');
  await mkdir(join(node, 'device'), { recursive: true });
  await writeFile(join(node, 'name'), 'HD Pro Webcam C920\n');
  await writeFile(join(node, 'index'), '0\n');
  await symlink('../../../../bus/usb/drivers/uvcvideo', join(node, 'device/driver'));
}

async function plugMicrophone(p: HostPaths): Promise<void> {
  await mkdir(join(p.proc, 'asound/card1/pcm0c'), { recursive: true });
  await writeFile(join(p.proc, 'asound/cards'), ' 1 [U192k          ]: USB-Audio - UMC202HD 192k\n                      BEHRINGER UMC202HD 192k at usb-0000:01:00.0-1.2, high speed\n');
}

async function unplugAll(p: HostPaths): Promise<void> {
  await rm(join(p.sys, 'class/video4linux'), { recursive: true, force: true });
  await rm(join(p.proc, 'asound'), { recursive: true, force: true });
}

async function until(what: string, agent: DeviceAgent, ok: (s: StreamState) => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok(agent.current)) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms; state ${JSON.stringify(agent.current)}`);
    await sleep(100);
  }
}

/** Longer than detections are reused for, so the next go-live looks again. */
const detectionAges = (): Promise<void> => sleep(HARDWARE_MAX_AGE_MS + 200);

describe('hardware plugged in or out after start', () => {
  const tmp = useTempDir('roomcast-redetect-');
  let agent: DeviceAgent | null = null;
  after(async () => {
    await agent?.stop();
  });

  test('is used at the next go-live and by an idle still; gone hardware is dropped again', async () => {
    const log = new LogLines();
    const env = boxEnv(join(tmp.dir, 'box'), {
      ROOMCAST_VIDEO_SOURCE: 'auto',
      ROOMCAST_AUDIO_SOURCE: 'auto',
      ROOMCAST_ENCODER: 'x264',
      ROOMCAST_VIDEO_SIZE: '640x360',
      ROOMCAST_FRAMERATE: '10',
      ROOMCAST_VIDEO_BITRATE: '500',
      ROOMCAST_RECORD_DIR: join(tmp.dir, 'rec'),
      ROOMCAST_AUTOSTART: 'false',
    });
    const paths = hostPaths(env);
    await Promise.all([paths.sys, paths.proc, paths.dev].map((d) => mkdir(d, { recursive: true })));
    const loaded = loadConfig(env);
    if (!loaded.ok) throw loaded.error;
    const a = new DeviceAgent({ config: loaded.config, hardware: await detectHardware(paths), detectHardware: () => detectHardware(paths), logger: log.logger });
    agent = a;
    a.start();

    // Nothing plugged in: the idle still is of the test pattern.
    const still = await a.snapshot(1_000_000);
    assert.deepEqual([still.width, still.height], [640, 360]);

    await plugCamera(paths);
    await plugMicrophone(paths);
    await detectionAges();
    // The idle still now tries the camera (whose node is not on this machine).
    await assert.rejects(a.snapshot(1_000_000), { name: 'SnapshotError', message: /no still from the idle camera/ });
    const changed = log.lines.find((l) => l.msg === 'hardware changed');
    assert.deepEqual(changed?.['changes'], ['camera plugged in: HD Pro Webcam C920 (' + join(paths.dev, 'video0') + ')', 'microphone plugged in: UMC202HD 192k (hw:CARD=U192k,DEV=0)']);

    assert.deepEqual(await a.goLive(), { ok: true });
    assert.ok(log.lines.some((l) => l.msg === `video: usb "HD Pro Webcam C920" at ${join(paths.dev, 'video0')} (ROOMCAST_VIDEO_SOURCE=auto)`), 'the camera is chosen');
    assert.ok(log.lines.some((l) => typeof l.msg === 'string' && l.msg.startsWith('audio: USB audio "UMC202HD 192k" at hw:CARD=U192k,DEV=0')), 'the interface is chosen');
    await until('live', a, (s) => s.phase === 'live');
    // The pipeline opened them: neither exists here, so the slate shows and silence is sent.
    await until('slate and silence', a, (s) => s.video.slate && s.audio.failed);

    await a.stopStream();
    await unplugAll(paths);
    await detectionAges();
    const from = log.lines.length;
    assert.deepEqual(await a.goLive(), { ok: true });
    const gone = log.lines.slice(from).find((l) => l.msg === 'hardware changed');
    assert.deepEqual(gone?.['changes'], ['camera gone: HD Pro Webcam C920 (' + join(paths.dev, 'video0') + ')', 'microphone gone: UMC202HD 192k (hw:CARD=U192k,DEV=0)']);
    assert.ok(log.lines.slice(from).some((l) => l.msg === 'video: no camera found, using the test pattern (ROOMCAST_VIDEO_SOURCE=auto)'));
    await until('live on the test pattern', a, (s) => s.phase === 'live' && !s.video.slate && s.audio.source === 'none');

    // Plugged in while live: the stream goes on as it is; an operator's restart (the fleet's) takes the camera.
    await plugCamera(paths);
    await detectionAges();
    let mark = log.lines.length;
    await a.restartCore();
    await until('live again', a, (s) => s.phase === 'live');
    assert.ok(log.lines.slice(mark).some((l) => l.msg === 'video: no camera found, using the test pattern (ROOMCAST_VIDEO_SOURCE=auto)'), 'a restart for a config change or a retry keeps the hardware it went live with');
    mark = log.lines.length;
    await a.restartCore({ redetect: true });
    assert.ok(log.lines.slice(mark).some((l) => l.msg === `video: usb "HD Pro Webcam C920" at ${join(paths.dev, 'video0')} (ROOMCAST_VIDEO_SOURCE=auto)`), 'the restart took the camera');
    await until('the camera taken by the restart', a, (s) => s.phase === 'live' && s.video.slate);

    // Unplugged while live, then a restart: the stream keeps its camera (the slate, until it is back), never the test pattern.
    await unplugAll(paths);
    await detectionAges();
    mark = log.lines.length;
    await a.restartCore({ redetect: true });
    const kept = log.lines.slice(mark);
    assert.ok(kept.some((l) => l.msg === 'restart: keeping the hardware the stream went live with'), JSON.stringify(kept.map((l) => l.msg)));
    assert.ok(kept.some((l) => l.msg === `video: usb "HD Pro Webcam C920" at ${join(paths.dev, 'video0')} (ROOMCAST_VIDEO_SOURCE=auto)`));
    await until('live on the slate', a, (s) => s.phase === 'live' && s.video.slate);
  });

  test('a quick stop and go-live: the go-live waits for the stop, and the box is live with one pipeline', async () => {
    const a = agent;
    assert.ok(a);
    const stopping = a.stopStream();
    const going = a.goLive();
    await stopping;
    assert.deepEqual(await going, { ok: true });
    await until('live after the stop', a, (s) => s.phase === 'live');
    await sleep(1000);
    assert.equal(a.current.phase, 'live', 'the stop that ended first did not set the new stream idle');
  });

  test('start, stop, start while the hardware is being looked at: the box ends live', async () => {
    const a = agent;
    assert.ok(a);
    await a.stopStream();
    await detectionAges();
    const first = a.goLive();
    const stop = a.stopStream();
    const second = a.goLive();
    assert.deepEqual(await first, { ok: false, errors: ['stopped before the box went live'] });
    await stop;
    assert.deepEqual(await second, { ok: true });
    await until('live', a, (s) => s.phase === 'live');
  });

  test('a stop while the go-live is still looking for hardware wins', async () => {
    const a = agent;
    assert.ok(a);
    await a.stopStream();
    await detectionAges();
    const going = a.goLive();
    await a.stopStream();
    assert.deepEqual(await going, { ok: false, errors: ['stopped before the box went live'] });
    assert.equal(a.current.phase, 'idle');
  });
});
