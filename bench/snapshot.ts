/**
 * Benchmark: what the shut snapshot branch costs a live core.
 *
 *   node dist/bench/snapshot.js [--seconds 20] [--runs 3]
 *
 * Runs the core host's pipelines (core, test-pattern sources, slate) for a
 * 720p30 x264 box, as planned and rendered by the agent, under one
 * gst-launch-1.0 process: with the still branch, and with the same plan
 * minus the branch. Runs alternate (without, with, without, ...) so drift in
 * machine load falls on both. CPU is the process's user + system time over
 * `seconds`, after a 3 s warm-up.
 */
import { loadConfig } from '../common/config/load.js';
import { detectHardware } from '../device/hardware/detect.js';
import { hostPaths } from '../device/hardware/paths.js';
import { planPipeline, type PipelinePlan } from '../device/pipeline/plan.js';
import { renderCore, renderSlate, renderSources } from '../device/pipeline/render.js';
import { sampleTree } from '../testbed/proc-tree.js';
import { Managed } from '../testbed/process.js';
import { arg, benchBoxEnv, runBench, sleep, words } from './common.js';

const WARM_UP_MS = 3000;

async function testPatternPlan(): Promise<PipelinePlan> {
  const env = benchBoxEnv('/nonexistent', 'rtmp://127.0.0.1:1/live/bench-key');
  const loaded = loadConfig(env);
  if (!loaded.ok) throw loaded.error;
  const planned = planPipeline(loaded.config, await detectHardware(hostPaths(env)), { sessionStamp: 'bench' });
  if (!planned.ok) throw new Error(planned.errors.join('; '));
  if (!planned.plan.video.snapshot) throw new Error(`no snapshot branch planned: ${planned.plan.choices.join('; ')}`);
  return planned.plan;
}

/** CPU seconds one gst-launch-1.0 running the core host's pipelines spends over `seconds`. */
async function cpuOver(plan: PipelinePlan, seconds: number): Promise<number> {
  const launch = [renderCore(plan).launch, ...renderSources(plan).map((s) => s.launch), renderSlate(plan) ?? ''].join('  ');
  const proc = Managed.spawn('gst-launch-1.0', ['-e', ...words(launch)], { env: { PATH: process.env['PATH'] ?? '' } });
  try {
    await sleep(WARM_UP_MS);
    if (!proc.running) throw new Error(`gst-launch-1.0 exited:\n${proc.log.slice(-2000)}`);
    const before = (await sampleTree(proc.pid)).cpuSeconds;
    await sleep(seconds * 1000);
    if (!proc.running) throw new Error(`gst-launch-1.0 exited:\n${proc.log.slice(-2000)}`);
    return (await sampleTree(proc.pid)).cpuSeconds - before;
  } finally {
    await proc.stop(10_000);
  }
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

async function main(): Promise<void> {
  const seconds = arg('seconds', 20);
  const runs = arg('runs', 3);
  const withBranch = await testPatternPlan();
  const without: PipelinePlan = { ...withBranch, video: { ...withBranch.video, snapshot: null } };
  process.stdout.write(`roomcast snapshot bench: core host pipelines, 720p30 x264 test pattern; ${runs} runs of ${seconds} s per side\n`);
  const cpu: Record<'without' | 'with', number[]> = { without: [], with: [] };
  for (let i = 0; i < runs; i++) {
    for (const side of ['without', 'with'] as const) {
      const s = await cpuOver(side === 'with' ? withBranch : without, seconds);
      cpu[side].push(s);
      process.stdout.write(`  ${side.padEnd(7)} branch, run ${i + 1}: ${s.toFixed(2)} CPU s (${((100 * s) / seconds).toFixed(1)}% of a core)\n`);
    }
  }
  const a = mean(cpu.without);
  const b = mean(cpu.with);
  process.stdout.write('\n| Core host over the run | without branch | with branch (shut) | difference |\n| --- | --- | --- | --- |\n');
  process.stdout.write(`| CPU seconds, mean of ${runs} | ${a.toFixed(2)} | ${b.toFixed(2)} | ${(b - a).toFixed(2)} (${((100 * (b - a)) / a).toFixed(1)}%) |\n`);
  process.stdout.write(`| % of one core | ${((100 * a) / seconds).toFixed(1)} | ${((100 * b) / seconds).toFixed(1)} | ${((100 * (b - a)) / seconds).toFixed(2)} points |\n`);
  process.stdout.write(`\nruns, CPU s: without ${cpu.without.map((x) => x.toFixed(2)).join(' ')}; with ${cpu.with.map((x) => x.toFixed(2)).join(' ')}\n`);
}

runBench(main);
