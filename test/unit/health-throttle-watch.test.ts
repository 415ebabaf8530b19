import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { constants } from 'node:fs';
import { access, cp, mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Health } from '../../common/protocol.js';
import type { HostPaths } from '../../device/hardware/paths.js';
import { SystemHealthProbe } from '../../device/health/system-probe.js';
import { sleep } from '../helpers/env.js';
import { writeScript } from '../helpers/file-tree.js';
import { useTempDir } from '../helpers/fixture.js';
import { FIXTURES, type HostFixture } from '../helpers/host-fixtures.js';
import { LogLines } from '../helpers/log-lines.js';

/** Relative to the Pi 4 tree's /sys. */
const GET_THROTTLED = 'sys/devices/platform/soc/soc:firmware/get_throttled';
const ALARM = 'sys/devices/platform/soc/soc:firmware/raspberrypi-hwmon/hwmon/hwmon0/in0_lcrit_alarm';

/** Short, so a test waits little; the waits below are many polls long, so a slow machine does not change the outcome. */
const POLL_MS = 10;
const MANY_POLLS = POLL_MS * 20;

/** Until the probe has read its sources a few more times between samples: counted, not timed, so a slow machine only waits longer. */
async function polled(probe: SystemHealthProbe, polls = 3): Promise<void> {
  const until = probe.throttlePolls + polls;
  const deadline = Date.now() + 10_000;
  while (probe.throttlePolls < until) {
    if (Date.now() > deadline) assert.fail(`the probe polled ${probe.throttlePolls} times, not ${until}, in 10 s`);
    await sleep(POLL_MS);
  }
}

const FLAG_KEYS = ['underVoltageNow', 'underVoltageOccurred', 'freqCappedNow', 'freqCappedOccurred', 'throttledNow', 'throttledOccurred', 'softTempLimitNow', 'softTempLimitOccurred'] as const;
const NONE = Object.fromEntries(FLAG_KEYS.map((k) => [k, false]));

function flags(h: Health): Partial<Health> {
  return Object.fromEntries(FLAG_KEYS.filter((k) => h[k] !== undefined).map((k) => [k, h[k]]));
}

interface Tree {
  root: string;
  paths: HostPaths;
  log: LogLines;
  probe(pollMs?: number): SystemHealthProbe;
}

let trees = 0;

/** A copy of a real Pi's fixture tree the test may write into (its symlinks are relative, so they stay inside the copy). */
async function copyOf(base: string, board: HostFixture): Promise<Tree> {
  const root = join(base, `${board}-${++trees}`);
  await cp(join(FIXTURES, board), root, { recursive: true, verbatimSymlinks: true });
  await mkdir(join(root, 'data'), { recursive: true });
  const paths = { sys: join(root, 'sys'), proc: join(root, 'proc'), dev: join(root, 'dev') };
  const log = new LogLines();
  return {
    root,
    paths,
    log,
    probe: (pollMs = POLL_MS) =>
      new SystemHealthProbe({
        paths,
        dirs: { dataDir: join(root, 'data'), recordDir: null },
        log: log.logger,
        // Never this machine's vcgencmd: a tree has one only when the test writes it.
        vcgencmd: { command: join(root, 'bin/vcgencmd'), timeoutMs: 1000, path: '' },
        pollMs,
      }),
  };
}

/**
 * Replaces a file of the tree at once, as the kernel does: a sysfs read never
 * sees half a value, while writeFile's truncate-then-write would let a poll
 * read an empty file.
 */
async function put(root: string, path: string, text: string): Promise<void> {
  const file = join(root, path);
  await writeFile(`${file}.new`, text);
  await rename(`${file}.new`, file);
}

/** What the probe logged about the throttling sources (the fixture trees have no /proc/uptime and such, which fail as they should). */
function throttleWarnings(log: LogLines): unknown[] {
  return log.at('warn').filter((l) => ['throttling', 'throttlingPoll', 'underVoltageAlarm'].includes(String(l['measure'])));
}

