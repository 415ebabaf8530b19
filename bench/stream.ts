/**
 * Benchmark: the roomcast agent against the same pipeline run by plain
 * gst-launch-1.0, side by side on this machine, on loopback only.
 *
 *   node dist/bench/stream.js [--seconds 60] [--streams 3] [--starts 5]
 *
 * For each side it measures, with a real nginx-rtmp as the ingest:
 *  - CPU seconds and peak RSS of the whole process tree over a 720p30 stream;
 *  - time from process start to the first video frame at the ingest.
 * Runs alternate (baseline, agent, baseline, ...) so drift in machine load
 * falls on both. Prints figures and ratios agent/baseline.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../common/config/load.js';
import { planPipeline } from '../device/pipeline/plan.js';
import { renderCore, renderDestination, renderSlate, renderSources } from '../device/pipeline/render.js';
import { detectHardware } from '../device/hardware/detect.js';
import { hostPaths } from '../device/hardware/paths.js';
import { hasVideoTag } from '../testbed/flv.js';
import { NginxRtmp } from '../testbed/nginx-rtmp.js';
import { arg, benchBoxEnv, CLI, runBench, sleep, words } from './common.js';
import { freePort } from '../testbed/ports.js';
import { Managed } from '../testbed/process.js';
import { sampleTree } from '../testbed/proc-tree.js';




type Side = 'baseline' | 'agent';

interface Run {
  side: Side;
  firstFrameMs: number;
  cpuSeconds: number;
  peakRssMb: number;
  peakPssMb: number;
  threads: number;
}



/**
 * The agent's pipelines for this config on a fixed port, with the URL inline:
 * the core host's (core, sources and slate, one gst-launch-1.0 pipeline: the
 * inter channels work inside one process) and the one relay.
 */
async function baselineLaunches(env: Record<string, string>): Promise<[string[], string[]]> {
  const loaded = loadConfig(env);
  if (!loaded.ok) throw loaded.error;
  const planned = planPipeline(loaded.config, await detectHardware(hostPaths(env)), { sessionStamp: 'bench' });
  if (!planned.ok) throw new Error(planned.errors.join('; '));
  const destination = planned.plan.destinations[0];
  if (!destination) throw new Error('no destination');
  const port = await freePort();
  const coreHost = [renderCore(planned.plan, { fanoutPort: port }).launch, ...renderSources(planned.plan).map((s) => s.launch), renderSlate(planned.plan) ?? ''].join('  ');
  return [words(coreHost), words(renderDestination(destination, port, { inlineSecrets: true }).launch)];
}

async function once(side: Side, ingest: NginxRtmp, dir: string, seconds: number, n: number): Promise<Run> {
  const stream = `${side}-${n}`;
  const env = benchBoxEnv(join(dir, stream), ingest.url('live', stream), { ROOMCAST_LOG_LEVEL: 'warn' });
  const before = new Set(await ingest.received());
  const t0 = performance.now();
  let procs: Managed[];
  if (side === 'agent') {
    procs = [Managed.spawn(process.execPath, [CLI, 'device'], { env })];
  } else {
    const [core, relay] = await baselineLaunches(env);
    const coreProc = Managed.spawn('gst-launch-1.0', ['-e', ...core], { env });
    // The relay needs the core listening, as the agent's relay does; the agent waits for the port too.
    await waitForListening(coreProc);
    procs = [coreProc, Managed.spawn('gst-launch-1.0', ['-e', ...relay], { env })];
  }
  let firstFrameMs = NaN;
  let peakRss = 0;
  let peakPss = 0;
  let last = { cpuSeconds: 0, threads: 0 };
  const deadline = t0 + seconds * 1000;
  while (performance.now() < deadline) {
    for (const proc of procs) if (!proc.running) throw new Error(`${side} exited early:\n${proc.log.slice(-2000)}`);
    if (Number.isNaN(firstFrameMs)) {
      const file = (await ingest.received()).find((f) => !before.has(f));
      if (file && (await hasVideoTag(file))) firstFrameMs = performance.now() - t0;
      // Nothing else until the first frame: reading smaps_rollup takes each process's mmap lock,
      // which slows a process that is still loading its libraries (the more processes, the more).
      // CPU time is cumulative, so nothing is lost; the peaks are those of the running stream.
      await sleep(5);
      continue;
    }
    const samples = await Promise.all(procs.map((p) => sampleTree(p.pid)));
    const sum = (k: 'rssBytes' | 'pssBytes' | 'cpuSeconds' | 'threads'): number => samples.reduce((a, x) => a + x[k], 0);
    peakRss = Math.max(peakRss, sum('rssBytes'));
    peakPss = Math.max(peakPss, sum('pssBytes'));
    last = { cpuSeconds: sum('cpuSeconds'), threads: sum('threads') };
    await sleep(250);
  }
  await Promise.all(procs.map((p) => p.stop(10_000)));
  if (Number.isNaN(firstFrameMs)) throw new Error(`${side}: no video frame reached the ingest in ${seconds} s`);
  return { side, firstFrameMs, cpuSeconds: last.cpuSeconds, peakRssMb: peakRss / 1024 / 1024, peakPssMb: peakPss / 1024 / 1024, threads: last.threads };
}

