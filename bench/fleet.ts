/**
 * Benchmark: how many boxes one fleet service holds.
 *
 *   node dist/bench/fleet.js [--boxes 1000,2500,5000] [--seconds 60] [--broker aedes|mosquitto|both]
 *                            [--repeat 2] [--rate 10] [--workers 2] [--connects 250] [--cpu-prof DIR]
 *
 * For each fleet size and broker: a real `roomcast fleet` (SQLite) with its
 * embedded aedes broker or a real Mosquitto on its generated files
 * (bench/fleet-setup.ts); N virtual boxes (sim/) enrol through the HTTP API,
 * connect over mqtts with their own credentials (--connects a second, all
 * together) and send health every 10 s.
 * Once the API shows every box online and one health period has passed, a
 * steady window of --seconds: --rate config pushes a second (bench/fleet-push.ts),
 * the fleet's and the broker's CPU from /proc/<pid>/stat, RSS and PSS from
 * /proc/<pid>/smaps_rollup every 2 s (peak), health samples stored in the
 * window (read from the fleet's SQLite file) against sent and expected (N/10 a second).
 */
import { mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENROLL_TOKEN } from '../test/helpers/fleet-process.js';
import { FleetSimulator } from '../sim/fleet-simulator.js';
import { ConfigPusher } from './fleet-push.js';
import { startFleet, type BrokerKind } from './fleet-setup.js';
import { checkOpenFiles, cpuSeconds, healthStored, MemoryPeak, waitAllOnline } from './fleet-measure.js';
import { arg, percentile, runBench, sleep } from './common.js';
import { printTable, type RunFigures } from './fleet-report.js';

const HEALTH_SECONDS = 10;
const GOAL_P99_MS = 250;

function listArg(name: string, fallback: string): string[] {
  const i = process.argv.indexOf(`--${name}`);
  return (i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback).split(',').filter((s) => s !== '');
}

