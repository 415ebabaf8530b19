import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { access, chmod, lstat, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { Managed } from '../../testbed/process.js';
import { sleep } from '../helpers/env.js';
import { useTempDir } from '../helpers/fixture.js';

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


/** One line of `findmnt -rn -o ID,PARENT,TARGET,FSTYPE`. */
interface Mount {
  id: string;
  parent: string;
  target: string;
  fstype: string;
}

const mountTable = (text: string): Mount[] =>
  text
    .trim()
    .split('\n')
    .map((line) => {
      const [id = '', parent = '', target = '', fstype = ''] = line.split(' ');
      return { id, parent, target, fstype };
    });

/** The topmost mount at `target` (mounts stacked on one path are listed in the order they were made). */
const top = (mounts: Mount[], target: string): Mount | undefined => mounts.filter((m) => m.target === target).at(-1);

/** What the tests must not change: the names in this machine's /dev and its /dev/ptmx (a symlink to it would replace it). */
async function hostDev(): Promise<string> {
  // lstat: a symlink in its place shows; not its times, which any terminal's output changes.
  const ptmx = await lstat('/dev/ptmx');
  return JSON.stringify({ names: (await readdir('/dev')).sort(), ptmx: [ptmx.mode, ptmx.rdev, ptmx.ino] });
}

/**
 * The entrypoint as a container's init really runs it: PID 1, privileged,
 * with a /dev like Docker's (a tmpfs with device nodes, and /dev/shm,
 * /dev/pts and /dev/console mounted in it), all in a mount and PID namespace
 * of its own (`unshare`, private propagation), so nothing it mounts reaches
 * this machine's /dev. A devtmpfs is one file system for the whole kernel:
 * the entrypoint only creates the mount points missing from it, so these
 * tests run only where shm, pts and console already exist in it, mount it
 * read-only (in the namespace: the entrypoint must write nothing to it), and
 * check that this machine's /dev is unchanged after.
 * udevd is not started for real: its `udevadm trigger` would replay every
 * device's "add" event to this machine's own udev.
 */
describe('the entrypoint as PID 1 of its own mount and PID namespace, with a /dev like Docker\'s', () => {
  const tmp = useTempDir('roomcast-udev-ns-');
  /** Why these tests cannot run here, or null. */
  let refusal: string | null = null;
  let hostDevBefore = '';

  before(async () => {
    hostDevBefore = await hostDev();
    if (process.getuid?.() !== 0) {
      refusal = 'mount namespaces and mounts need root, and these tests do not run as root';
      return;
    }
    if (!(await access('/usr/bin/unshare').then(() => true, () => false))) {
      refusal = 'no util-linux unshare at /usr/bin/unshare';
      return;
    }
    // Can a devtmpfs be mounted here, and does it hold every mount point the entrypoint would otherwise create in it?
    const probe = await run(
      '/usr/bin/unshare',
      ['--mount', '--propagation', 'private', '--fork', '--kill-child', 'sh', '-c', 'd=$(mktemp -d) && mount -t devtmpfs none "$d" || exit 2; for n in shm pts console; do [ -e "$d/$n" ] || missing="$missing $n"; done; umount "$d"; rmdir "$d"; [ -z "$missing" ] || { echo "$missing"; exit 3; }'],
      { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', TMPDIR: tmp.dir }, timeout: 10_000 },
    ).then(
      () => null,
      (err: { code?: number; stdout?: string; stderr?: string }) =>
        err.code === 3
          ? `this machine's devtmpfs has no${err.stdout?.trimEnd() ?? ''}: the entrypoint would create it in this machine's own /dev`
          : `the kernel refuses to mount a devtmpfs here: ${err.stderr?.trim() ?? String(err.code)}`,
    );
    refusal = probe;
  });

  /**
   * Runs the entrypoint as PID 1 of a new namespace whose /dev is set up like
   * Docker's, with `mount` on its PATH failing the --move calls numbered in
   * `failMoves` (1 = the first) and passing everything else to /usr/bin/mount;
   * the command it execs records the mounts and what it sees.
   */
  async function inNamespace(name: string, failMoves: number[]): Promise<{ dir: string; stderr: string; before: Mount[]; after: Mount[]; pid: string; shm: string; left: string; calls: string }> {
    const dir = join(tmp.dir, name);
    const bin = join(dir, 'bin');
    await mkdir(bin, { recursive: true });
    await mkdir(join(dir, 'tmp'));
    const calls = join(dir, 'calls');
    await writeFile(
      join(bin, 'mount'),
      [
        '#!/bin/sh',
        // The devtmpfs is this machine's /dev under another name: mounted read-only here (a flag of this mount alone), nothing the entrypoint does can write to it.
        'if [ "$1" = -t ] && [ "$2" = devtmpfs ]; then',
        '  /usr/bin/mount "$@" || exit $?',
        '  for target; do :; done',
        '  exec /usr/bin/mount -o remount,bind,ro "$target"',
        'fi',
        'if [ "$1" = --move ]; then',
        `  n=$(( $(cat "${dir}/moves" 2>/dev/null || echo 0) + 1 )); echo $n > "${dir}/moves"`,
        `  echo "mount $*" >> "${calls}"`,
        `  case " ${failMoves.join(' ')} " in *" $n "*) echo "mount: move $n made to fail by the test" >&2; exit 32 ;; esac`,
        'fi',
        'exec /usr/bin/mount "$@"',
        '',
      ].join('\n'),
    );
    // udevd and its trigger would act on this machine's devices: stand-ins that only record their call.
    for (const tool of ['unshare', 'udevadm']) await writeFile(join(bin, tool), `#!/bin/sh\necho ${tool} "$@" >> "${calls}"\n`);
    for (const tool of ['mount', 'unshare', 'udevadm']) await chmod(join(bin, tool), 0o755);
    // Docker's /dev: a tmpfs with nodes in it, and shm, pts (a new devpts instance) and console (a bind-mounted node) mounted there.
    await writeFile(
      join(dir, 'docker-dev.sh'),
      [
        'set -e',
        'mount -t tmpfs -o mode=755 tmpfs /dev',
        'mknod -m 666 /dev/null c 1 3',
        'mkdir /dev/shm /dev/pts',
        'mount -t tmpfs -o mode=1777 shm /dev/shm',
        'echo kept > /dev/shm/roomcast-marker',
        'mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts',
        'touch /dev/console',
        'mount --bind /dev/null /dev/console',
        `findmnt -rn -o ID,PARENT,TARGET,FSTYPE > "${dir}/before"`,
        'exec "$@"',
        '',
      ].join('\n'),
    );
    await writeFile(
      join(dir, 'command.sh'),
      [
        `findmnt -rn -o ID,PARENT,TARGET,FSTYPE > "${dir}/after"`,
        `echo $$ > "${dir}/pid"`,
        `cat /dev/shm/roomcast-marker > "${dir}/shm"`,
        `ls -A "${join(dir, 'tmp')}" > "${dir}/left"`,
        '',
      ].join('\n'),
    );
    const [entry = ''] = await readFile(join(ROOT, 'Dockerfile'), 'utf8').then((d) => instruction(d, /^ENTRYPOINT (\[.*\])$/m).map((arg) => copySource(d, arg)));
    const out = await run(
      '/usr/bin/unshare',
      ['--mount', '--propagation', 'private', '--pid', '--fork', '--mount-proc', '--kill-child', 'sh', join(dir, 'docker-dev.sh'), entry, 'sh', join(dir, 'command.sh')],
      {
        env: { PATH: `${bin}:/usr/sbin:/usr/bin:/sbin:/bin`, TMPDIR: join(dir, 'tmp'), UDEV: 'on', ROOMCAST_UDEV_FORCE: '1' },
        timeout: 30_000,
      },
    );
    const read = (file: string): Promise<string> => readFile(join(dir, file), 'utf8').catch(() => '');
    return {
      dir,
      stderr: out.stderr,
      before: mountTable(await read('before')),
      after: mountTable(await read('after')),
      pid: (await read('pid')).trim(),
      shm: (await read('shm')).trim(),
      left: (await read('left')).trim(),
      calls: await read('calls'),
    };
  }

  /** The failure and its undoing leave /dev as Docker made it: the same mounts (the same mount ids), /dev/shm's content still there, no temp mount left. */
  function assertDevAsItWas(r: Awaited<ReturnType<typeof inNamespace>>): void {
    assert.ok(r.before.length > 0 && r.after.length > 0, r.stderr);
    assert.deepEqual(r.after, r.before, `the mounts differ from before the entrypoint ran\n${r.stderr}`);
    const dev = top(r.after, '/dev');
    assert.equal(dev?.fstype, 'tmpfs', 'Docker\'s tmpfs is /dev again');
    for (const [target, fstype] of [['/dev/shm', 'tmpfs'], ['/dev/pts', 'devpts'], ['/dev/console', 'tmpfs']] as const) {
      const m = top(r.after, target);
      assert.equal(m?.fstype, fstype, `${target} is mounted at ${target}`);
      assert.equal(m.parent, dev.id, `${target} is inside /dev`);
    }
    assert.equal(r.shm, 'kept', '/dev/shm still holds what was written to it');
    assert.equal(r.after.filter((m) => m.fstype === 'devtmpfs').length, r.before.filter((m) => m.fstype === 'devtmpfs').length, 'a devtmpfs mount was left behind');
    assert.equal(r.left, '', 'the temp dir was not removed');
    assert.equal(r.pid, '1', 'the command runs as PID 1, exec\'d by the entrypoint');
    assert.match(r.stderr, /starting udev failed: devices plugged in later will not appear/);
    assert.doesNotMatch(r.calls, /^(unshare|udevadm)/m, 'udevd started on a /dev that was not replaced');
  }

  test('the final move of the devtmpfs to /dev fails: shm, pts and console go back, the devtmpfs is unmounted and removed, the command runs', async (t) => {
    if (refusal) return t.skip(refusal);
    const r = await inNamespace('final-move-fails', [4]);
    assert.match(r.calls, /mount --move \/dev\/console .*\/console\n.*--move \S+ \/dev\n/, 'the three mounts were moved before the final move failed');
    assertDevAsItWas(r);
    assert.match(r.stderr, /could not move the devtmpfs to \/dev: \/dev left as it was/);
    // Moved back latest first.
    assert.match(r.calls, /\/console \/dev\/console\n.*\/pts \/dev\/pts\n.*\/shm \/dev\/shm\n$/);
    assert.equal(await hostDev(), hostDevBefore, 'this machine\'s /dev changed');
  });

  test('moving /dev/pts fails after /dev/shm was moved: /dev/shm goes back, the command runs', async (t) => {
    if (refusal) return t.skip(refusal);
    const r = await inNamespace('second-move-fails', [2]);
    assertDevAsItWas(r);
    assert.match(r.stderr, /could not move \/dev\/pts: \/dev left as it was/);
    assert.match(r.calls, /\/shm \/dev\/shm\n$/);
    assert.equal(await hostDev(), hostDevBefore, 'this machine\'s /dev changed');
  });

  test('a mount that cannot be moved back is reported with where it is, and the command still runs', async (t) => {
    if (refusal) return t.skip(refusal);
    // The final move fails, then so does moving /dev/console back.
    const r = await inNamespace('move-back-fails', [4, 5]);
    assert.match(r.stderr, /could not move \/dev\/console back: it is still at \S+\/console/);
    assert.match(r.stderr, /could not move the devtmpfs to \/dev, and \/dev could not be put back as it was: the devtmpfs stays mounted at /);
    assert.equal(top(r.after, '/dev/shm')?.fstype, 'tmpfs', '/dev/shm was still moved back');
    assert.equal(top(r.after, '/dev/pts')?.fstype, 'devpts', '/dev/pts was still moved back');
    assert.equal(r.pid, '1');
    assert.equal(await hostDev(), hostDevBefore, 'this machine\'s /dev changed');
  });

  test('nothing fails: a devtmpfs over /dev with shm, pts and console moved into it, /dev/ptmx bound to the container\'s devpts, udevd started', async (t) => {
    if (refusal) return t.skip(refusal);
    const r = await inNamespace('success', []);
    assert.match(r.stderr, /udevd started: \/dev follows devices plugged in later/);
    const dev = top(r.after, '/dev');
    assert.equal(dev?.fstype, 'devtmpfs', '/dev is a devtmpfs');
    assert.ok(!r.before.some((m) => m.id === dev.id), 'a new mount');
    for (const target of ['/dev/shm', '/dev/pts', '/dev/console']) {
      const was = top(r.before, target);
      const is = r.after.find((m) => m.id === was?.id);
      assert.equal(is?.target, target, `${target} is the same mount, at ${target}`);
      assert.equal(is.parent, dev.id, `${target} is inside the devtmpfs`);
    }
    assert.equal(top(r.after, '/dev/ptmx')?.fstype, 'devpts', '/dev/ptmx is the devpts instance\'s ptmx');
    assert.equal(r.shm, 'kept');
    assert.equal(r.left, '', 'the temp dir was not removed');
    assert.equal(r.pid, '1');
    assert.match(r.calls, /^unshare --net \/lib\/systemd\/systemd-udevd --daemon$/m);
    assert.match(r.calls, /^udevadm trigger --action=add$/m);
    assert.equal(await hostDev(), hostDevBefore, 'this machine\'s /dev changed');
  });
});