/** Writes into a FIFO if someone is reading it (O_NONBLOCK: ENXIO, not a wait, when nobody is). */
async function answerFifo(fifo: string, text: string): Promise<void> {
  let file;
  try {
    file = await open(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (err) {
    if (err instanceof Error && 'code' in err && err.code === 'ENXIO') return;
    throw err;
  }
  try {
    await file.write(text);
  } finally {
    await file.close();
  }
}

function timers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

describe('the health probe between samples (Pi 4 tree: get_throttled and the rpi_volt hwmon)', () => {
  const tmp = useTempDir('roomcast-throttle-watch-');

  it('reports an under-voltage the kernel cleared before the next sample, and keeps reporting it', async () => {
    const t = await copyOf(tmp.dir, 'pi4-c920');
    const probe = t.probe();
    await probe.start();
    try {
      assert.deepEqual(flags(await probe.sample()), NONE);
      // A brown-out: the hwmon driver's answer shows it, and 2 s later its next request has cleared it.
      await put(t.root, GET_THROTTLED, '50005\n');
      await polled(probe);
      await put(t.root, GET_THROTTLED, '0\n');
      await polled(probe);
      const after = { ...NONE, underVoltageOccurred: true, throttledOccurred: true };
      assert.deepEqual(flags(await probe.sample()), after);
      assert.deepEqual(flags(await probe.sample()), after, 'occurred stays: since the agent started');
    } finally {
      await probe.stop();
    }
    assert.deepEqual(throttleWarnings(t.log), []);
  });

  it('without start(), a sample sees only what the file says at that moment', async () => {
    const t = await copyOf(tmp.dir, 'pi4-c920');
    const probe = t.probe();
    assert.deepEqual(flags(await probe.sample()), NONE);
    await put(t.root, GET_THROTTLED, '50005\n');
    await sleep(MANY_POLLS);
    await put(t.root, GET_THROTTLED, '0\n');
    assert.deepEqual(flags(await probe.sample()), NONE);
  });

  it('latches the hwmon under-voltage alarm alone, at a sample and between samples', async () => {
    const t = await copyOf(tmp.dir, 'pi4-c920');
    const atSample = t.probe();
    await put(t.root, ALARM, '1\n');
    assert.deepEqual(flags(await atSample.sample()), { ...NONE, underVoltageOccurred: true });
    await put(t.root, ALARM, '0\n');
    assert.deepEqual(flags(await atSample.sample()), { ...NONE, underVoltageOccurred: true });

    const between = t.probe();
    await between.start();
    try {
      await put(t.root, ALARM, '1\n');
      await polled(between);
      await put(t.root, ALARM, '0\n');
      await polled(between);
      assert.deepEqual(flags(await between.sample()), { ...NONE, underVoltageOccurred: true });
    } finally {
      await between.stop();
    }
    assert.deepEqual(throttleWarnings(t.log), []);
  });

  it('stop() leaves no timer behind', async () => {
    const t = await copyOf(tmp.dir, 'pi4-c920');
    // A long interval: the timer is surely pending when counted.
    const probe = t.probe(60_000);
    const before = timers();
    await probe.start();
    assert.equal(timers(), before + 1);
    await probe.stop();
    assert.equal(timers(), before);
    await probe.stop();
    assert.equal(timers(), before, 'a second stop() is harmless');
  });

  it('stop() waits for a read in progress', async () => {
    const t = await copyOf(tmp.dir, 'pi4-c920');
    const probe = t.probe();
    await probe.start();
    // A FIFO in place of the file: the next poll's read blocks until the test writes into it.
    const fifo = join(t.root, GET_THROTTLED);
    await rm(fifo);
    execFileSync('mkfifo', [fifo]);
    await sleep(MANY_POLLS);
    let stopped = false;
    const stopping = probe.stop().then(() => {
      stopped = true;
    });
    try {
      await sleep(MANY_POLLS);
      assert.equal(stopped, false, 'the poll is still reading');
    } finally {
      // Whatever happened, a blocked reader gets its answer, so the test process can exit.
      await answerFifo(fifo, '0\n');
    }
    await stopping;
    assert.equal(stopped, true);
  });
});

describe('the health probe on a Pi without the get_throttled sysfs file', () => {
  const tmp = useTempDir('roomcast-throttle-watch-vc-');

  it('with the rpi_volt hwmon (a mainline kernel): polls the alarm, never runs vcgencmd on the timer, and reports under-voltage occurred alone', async () => {
    const t = await copyOf(tmp.dir, 'pi4-c920');
    await rm(join(t.root, GET_THROTTLED));
    await writeScript(join(t.root, 'bin/vcgencmd'), 'echo "$@" >> "$0.calls"\necho "throttled=0x0"');
    const probe = t.probe();
    await probe.start();
    try {
      await put(t.root, ALARM, '1\n');
      await polled(probe);
      await put(t.root, ALARM, '0\n');
      await polled(probe);
      assert.equal(await exists(join(t.root, 'bin/vcgencmd.calls')), false, 'the timer ran many times without spawning');
      // The sample asks vcgencmd (once) and adds the alarm latched between samples.
      assert.deepEqual(flags(await probe.sample()), { ...NONE, underVoltageOccurred: true });
      await rm(join(t.root, 'bin/vcgencmd'));
      await probe.stop();
      // No vcgencmd either: only what the alarm says.
      const alone = t.probe();
      await put(t.root, ALARM, '1\n');
      assert.deepEqual(flags(await alone.sample()), { underVoltageOccurred: true });
    } finally {
      await probe.stop();
    }
    assert.deepEqual(throttleWarnings(t.log), []);
  });

  it('finds the rpi_volt hwmon by its name, not its number (Pi 5: hwmon2, after cpu_thermal)', async () => {
    const t = await copyOf(tmp.dir, 'pi5-picam3');
    await rm(join(t.root, 'sys/devices/platform/soc@107c000000/soc@107c000000:firmware/get_throttled'));
    assert.deepEqual(flags(await t.probe().sample()), { underVoltageOccurred: true });
    await put(t.root, 'sys/devices/platform/soc@107c000000/soc@107c000000:firmware/raspberrypi-hwmon/hwmon/hwmon2/in0_lcrit_alarm', '0\n');
    assert.deepEqual(flags(await t.probe().sample()), { underVoltageOccurred: false });
    assert.deepEqual(throttleWarnings(t.log), []);
  });

  it('with neither sysfs source: no timer at all, and vcgencmd only at a sample', async () => {
    const t = await copyOf(tmp.dir, 'pi3-legacy-cam');
    await rm(join(t.root, 'sys/devices/platform/soc/soc:firmware/get_throttled'));
    await writeScript(join(t.root, 'bin/vcgencmd'), 'echo "$@" >> "$0.calls"\necho "throttled=0x50000"');
    const probe = t.probe();
    const before = timers();
    await probe.start();
    try {
      assert.equal(timers(), before);
      assert.equal(await exists(join(t.root, 'bin/vcgencmd.calls')), false);
      assert.deepEqual(flags(await probe.sample()), { ...NONE, underVoltageOccurred: true, throttledOccurred: true });
      assert.ok(t.log.at('info').some((l) => l.msg.startsWith('no get_throttled file or rpi_volt hwmon')));
    } finally {
      await probe.stop();
    }
  });
});
