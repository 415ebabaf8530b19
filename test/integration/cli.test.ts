import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { roomcast } from '../helpers/cli-run.js';
import { useTempDir } from '../helpers/fixture.js';
import { boxEnv, sleep } from '../helpers/env.js';
import { pidsWithEnv } from '../../testbed/proc-tree.js';

describe('the roomcast command', () => {
  const tmp = useTempDir('roomcast-cli-');

  test('device refuses an invalid configuration, names every bad variable at once, starts nothing, leaks no key', async () => {
    const r = await roomcast(['device'], boxEnv(tmp.dir, {
      ROOMCAST_VIDEO_SIZE: '1280x721',
      ROOMCAST_FRAMERATE: 'fast',
      ROOMCAST_DESTINATIONS: 'twitch:live_123456789_secretkeyXYZ9 ftp://example.invalid/x',
      ROOMCAST_ENCODER: 'nvenc',
    }));
    assert.equal(r.code, 2);
    // boxEnv sets ROOMCAST_AUTOSTART=true, so a core host was forked before the config was read (cli/main.ts):
    // it must end with the agent (its environment names this test's data dir).
    const deadline = Date.now() + 5000;
    let left = await pidsWithEnv('ROOMCAST_DATA_DIR', tmp.dir);
    while (left.length > 0 && Date.now() < deadline) {
      await sleep(100);
      left = await pidsWithEnv('ROOMCAST_DATA_DIR', tmp.dir);
    }
    for (const pid of left) process.kill(pid, 'SIGKILL');
    assert.deepEqual(left, [], 'a pipeline host outlived the refused agent');
    for (const v of ['ROOMCAST_VIDEO_SIZE', 'ROOMCAST_FRAMERATE', 'ROOMCAST_DESTINATIONS', 'ROOMCAST_ENCODER']) assert.match(r.stderr, new RegExp(v));
    assert.doesNotMatch(r.stdout + r.stderr, /starting pipeline/);
    assert.ok(!(r.stdout + r.stderr).includes('secretkeyXYZ9'));
  });

  test('probe shows the choices and the pipeline, with the stream key masked and absent from the pipeline', async () => {
    const r = await roomcast(['probe'], boxEnv(tmp.dir, { ROOMCAST_DESTINATIONS: 'youtube:abcd-efgh-ijkl-mnop facebook:FB-1234567890-key7', ROOMCAST_RECORD_DIR: join(tmp.dir, 'rec') }));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /video: test pattern/);
    assert.match(r.stdout, /youtube: rtmp:\/\/a\.rtmp\.youtube\.com\/live2\/\*\*\*\*mnop/);
    assert.match(r.stdout, /facebook: rtmps:\/\/live-api-s\.facebook\.com:443\/rtmp\/\*\*\*\*key7/);
    assert.match(r.stdout, /tcpserversink name=fanout host=127\.0\.0\.1/);
    assert.match(r.stdout, /Relay \(one process per destination[^\n]*\n\s+tcpclientsrc host=127\.0\.0\.1 port=0 ! flvdemux[^\n]*rtmp2sink name=rtmp/);
    assert.match(r.stdout, /splitmuxsink/);
    assert.ok(!r.stdout.includes('abcd-efgh'));
    assert.ok(!r.stdout.includes('FB-1234567890'));
  });

  test('probe --json reports a configuration that cannot go live, with the reason', async () => {
    const r = await roomcast(['probe', '--json'], boxEnv(tmp.dir, { ROOMCAST_VIDEO_SOURCE: 'picam' }));
    const report = JSON.parse(r.stdout) as { errors: string[]; pipeline: string | null };
    assert.equal(report.pipeline, null);
    assert.ok(report.errors.some((e) => /no Pi camera/.test(e)));
    assert.ok(report.errors.some((e) => /nothing to do/.test(e)));
  });

  test('an unknown command is refused with the usage', async () => {
    const r = await roomcast(['stream'], {});
    assert.equal(r.code, 64);
    assert.match(r.stderr, /roomcast device/);
  });
});
