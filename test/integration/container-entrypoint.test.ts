import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { Managed } from '../../testbed/process.js';
import { sleep } from '../helpers/env.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A JSON-form instruction of the Dockerfile (CMD, HEALTHCHECK ... CMD) as its argv. */
function instruction(dockerfile: string, pattern: RegExp): string[] {
  const m = pattern.exec(dockerfile);
  assert.ok(m?.[1], `no ${String(pattern)} in the Dockerfile`);
  return JSON.parse(m[1]) as string[];
}

/**
 * No Docker engine here: the box image's CMD and HEALTHCHECK run as written,
 * in the image's WORKDIR layout (the repository, built), with the compose
 * file's environment; only paths that would land outside a temp dir and the
 * hardware (test sources instead of a camera) are substituted.
 */
describe('the box container\'s entrypoint, run on this machine with the compose environment', () => {
  let dir: string;
  let agent: Managed | null = null;
  let env: Record<string, string>;
  let cmd: string[];
  let healthcheck: string[];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roomcast-entrypoint-'));
    const dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
    cmd = instruction(dockerfile, /^CMD (\[.*\])$/m);
    healthcheck = instruction(dockerfile, /^HEALTHCHECK .* CMD (\[.*\])$/m);
    const compose = parse(await readFile(join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: { agent: { environment: Record<string, string> } } };
    const image = Object.fromEntries([...dockerfile.matchAll(/^ENV (.+)$/gm)].flatMap((m) => (m[1] ?? '').split(/\s+/).map((kv) => kv.split('=') as [string, string])));
    env = {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      ...image,
      ...compose.services.agent.environment,
      // Substituted: a temp dir for the data volume, the lock and /dev/shm; test sources for the camera and microphone.
      ROOMCAST_DATA_DIR: join(dir, 'data'),
      ROOMCAST_UPDATE_LOCK_PATH: join(dir, 'balena', 'updates.lock'),
      ROOMCAST_HOST_SHM: dir,
      ROOMCAST_VIDEO_SOURCE: 'test',
      ROOMCAST_AUDIO_SOURCE: 'test',
    };
  });
  after(async () => {
    await agent?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const healthy = async (): Promise<boolean> =>
    run(healthcheck[0] ?? 'node', healthcheck.slice(1), { cwd: ROOT, env }).then(
      () => true,
      () => false,
    );

  test('CMD starts the agent idle with the compose environment, HEALTHCHECK follows it, SIGTERM stops it cleanly', async () => {
    assert.deepEqual(cmd, ['node', 'dist/cli/main.js', 'device']);
    assert.equal(await healthy(), false, 'healthy before the agent started');
    agent = new Managed(spawn(cmd[0] === 'node' ? process.execPath : (cmd[0] ?? ''), cmd.slice(1), { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] }));
    const deadline = Date.now() + 15_000;
    while (!agent.log.includes('idle: set ROOMCAST_AUTOSTART=true to go live at start')) {
      assert.ok(agent.running, agent.log);
      assert.ok(Date.now() < deadline, agent.log);
      await sleep(100);
    }
    assert.match(agent.log, /"msg":"hardware"/);
    assert.doesNotMatch(agent.log, /unknown variable/, 'the compose file sets a variable the agent does not know');
    assert.equal(await healthy(), true, 'unhealthy while the agent runs');
    const exit = await agent.stop();
    assert.equal(exit.code, 0, agent.log);
  });
});
