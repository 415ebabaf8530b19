import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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

/** The repository file the Dockerfile COPYs to `dest` in the image. */
function copySource(dockerfile: string, dest: string): string {
  const m = new RegExp(`^COPY (\\S+) ${dest.replaceAll('.', '\\.')}$`, 'm').exec(dockerfile);
  assert.ok(m?.[1], `nothing is COPYed to ${dest}`);
  return join(ROOT, m[1]);
}

/**
 * No Docker engine here: the box image's ENTRYPOINT, CMD and HEALTHCHECK run as written,
 * in the image's WORKDIR layout (the repository, built), with the compose
 * file's environment; only paths that would land outside a temp dir and the
 * hardware (test sources instead of a camera) are substituted.
 */
describe('the box container\'s entrypoint, run on this machine with the compose environment', () => {
  let dir: string;
  let agent: Managed | null = null;
  let env: Record<string, string>;
  let cmd: string[];
  let entrypoint: string[];
  let healthcheck: string[];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roomcast-entrypoint-'));
    const dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
    cmd = instruction(dockerfile, /^CMD (\[.*\])$/m);
    // The entrypoint script from the repository, where the image has its copy.
    entrypoint = instruction(dockerfile, /^ENTRYPOINT (\[.*\])$/m).map((arg) => (arg.startsWith('/usr/local/bin/') ? copySource(dockerfile, arg) : arg));
    healthcheck = instruction(dockerfile, /^HEALTHCHECK .* CMD (\[.*\])$/m);
    const compose = parse(await readFile(join(ROOT, 'docker-compose.yml'), 'utf8')) as { services: { agent: { environment: Record<string, string> } } };
    const image = Object.fromEntries([...dockerfile.matchAll(/^ENV (.+)$/gm)].flatMap((m) => (m[1] ?? '').split(/\s+/).map((kv) => kv.split('=') as [string, string])));
    env = {
      // `node` as the entrypoint's exec finds it: this Node first.
      PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? '/usr/bin:/bin'}`,
      ...image,
      ...compose.services.agent.environment,
      // Substituted: a temp dir for the data volume, the lock and /dev/shm; test sources for the camera and microphone.
      ROOMCAST_DATA_DIR: join(dir, 'data'),
      ROOMCAST_UPDATE_LOCK_PATH: join(dir, 'balena', 'updates.lock'),
      ROOMCAST_HOST_SHM: dir,
      ROOMCAST_VIDEO_SOURCE: 'test',
      ROOMCAST_AUDIO_SOURCE: 'test',
      // This machine is no privileged container: the entrypoint must not even try to give it a new /dev.
      UDEV: 'off',
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

  test('ENTRYPOINT + CMD start the agent idle with the compose environment, HEALTHCHECK follows it, SIGTERM stops it cleanly', async () => {
    assert.deepEqual(cmd, ['node', 'dist/cli/main.js', 'device']);
    assert.equal(await healthy(), false, 'healthy before the agent started');
    const [program = '', ...args] = [...entrypoint, ...cmd];
    agent = new Managed(spawn(program, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] }));
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

  test('with UDEV=on but not PID 1 of a container, the entrypoint leaves /dev alone and runs the command', async () => {
    // Stand-ins for every command that could touch /dev, first on PATH: each records its call (and none may be called).
    const bin = join(dir, 'bin');
    const calls = join(dir, 'calls');
    await mkdir(bin);
    for (const name of ['mount', 'umount', 'mountpoint', 'unshare', 'udevadm']) {
      await writeFile(join(bin, name), `#!/bin/sh\necho ${name} "$@" >> ${calls}\nexit 1\n`);
      await chmod(join(bin, name), 0o755);
    }
    const [program = ''] = entrypoint;
    const out = await run(program, ['node', '-e', 'process.stdout.write("ran " + process.argv.slice(1).join(" "))', 'a b'], {
      env: { ...env, PATH: `${bin}:${env['PATH'] ?? ''}`, UDEV: 'on' },
    });
    assert.equal(out.stdout, 'ran a b', 'the command and its arguments, as given');
    assert.match(out.stderr, /not PID 1 of a container: \/dev left alone/);
    assert.equal(await readFile(calls, 'utf8').catch(() => ''), '', 'the entrypoint ran a command that touches /dev');
  });
});
