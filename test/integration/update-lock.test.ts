import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AgentProcess } from '../helpers/agent-process.js';
import { boxEnv, sleep } from '../helpers/env.js';
import { ENROLL_TOKEN, FleetProcess } from '../helpers/fleet-process.js';

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

/** A box that records only (no ingest needed to go live), with its update lock in `lockDir`. */
function recordingBox(dir: string, lockPath: string, extra: Record<string, string> = {}): Record<string, string> {
  return boxEnv(dir, { ROOMCAST_VIDEO_SIZE: '320x180', ROOMCAST_FRAMERATE: '15', ROOMCAST_VIDEO_BITRATE: '300', ROOMCAST_RECORD_DIR: join(dir, 'rec'), ROOMCAST_UPDATE_LOCK_PATH: lockPath, ...extra });
}

/** The balena update lock with a real `roomcast device` (FIELD.md: /tmp/balena/updates.lock, here in a temp dir). */
describe('balena update lock (real box)', { timeout: 90_000 }, () => {
  let dir: string;
  let lockDir: string;
  const agents: AgentProcess[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roomcast-lock-'));
    lockDir = join(dir, 'tmp-balena');
    await mkdir(lockDir);
  });
  after(async () => {
    for (const a of agents) await a.proc.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('held while live, released after stop', async () => {
    const lock = join(lockDir, 'updates.lock');
    const box = AgentProcess.start(recordingBox(join(dir, 'live'), lock));
    agents.push(box);
    await box.waitForPhase('live');
    await box.waitFor((l) => l.msg.startsWith('update lock held'), 5000, 'the lock held');
    assert.match(await readFile(lock, 'utf8'), /^roomcast-agent pid=\d+ since=/);
    await box.proc.stop();
    assert.ok(box.lines().some((l) => l.msg === 'update lock released'), 'no release logged');
    assert.equal(await exists(lock), false, 'the lock outlived the stream');
  });

  test('a lock left by a crashed run is reclaimed at start; another holder\'s is left alone', async () => {
    const ours = join(lockDir, 'ours.lock');
    await writeFile(ours, 'roomcast-agent pid=7 since=2026-11-22T10:00:00.000Z\n');
    const reclaiming = AgentProcess.start(recordingBox(join(dir, 'stale'), ours, { ROOMCAST_AUTOSTART: 'false' }));
    agents.push(reclaiming);
    await reclaiming.waitFor((l) => l.msg.startsWith('update lock: reclaimed'), 10_000, 'the stale lock reclaimed');
    assert.equal(await exists(ours), false);
    await reclaiming.proc.stop();

    const foreign = join(lockDir, 'foreign.lock');
    await writeFile(foreign, '');
    const box = AgentProcess.start(recordingBox(join(dir, 'foreign'), foreign));
    agents.push(box);
    await box.waitForPhase('live');
    await box.waitFor((l) => l.msg.startsWith('update lock: another holder'), 5000, 'the foreign lock noticed');
    assert.equal(await readFile(foreign, 'utf8'), '', 'another holder\'s lock was touched');
    await box.proc.stop();
    assert.equal(await exists(foreign), true, 'another holder\'s lock was removed');
  });
});

/** The box asks a stand-in supervisor for update_pending and the fleet API shows "an update is waiting for the talk to end". */
describe('a waiting balena update, seen by the fleet (real box, real fleet, supervisor stand-in)', { timeout: 90_000 }, () => {
  const API_KEY = 'supervisor-key-0123456789abcdef';
  let dir: string;
  let fleet: FleetProcess;
  let supervisor: Server;
  let pending = true;
  const queries: URLSearchParams[] = [];
  const agents: AgentProcess[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roomcast-supervisor-'));
    supervisor = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://supervisor.invalid');
      queries.push(url.searchParams);
      if (url.pathname !== '/v1/device' || url.searchParams.get('apikey') !== API_KEY) {
        res.writeHead(401).end('Unauthorized');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ api_port: 48484, status: 'Idle', update_pending: pending, update_downloaded: pending, update_failed: false, commit: 'abc' }));
    });
    await new Promise<void>((resolve) => supervisor.listen(0, '127.0.0.1', resolve));
    fleet = await FleetProcess.start(join(dir, 'fleet'));
  });
  after(async () => {
    for (const a of agents) await a.proc.stop();
    await fleet?.proc.stop();
    supervisor?.closeAllConnections();
    await new Promise((r) => supervisor?.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  test('pending while live: the fleet shows updateWaiting; once the supervisor has nothing pending, it clears', async () => {
    const lockDir = join(dir, 'tmp-balena');
    await mkdir(lockDir);
    const port = (supervisor.address() as AddressInfo).port;
    const box = AgentProcess.start(
      recordingBox(join(dir, 'box'), join(lockDir, 'updates.lock'), {
        ROOMCAST_FLEET_URL: fleet.url,
        ROOMCAST_ENROLL_TOKEN: ENROLL_TOKEN,
        BALENA_DEVICE_UUID: 'c0ffee0a',
        BALENA_SUPERVISOR_ADDRESS: `http://127.0.0.1:${port}`,
        BALENA_SUPERVISOR_API_KEY: API_KEY,
        ROOMCAST_UPDATE_CHECK_SECONDS: '1',
      }),
    );
    agents.push(box);
    const waiting = await fleet.waitForDevice('c0ffee0a', (d) => d['updateWaiting'] === true, 30_000, 'the waiting update seen by the fleet');
    assert.deepEqual(waiting['update'], { pending: true, locked: true });
    assert.equal(waiting['state'], 'live');
    pending = false;
    const cleared = await fleet.waitForDevice('c0ffee0a', (d) => (d['update'] as { pending?: boolean } | null)?.pending === false, 10_000, 'the update no longer pending');
    assert.equal(cleared['updateWaiting'], false);
    assert.ok(queries.length >= 2 && queries.every((q) => q.get('apikey') === API_KEY));
    await sleep(200);
    assert.ok(!box.proc.log.includes(API_KEY), 'the supervisor API key is in the box log');
    assert.ok(!fleet.proc.log.includes(API_KEY));
  });
});