/** gst-launch-1.0 prints "Setting pipeline to PLAYING" once the core's server socket is bound. */
async function waitForListening(proc: Managed): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!proc.log.includes('Setting pipeline to PLAYING')) {
    if (!proc.running || Date.now() > deadline) throw new Error(`core did not start:\n${proc.log}`);
    await sleep(2);
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? NaN) : ((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2;
};

async function main(): Promise<void> {
  const seconds = arg('seconds', 60);
  const starts = arg('starts', 5);
  const streams = arg('streams', 3);
  const dir = await mkdtemp(join(tmpdir(), 'roomcast-bench-'));
  const ingest = new NginxRtmp(join(dir, 'ingest'));
  await ingest.start();
  try {
    process.stdout.write(`roomcast bench: 720p30 x264 2500 kbit/s + AAC to nginx-rtmp on loopback; ${seconds} s streams; ${streams} streams and ${starts} start-up runs per side\n`);
    // CPU over one stream varies by several percent from run to run on a shared machine: alternate sides and take medians.
    const long: Run[] = [];
    for (let i = 1; i <= streams; i++) {
      for (const side of ['baseline', 'agent'] as const) {
        const r = await once(side, ingest, dir, seconds, -i);
        long.push(r);
        process.stdout.write(`  ${side.padEnd(8)} ${seconds} s: cpu ${r.cpuSeconds.toFixed(1)} s, peak rss ${r.peakRssMb.toFixed(0)} MiB, peak pss ${r.peakPssMb.toFixed(0)} MiB, threads ${r.threads}, first frame ${r.firstFrameMs.toFixed(0)} ms\n`);
      }
    }
    const startRuns: Run[] = [];
    for (let i = 1; i <= starts; i++) {
      for (const side of ['baseline', 'agent'] as const) startRuns.push(await once(side, ingest, dir, 4, i));
    }
    const ff = (side: Side): number[] => startRuns.filter((r) => r.side === side).map((r) => r.firstFrameMs);
    const of = (side: Side, k: 'cpuSeconds' | 'peakRssMb' | 'peakPssMb'): number => median(long.filter((r) => r.side === side).map((r) => r[k]));
    const row = (label: string, k: 'cpuSeconds' | 'peakRssMb' | 'peakPssMb', digits: number, ratioDigits: number, goal: string): string[] => {
      const [b, a] = [of('baseline', k), of('agent', k)];
      return [label, b.toFixed(digits), a.toFixed(digits), (a / b).toFixed(ratioDigits), goal];
    };
    const rows = [
      row(`CPU seconds over a ${seconds} s stream, median of ${streams}`, 'cpuSeconds', 1, 3, '<= 1.10'),
      row('Peak RSS, MiB (all processes; shared pages counted in each)', 'peakRssMb', 0, 2, '(reported)'),
      row('Peak PSS, MiB (all processes; shared pages divided)', 'peakPssMb', 0, 2, '(reported)'),
      [`Start to first frame at ingest, median of ${starts}, ms`, median(ff('baseline')).toFixed(0), median(ff('agent')).toFixed(0), (median(ff('agent')) / median(ff('baseline'))).toFixed(2), '<= 1.3'],
    ];
    process.stdout.write('\n| Measure | gst-launch-1.0 | roomcast agent | ratio | goal |\n| --- | --- | --- | --- | --- |\n');
    for (const r of rows) process.stdout.write(`| ${r.join(' | ')} |\n`);
    process.stdout.write(`\nstart-up runs, ms: baseline ${ff('baseline').map((x) => x.toFixed(0)).join(' ')}; agent ${ff('agent').map((x) => x.toFixed(0)).join(' ')}\n`);
  } finally {
    await ingest.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

runBench(main);