async function measure(kind: BrokerKind, boxes: number, seconds: number, rate: number, workers: number, connectsPerSecond: number, profileDir: string | null): Promise<RunFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'roomcast-bench-fleet-'));
  const profile = join(dir, 'profile');
  const under = await startFleet(kind, dir, profileDir === null ? [] : ['--cpu-prof', `--cpu-prof-dir=${profile}`]);
  const { fleet, mosquitto } = under;
  const pusher = new ConfigPusher(fleet);
  const sim = new FleetSimulator(
    { fleetUrl: fleet.url, enrolToken: ENROLL_TOKEN, boxes, idPrefix: 'box', workers, healthSeconds: HEALTH_SECONDS, connectsPerSecond, enrolConcurrency: 8 },
    pusher,
  );
  try {
    let t = performance.now();
    const creds = await sim.enrol();
    const enrolSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    const rampCpu = await cpuSeconds({ fleet: fleet.proc.pid, broker: mosquitto?.pid ?? null, sim: [] });
    sim.start(creds);
    await waitAllOnline(fleet, boxes, 120_000).catch(async (err: unknown) => {
      // Mosquitto says when it drops messages queued for a slow client (the fleet's link).
      const dropped = mosquitto?.log.split('\n').filter((l) => l.includes('dropped')) ?? [];
      const s = await sim.stats();
      const why = [`${s.connected} connected, ${s.disconnects} disconnects, ${s.errors} errors (${s.firstErrors[0] ?? 'none'})`];
      if (dropped.length > 0) why.push(`Mosquitto: ${dropped.length} lines like "${dropped[0] ?? ''}"`);
      throw new Error(`${err instanceof Error ? err.message : String(err)}; ${why.join('; ')}`);
    });
    const onlineSeconds = (performance.now() - t) / 1000;
    const rampFleetCpu = (await cpuSeconds({ fleet: fleet.proc.pid, broker: null, sim: [] })).fleet - rampCpu.fleet;
    await sleep(HEALTH_SECONDS * 1000);

    const pids = { fleet: fleet.proc.pid, broker: mosquitto?.pid ?? null, sim: sim.pids };
    const memory = new MemoryPeak([pids.fleet, ...(pids.broker === null ? [] : [pids.broker])]);
    const before = { at: new Date(), cpu: await cpuSeconds(pids), sim: await sim.stats() };
    memory.start();
    await pusher.run(sim.ids, rate, seconds);
    const after = { at: new Date(), cpu: await cpuSeconds(pids), sim: await sim.stats() };
    await memory.stop();
    const window = (after.at.getTime() - before.at.getTime()) / 1000;
    const stored = healthStored(join(dir, 'fleet'), before.at, after.at);
    const logged = fleet.lines().filter((l) => l.level === 'warn' || l.level === 'error');
    const percent = (a: number, b: number): number => (100 * (a - b)) / window;
    return {
      broker: kind,
      boxes,
      enrolSeconds,
      onlineSeconds,
      rampFleetCpuPercent: (100 * rampFleetCpu) / onlineSeconds,
      pushes: pusher.timings.length,
      pushFailures: pusher.failures,
      toBox: [percentile(pusher.timings.map((x) => x.toBox), 50), percentile(pusher.timings.map((x) => x.toBox), 99)],
      reportAcked: [percentile(pusher.timings.map((x) => x.reportAcked), 50), percentile(pusher.timings.map((x) => x.reportAcked), 99)],
      toApi: [percentile(pusher.timings.map((x) => x.toApi), 50), percentile(pusher.timings.map((x) => x.toApi), 99)],
      putP50: percentile(pusher.timings.map((x) => x.put), 50),
      fleetCpuPercent: percent(after.cpu.fleet, before.cpu.fleet),
      brokerCpuPercent: after.cpu.broker === null || before.cpu.broker === null ? null : percent(after.cpu.broker, before.cpu.broker),
      simCpuPercent: percent(after.cpu.sim, before.cpu.sim),
      fleetMemory: memory.peak(pids.fleet),
      brokerMemory: pids.broker === null ? null : memory.peak(pids.broker),
      healthStoredPerSecond: stored / window,
      healthSentPerSecond: (after.sim.healthSent - before.sim.healthSent) / window,
      disconnects: after.sim.disconnects,
      simErrors: after.sim.errors,
      firstErrors: after.sim.firstErrors,
      fleetWarnings: logged.length,
      firstWarnings: [...new Set(logged.map((l) => String(l.msg)))].slice(0, 5),
    };
  } finally {
    await sim.stop();
    await under.stop();
    if (profileDir !== null) for (const f of await readdir(profile).catch(() => [])) await rename(join(profile, f), join(profileDir, `fleet-${kind}-${boxes}-${f}`));
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const steps = listArg('boxes', '1000,2500,5000').map(Number);
  const brokerArg = listArg('broker', 'both')[0] ?? 'both';
  const brokers: BrokerKind[] = brokerArg === 'both' ? ['aedes', 'mosquitto'] : [brokerArg as BrokerKind];
  const seconds = arg('seconds', arg('minutes', 1) * 60);
  const repeat = arg('repeat', 1);
  const rate = arg('rate', 10);
  const workers = arg('workers', 2);
  const profileDir = listArg('cpu-prof', '')[0] ?? null;
  await checkOpenFiles(Math.max(...steps));
  const runs: RunFigures[] = [];
  const failed: string[] = [];
  for (const boxes of steps) {
    for (let r = 0; r < repeat; r++) {
      for (const kind of brokers) {
        process.stdout.write(`${kind}, ${boxes} boxes, run ${r + 1}/${repeat} ...\n`);
        try {
          const figures = await measure(kind, boxes, seconds, rate, workers, arg('connects', 250), profileDir);
          runs.push(figures);
          process.stdout.write(`${JSON.stringify(figures)}\n`);
        } catch (err) {
          // A size that does not come online is a result too; the other runs go on.
          failed.push(`${kind}, ${boxes} boxes, run ${r + 1}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
    }
  }
  printTable(runs, GOAL_P99_MS, (line) => process.stdout.write(`${line}\n`));
  for (const f of failed) process.stdout.write(`failed: ${f}\n`);
}

runBench(main);
