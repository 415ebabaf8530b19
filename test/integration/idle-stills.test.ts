import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { planIdleStill } from '../../device/stills/idle-still-plan.js';
import { IdleStills } from '../../device/stills/idle-still.js';
import { raspistillStill } from '../../device/stills/raspistill-still.js';
import { useTempDir } from '../helpers/fixture.js';

const run = promisify(execFile);

describe('planIdleStill: which tool takes a still of the idle camera', () => {
  const none = { rpicamStill: null, raspistill: false };
  it('libcamera PiCam: rpicam-still to stdout, else a clear no', () => {
    const p = planIdleStill({ kind: 'libcamera' }, false, { rpicamStill: 'rpicam-still', raspistill: false }, 70, '/tmp/x');
    assert.deepEqual(p, { tool: 'rpicam-still', command: 'rpicam-still', args: ['-n', '-t', '500', '--width', '640', '--height', '360', '-q', '70', '-e', 'jpg', '-o', '-'] });
    assert.equal(planIdleStill({ kind: 'libcamera' }, false, none, 70, '/tmp/x').tool, 'none');
  });
  it('legacy PiCam: raspistill where it exists, else GStreamer on its V4L2 node', () => {
    const cam = { kind: 'v4l2' as const, device: '/dev/video0', format: 'raw' as const };
    assert.equal(planIdleStill(cam, true, { rpicamStill: null, raspistill: true }, 70, '/tmp/x').tool, 'raspistill');
    assert.equal(planIdleStill(cam, true, none, 70, '/tmp/x').tool, 'gstreamer');
    assert.equal(planIdleStill(cam, false, { rpicamStill: null, raspistill: true }, 70, '/tmp/x').tool, 'gstreamer', 'raspistill only for the PiCam');
  });
  it('USB camera: decodes what it sends, lets exposure settle over 10 frames, keeps the last', () => {
    const p = planIdleStill({ kind: 'v4l2', device: '/dev/video2', format: 'mjpeg' }, false, none, 50, '/tmp/x');
    assert.equal(p.tool, 'gstreamer');
    if (p.tool === 'gstreamer') {
      const text = p.args.join(' ');
      assert.match(text, /v4l2src device=\/dev\/video2 num-buffers=10 ! jpegdec ! videoconvert ! videoscale ! video\/x-raw,width=640,height=360/);
      assert.match(text, /jpegenc quality=50 ! multifilesink location=\/tmp\/x\/still-%05d.jpg max-files=1$/);
    }
  });
});

/** The Pi tools are not on this machine: stand-ins on the PATH that answer as they do (a JPEG on stdout) and note their arguments. */
describe('IdleStills with rpicam-still and raspistill (through node-raspistill) stand-ins', () => {
  const tmp = useTempDir('roomcast-idle-stills-');
  let path: string | undefined;
  before(async () => {
    const jpeg = join(tmp.dir, 'bars.jpg');
    await run('gst-launch-1.0', ['-q', 'videotestsrc', 'num-buffers=1', '!', 'video/x-raw,width=640,height=360', '!', 'jpegenc', '!', 'filesink', `location=${jpeg}`]);
    for (const tool of ['rpicam-still', 'raspistill']) {
      const script = join(tmp.dir, tool);
      await writeFile(script, `#!/bin/sh\nprintf "%s " "$@" > "${join(tmp.dir, `${tool}.args`)}"\ncat "${jpeg}"\n`);
      await chmod(script, 0o755);
    }
    path = process.env['PATH'];
    process.env['PATH'] = `${tmp.dir}:${path ?? ''}`;
  });
  after(() => {
    process.env['PATH'] = path;
  });

  it('takes the libcamera PiCam\'s still with rpicam-still', async () => {
    const still = await new IdleStills().take({ kind: 'libcamera' }, false, 1_000_000);
    assert.equal(Buffer.from(still.jpegBase64, 'base64').subarray(0, 2).toString('hex'), 'ffd8', 'a JPEG');
    assert.equal((await readFile(join(tmp.dir, 'rpicam-still.args'), 'utf8')).trim(), '-n -t 500 --width 640 --height 360 -q 70 -e jpg -o -');
  });

  it('takes the legacy PiCam\'s still with raspistill, through node-raspistill', async () => {
    const still = await new IdleStills().take({ kind: 'v4l2', device: '/dev/video0', format: 'raw' }, true, 1_000_000);
    assert.equal(Buffer.from(still.jpegBase64, 'base64').subarray(0, 2).toString('hex'), 'ffd8');
    const args = (await readFile(join(tmp.dir, 'raspistill.args'), 'utf8')).trim();
    assert.match(args, /-w 640/);
    assert.match(args, /-h 360/);
    assert.match(args, /-o -/);
  });
});

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The pid a stand-in wrote to `file` once it started (0 if it did not within 5 s). */
async function startedPid(file: string): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim()) || 0;
    if (pid) return pid;
    await new Promise((r) => setTimeout(r, 25));
  }
  return 0;
}

/** Whether `pid` is gone within `ms`. */
async function goneWithin(pid: number, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; alive(pid) && Date.now() < end; ) await new Promise((r) => setTimeout(r, 25));
  return !alive(pid);
}

