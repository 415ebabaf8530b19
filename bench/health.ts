/**
 * Benchmark: what one health sample costs the box.
 *
 *   node dist/bench/health.js [--samples 200] [--interval-ms 250]
 *
 * Method. Two probes gather the same measures in this one process, in
 * alternating blocks of 10 samples so load drift falls on both: the box's
 * SystemHealthProbe (/proc, /sys, statfs) and a baseline made of
 * systeminformation's obvious calls (bench/health-si-baseline.ts). Samples
 * are `--interval-ms` apart (si.currentLoad answers from a cache for 200 ms,
 * which a faster loop would measure instead of its real work); the pause is
 * not measured. Per sample:
 * - CPU of this process: process.cpuUsage() before and after (all threads,
 *   so the libuv threadpool's file reads count);
 * - CPU of the processes it started: cutime + cstime of /proc/self/stat
 *   (children are counted once reaped, with their own children), 10 ms ticks;
 * - wall time: performance.now() around the awaited sample;
 * - processes spawned: child_process's functions are wrapped before either
 *   probe is loaded (module.syncBuiltinESMExports for ESM importers), and the
 *   machine-wide last PID of /proc/loadavg cross-checks it.
 * The event loop's worst delay (perf_hooks, 5 ms resolution) is kept per
 * side: a synchronous spawn in the agent would hold up MQTT and IPC.
 * Memory: separate node processes import one probe, take 10 samples and
 * report RSS and heap after a full GC, against an empty process
 * (`--rss none|probe|si`, run by this benchmark itself, 5 times each).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createLogger } from '../common/log.js';
import type { Health } from '../common/protocol.js';
import type { HealthDirs, HealthProbe } from '../device/health/probe.js';
import { arg, runBench, sleep } from './common.js';

const SPAWNERS = ['exec', 'execFile', 'spawn', 'fork', 'execSync', 'execFileSync', 'spawnSync'] as const;
/** Every call to a child_process function since the wrap, as "function command". */
const spawnCalls: string[] = [];

let depth = 0;

function countSpawns(): void {
  const cp = createRequire(import.meta.url)('node:child_process') as Record<(typeof SPAWNERS)[number], (...args: unknown[]) => unknown>;
  for (const name of SPAWNERS) {
    const original = cp[name];
    cp[name] = function (this: unknown, ...args: unknown[]): unknown {
      // exec calls execFile through the exports: count the outer call only.
      if (depth === 0) spawnCalls.push(`${name} ${typeof args[0] === 'string' ? args[0].split(/\s+/, 1)[0] : '?'}`);
      depth += 1;
      try {
        return original.apply(this, args);
      } finally {
        depth -= 1;
      }
    };
  }
  syncBuiltinESMExports();
}

/** CPU time of reaped children (cutime + cstime) in ms; USER_HZ is 100 on Linux. */
function childCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

function lastPid(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').trim().split(/\s+/)[4]);
}

interface Side {
  name: string;
  probe: HealthProbe;
  ownCpuUs: number[];
  childCpuMs: number;
  wallMs: number[];
  spawns: string[];
  pids: number;
  delayMaxMs: number;
  last: Health | null;
}

function side(name: string, probe: HealthProbe): Side {
  return { name, probe, ownCpuUs: [], childCpuMs: 0, wallMs: [], spawns: [], pids: 0, delayMaxMs: 0, last: null };
}

async function measureOne(s: Side, keep: boolean): Promise<void> {
  const spawnsBefore = spawnCalls.length;
  const pid0 = lastPid();
  const child0 = childCpuMs();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const h = await s.probe.sample();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const child = childCpuMs() - child0;
  const pids = lastPid() - pid0;
  if (!keep) return;
  s.ownCpuUs.push(cpu.user + cpu.system);
  s.wallMs.push(wall);
  s.childCpuMs += child;
  s.spawns.push(...spawnCalls.slice(spawnsBefore));
  if (pids > 0) s.pids += pids;
  s.last = h;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const mean = (values: readonly number[]): number => values.reduce((a, v) => a + v, 0) / Math.max(1, values.length);

interface Summary {
  ownCpuMs: number;
  childCpuMs: number;
  cpuMs: number;
  wallP50: number;
  wallP95: number;
  wallMax: number;
  spawnsPerSample: number;
  pidsPerSample: number;
  delayMaxMs: number;
  commands: string;
}

function summarise(s: Side): Summary {
  const n = s.wallMs.length;
  const ownCpuMs = mean(s.ownCpuUs) / 1000;
  const childMs = s.childCpuMs / n;
  const byCommand = new Map<string, number>();
  for (const c of s.spawns) byCommand.set(c, (byCommand.get(c) ?? 0) + 1);
  const commands = [...byCommand].map(([c, k]) => `${c} x${(k / n).toFixed(1)}`).join(', ');
  return {
    ownCpuMs,
    childCpuMs: childMs,
    cpuMs: ownCpuMs + childMs,
    wallP50: percentile(s.wallMs, 50),
    wallP95: percentile(s.wallMs, 95),
    wallMax: Math.max(...s.wallMs),
    spawnsPerSample: s.spawns.length / n,
    pidsPerSample: s.pids / n,
    delayMaxMs: s.delayMaxMs,
    commands: commands === '' ? 'none' : commands,
  };
}

function line(name: string, m: Summary): string {
  return (
    `${name.padEnd(22)} CPU ${m.cpuMs.toFixed(2)} ms/sample (own ${m.ownCpuMs.toFixed(2)}, children ${m.childCpuMs.toFixed(2)}); ` +
    `wall p50 ${m.wallP50.toFixed(2)} p95 ${m.wallP95.toFixed(2)} max ${m.wallMax.toFixed(1)} ms; ` +
    `spawns ${m.spawnsPerSample.toFixed(1)}/sample (PIDs used ${m.pidsPerSample.toFixed(1)}); event loop max delay ${m.delayMaxMs.toFixed(1)} ms\n` +
    `${''.padEnd(22)} spawned: ${m.commands}\n`
  );
}

const run = promisify(execFile);
const SELF = fileURLToPath(import.meta.url);

type RssTarget = 'none' | 'probe' | 'si';

/** Child mode: load one probe, sample 10 times, report memory after a full GC. */
async function rssChild(target: RssTarget): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  const dirs: HealthDirs = { dataDir: tmpdir(), recordDir: null };
  const silent = createLogger('bench', { write: () => undefined });
  if (target !== 'none') {
    const probe: HealthProbe =
      target === 'si'
        ? new (await import('./health-si-baseline.js')).SystemInformationProbe(dirs)
        : new (await import('../device/health/system-probe.js')).SystemHealthProbe({ paths: (await import('../device/hardware/paths.js')).hostPaths({}), dirs, log: silent });
    for (let i = 0; i < 10; i++) {
      await probe.sample();
      await sleep(210);
    }
  }
  gc();
  gc();
  const m = process.memoryUsage();
  process.stdout.write(JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed }));
}

