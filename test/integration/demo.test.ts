import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { probeStreams } from '../../testbed/ffprobe.js';
import { freePort } from '../../testbed/ports.js';
import { Managed } from '../../testbed/process.js';
import { CLI } from '../helpers/agent-process.js';
import { sleep } from '../helpers/env.js';

describe('roomcast demo (the README\'s demo command)', () => {
  let dir: string;
  let demo: Managed;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roomcast-demo-'));
  });
  after(async () => {
    await demo?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('runs a fleet service and a box streaming a test pattern to its local nginx-rtmp, says where to watch, records, and stops cleanly', async () => {
    const port = await freePort();
    const httpPort = await freePort();
    demo = new Managed(spawn(process.execPath, [CLI, 'demo'], { env: { PATH: process.env['PATH'] ?? '', ROOMCAST_DATA_DIR: dir, ROOMCAST_DEMO_RTMP_PORT: String(port), ROOMCAST_DEMO_HTTP_PORT: String(httpPort) }, stdio: ['ignore', 'pipe', 'pipe'] }));
    const deadline = Date.now() + 20_000;
    while (!/"msg":"phase live"/.test(demo.log)) {
      assert.ok(demo.running, demo.log);
      assert.ok(Date.now() < deadline, `not live in 20 s:\n${demo.log}`);
      await sleep(100);
    }
    const watch = /watch:\s+ffplay (rtmp:\/\/\S+)/.exec(demo.log)?.[1];
    assert.equal(watch, `rtmp://127.0.0.1:${port}/live/demo-room`);
    // What a viewer gets from the URL the demo printed.
    const { streams } = await probeStreams(watch);
    assert.deepEqual(streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);

    // The fleet service the demo printed knows the box: enrolled, online, live, with health.
    const token = /admin token \(this run only\): (\S+)/.exec(demo.log)?.[1];
    assert.ok(token, demo.log);
    assert.match(demo.log, new RegExp(`fleet API:\\s+http://127\\.0\\.0\\.1:${httpPort}/api/devices`));
    let devices: Record<string, unknown>[] = [];
    while (!(devices.length === 1 && devices[0]?.['online'] === true && devices[0]['state'] === 'live' && devices[0]['health'])) {
      assert.ok(Date.now() < deadline + 20_000, `the box never showed online, live and with health: ${JSON.stringify(devices)}`);
      await sleep(200);
      const res: Response = await fetch(`http://127.0.0.1:${httpPort}/api/devices`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200);
      devices = ((await res.json()) as { devices: Record<string, unknown>[] }).devices;
    }
    assert.doesNotMatch(JSON.stringify(devices), /demo-room/, 'the stream key is shown whole');

    const nginxPid = Number((await readFile(join(dir, 'ingest/nginx.pid'), 'utf8')).trim());
    demo.child.kill('SIGINT');
    const exit = await demo.exited;
    assert.equal(exit.code, 0, demo.log);
    assert.throws(() => process.kill(nginxPid, 0), 'the demo\'s nginx is gone');
    const segments = (await readdir(join(dir, 'recordings'))).filter((f) => f.endsWith('.ts'));
    assert.ok(segments.length >= 1);
  });
});