/** Still-tool stand-ins that hold the camera (sleep) until killed, and one that counts its runs. */
describe('IdleStills: rate-limited, and cancelled when the box goes live', () => {
  const tmp = useTempDir('roomcast-idle-cancel-');
  let path: string | undefined;
  const usePath = async (script: string, tool = 'rpicam-still'): Promise<void> => {
    const bin = join(tmp.dir, `bin-${Math.random().toString(36).slice(2)}`);
    await mkdir(bin);
    await writeFile(join(bin, tool), `#!/bin/sh\n${script}\n`);
    await chmod(join(bin, tool), 0o755);
    process.env['PATH'] = `${bin}:${path ?? ''}`;
  };
  before(() => {
    path = process.env['PATH'];
  });
  let pid = 0;
  /** Stand-ins a failed test may have left running, killed by pid after the suite. */
  const started: number[] = [];
  after(() => {
    process.env['PATH'] = path;
    for (const p of [pid, ...started]) {
      if (p && alive(p)) process.kill(p, 'SIGKILL');
    }
  });
  const jpegFile = async (): Promise<string> => {
    const jpeg = join(tmp.dir, 'bars.jpg');
    await run('gst-launch-1.0', ['-q', 'videotestsrc', 'num-buffers=1', '!', 'video/x-raw,width=640,height=360', '!', 'jpegenc', '!', 'filesink', `location=${jpeg}`]);
    return jpeg;
  };

  it('a second still within 5 s is the same picture, without running the tool again', async () => {
    const jpeg = join(tmp.dir, 'bars.jpg');
    await run('gst-launch-1.0', ['-q', 'videotestsrc', 'num-buffers=1', '!', 'video/x-raw,width=640,height=360', '!', 'jpegenc', '!', 'filesink', `location=${jpeg}`]);
    const runs = join(tmp.dir, 'runs');
    await usePath(`echo run >> "${runs}"\ncat "${jpeg}"`);
    const stills = new IdleStills();
    const first = await stills.take({ kind: 'libcamera' }, false, 1_000_000);
    const second = await stills.take({ kind: 'libcamera' }, false, 1_000_000);
    assert.equal(second.jpegBase64, first.jpegBase64);
    assert.equal((await readFile(runs, 'utf8')).trim().split('\n').length, 1);
  });

  it('cancel kills the tool holding the camera and the ask is answered with the reason', async () => {
    const pidFile = join(tmp.dir, 'pid');
    await usePath(`echo $$ > "${pidFile}"\nexec sleep 30`);
    const stills = new IdleStills();
    const asked = stills.take({ kind: 'libcamera' }, false, 1_000_000);
    for (let i = 0; i < 200 && !pid; i++) {
      pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim()) || 0;
      if (!pid) await new Promise((r) => setTimeout(r, 25));
    }
    assert.ok(pid > 0, 'the tool started');
    void stills.cancel('the box went live while the still was being taken');
    await assert.rejects(asked, { name: 'SnapshotError', message: /went live/ });
    for (let i = 0; i < 40 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(alive(pid), false, 'the tool was killed and let go of the camera');
    pid = 0;
  });

  // raspistill waits -t 500 ms, then writes the JPEG to stdout (node-raspistill's -o -); the stand-ins do the same, slower.
  it('cancel kills raspistill (node-raspistill\'s) holding the legacy camera, and the ask is answered with the reason', async () => {
    const pidFile = join(tmp.dir, 'raspistill-cancel.pid');
    await usePath(`echo $$ > "${pidFile}"\nexec sleep 30`, 'raspistill');
    const stills = new IdleStills();
    const asked = stills.take({ kind: 'v4l2', device: '/dev/video0', format: 'raw' }, true, 1_000_000);
    const held = await startedPid(pidFile);
    started.push(held);
    assert.ok(held > 0, 'raspistill started');
    void stills.cancel('the box went live while the still was being taken');
    const answered = assert.rejects(asked, { name: 'SnapshotError', message: /went live/ });
    assert.ok(await goneWithin(held, 1000), 'raspistill still runs 1 s after cancel: the camera is not free for the pipeline');
    await answered;
  });

  it('a raspistill still through the same path: the JPEG it writes, and raspistill has exited', async () => {
    const jpeg = await jpegFile();
    const pidFile = join(tmp.dir, 'raspistill-ok.pid');
    await usePath(`echo $$ > "${pidFile}"\nsleep 0.3\ncat "${jpeg}"`, 'raspistill');
    const still = await new IdleStills().take({ kind: 'v4l2', device: '/dev/video0', format: 'raw' }, true, 1_000_000);
    assert.deepEqual(Buffer.from(still.jpegBase64, 'base64'), await readFile(jpeg), 'the whole JPEG raspistill wrote');
    const ran = await startedPid(pidFile);
    started.push(ran);
    assert.ok(await goneWithin(ran, 1000), 'raspistill has exited');
  });

  it('raspistill that hangs is killed after the timeout and the still fails saying so', async () => {
    const pidFile = join(tmp.dir, 'raspistill-hang.pid');
    await usePath(`echo $$ > "${pidFile}"\nexec sleep 30`, 'raspistill');
    const t0 = Date.now();
    const asked = raspistillStill({ width: 640, height: 360, quality: 70 }, 300, new AbortController().signal);
    const hung = await startedPid(pidFile);
    started.push(hung);
    assert.ok(hung > 0, 'raspistill started');
    await assert.rejects(asked, { name: 'SnapshotError', message: 'raspistill gave no picture within 300 ms' });
    assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
    assert.ok(await goneWithin(hung, 1000), 'raspistill still runs after the timeout');
  });

  it('raspistill that writes nothing and exits: no empty picture, an error', async () => {
    await usePath('exit 0', 'raspistill');
    await assert.rejects(raspistillStill({ width: 640, height: 360, quality: 70 }, 5000, new AbortController().signal), { name: 'SnapshotError', message: 'raspistill gave no picture' });
  });
});