async function rssOf(target: RssTarget): Promise<{ rss: number; heapUsed: number }> {
  const runs: { rss: number; heapUsed: number }[] = [];
  for (let i = 0; i < 5; i++) {
    const { stdout } = await run(process.execPath, ['--expose-gc', SELF, '--rss', target], { timeout: 60_000 });
    runs.push(JSON.parse(stdout) as { rss: number; heapUsed: number });
  }
  return { rss: percentile(runs.map((r) => r.rss), 50), heapUsed: percentile(runs.map((r) => r.heapUsed), 50) };
}

const MiB = 1024 * 1024;

async function main(): Promise<void> {
  const rssIndex = process.argv.indexOf('--rss');
  if (rssIndex >= 0) return rssChild((process.argv[rssIndex + 1] ?? 'none') as RssTarget);

  const samples = arg('samples', 200);
  const intervalMs = arg('interval-ms', 250);
  const block = 10;
  const dir = await mkdtemp(join(tmpdir(), 'roomcast-bench-health-'));
  try {
    countSpawns();
    const dirs: HealthDirs = { dataDir: dir, recordDir: dir };
    const { SystemHealthProbe } = await import('../device/health/system-probe.js');
    const { hostPaths } = await import('../device/hardware/paths.js');
    const { SystemInformationProbe } = await import('./health-si-baseline.js');
    const ours = side('roomcast probe', new SystemHealthProbe({ paths: hostPaths({}), dirs, log: createLogger('bench', process.stderr) }));
    const baseline = side('systeminformation', new SystemInformationProbe(dirs));
    const both = [baseline, ours];

    // Warm-up: module caches, the first /proc/stat reading, the vcgencmd lookup.
    for (const s of both) for (let i = 0; i < 3; i++) {
      await measureOne(s, false);
      await sleep(intervalMs);
    }
    for (let done = 0; done < samples; done += block) {
      for (const s of both) {
        // A fresh histogram per block: a re-enabled one counts the disabled time as one long delay.
        const delay = monitorEventLoopDelay({ resolution: 5 });
        delay.enable();
        for (let i = 0; i < Math.min(block, samples - done); i++) {
          await measureOne(s, true);
          await sleep(intervalMs);
        }
        delay.disable();
        s.delayMaxMs = Math.max(s.delayMaxMs, delay.max / 1e6);
      }
    }

    const [b, o] = [summarise(baseline), summarise(ours)];
    const out = process.stdout;
    out.write(`\nhealth sample cost, ${samples} samples per probe, ${intervalMs} ms apart, Node ${process.version}\n`);
    out.write(line(baseline.name, b));
    out.write(line(ours.name, o));
    out.write(`ratio systeminformation/roomcast: CPU ${(b.cpuMs / o.cpuMs).toFixed(1)}x, wall p50 ${(b.wallP50 / o.wallP50).toFixed(1)}x\n`);
    out.write(`every 10 s, the probe costs ${((o.cpuMs / 10_000) * 100).toFixed(4)} % of one core (systeminformation ${((b.cpuMs / 10_000) * 100).toFixed(3)} %)\n`);
    out.write(`last samples:\n  systeminformation ${JSON.stringify(baseline.last)}\n  roomcast          ${JSON.stringify(ours.last)}\n`);

    const [none, probe, si] = [await rssOf('none'), await rssOf('probe'), await rssOf('si')];
    out.write(`memory after 10 samples and a full GC (median of 5 processes), over an empty node process (RSS ${(none.rss / MiB).toFixed(1)} MiB):\n`);
    for (const [name, m] of [['roomcast probe', probe], ['systeminformation', si]] as const) {
      out.write(`  ${name.padEnd(18)} RSS +${((m.rss - none.rss) / MiB).toFixed(1)} MiB, heap +${((m.heapUsed - none.heapUsed) / MiB).toFixed(2)} MiB\n`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

runBench(main);
