/**
 * Benchmark: the fleet store under the health load of a large fleet.
 *
 *   node dist/bench/store.js [--boxes 5000] [--samples 20000] [--puts 1000]
 *
 * Method. Both backends run in one process, one after the other, each on a
 * fresh database: SQLite in a temp dir (WAL, synchronous=FULL, as the fleet
 * service opens it) and a real PostgreSQL started by testbed/postgres.ts on
 * loopback with fsync and synchronous_commit ON, so both commit durably.
 * `boxes` boxes are enrolled; then `samples` health samples (a realistic
 * payload, the boxes in turn) are handed to recordHealth in waves of 500 per
 * event-loop turn, as MQTT messages arrive, and the clock stops when the
 * last one is stored: samples per second is what the store can sustain with
 * its batching (a fleet of 5,000 boxes sends 500 a second). Then `puts`
 * desired configs are written one after another to random boxes and each is
 * timed (p50, p99), and 200 history reads of one box (its samples/boxes samples).
 * CPU: this process (SQLite does its work here) and, for PostgreSQL, the
 * server's processes (read from /proc).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseDeviceId, type DeviceId } from '../common/protocol.js';
import { PostgresStore } from '../fleet/store/postgres-store.js';
import { SqliteStore } from '../fleet/store/sqlite-store.js';
import type { FleetStore } from '../fleet/store/types.js';
import { simulatedHealth } from '../sim/health-sample.js';
import { startPostgres } from '../testbed/postgres.js';
import { sampleTree } from '../testbed/proc-tree.js';
import { arg, runBench } from './common.js';

const BOXES = arg('boxes', 5000);
const SAMPLES = arg('samples', 20_000);
const PUTS = arg('puts', 1000);
const WAVE = 500;
const BASE = Date.UTC(2026, 10, 22, 12, 0, 0);

interface Figures {
  enrolPerSecond: number;
  healthPerSecond: number;
  healthCpuSeconds: number;
  serverCpuSeconds: number | null;
  putP50Ms: number;
  putP99Ms: number;
  historyP50Ms: number;
}

function ids(): DeviceId[] {
  return Array.from({ length: BOXES }, (_, i) => {
    const id = parseDeviceId(`bench-box-${i}`);
    if (id === null) throw new Error(`bench-box-${i} is not a device id`);
    return id;
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

async function measure(store: FleetStore, serverPid: number | null): Promise<Figures> {
  const boxes = ids();
  let started = performance.now();
  for (const id of boxes) await store.enrolDevice(id, '$scrypt$bench', null, new Date(BASE).toISOString());
  const enrolPerSecond = BOXES / ((performance.now() - started) / 1000);

  const serverBefore = serverPid === null ? null : (await sampleTree(serverPid)).cpuSeconds;
  const cpuBefore = process.cpuUsage();
  started = performance.now();
  const stored: Promise<void>[] = [];
  for (let n = 0; n < SAMPLES; n++) {
    const id = boxes[n % BOXES];
    if (id === undefined) throw new Error('no box');
    const at = new Date(BASE + 1000 + n * 2).toISOString();
    stored.push(store.recordHealth(id, simulatedHealth(n, at), at));
    if (n % WAVE === WAVE - 1) await turn();
  }
  await Promise.all(stored);
  const healthPerSecond = SAMPLES / ((performance.now() - started) / 1000);
  const cpu = process.cpuUsage(cpuBefore);
  const serverCpuSeconds = serverPid === null || serverBefore === null ? null : (await sampleTree(serverPid)).cpuSeconds - serverBefore;

  const puts: number[] = [];
  for (let i = 0; i < PUTS; i++) {
    const id = boxes[Math.floor(Math.random() * BOXES)];
    if (id === undefined) throw new Error('no box');
    const t = performance.now();
    await store.putDesiredConfig(id, { ROOMCAST_DESTINATIONS: `youtube:bench-key-${i}`, ROOMCAST_FRAMERATE: '30' });
    puts.push(performance.now() - t);
  }
  puts.sort((a, b) => a - b);

  const reads: number[] = [];
  const first = boxes[0];
  if (first === undefined) throw new Error('no box');
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    await store.healthHistory(first, new Date(BASE).toISOString(), new Date(BASE + 86_400_000).toISOString(), 100);
    reads.push(performance.now() - t);
  }
  reads.sort((a, b) => a - b);

  return {
    enrolPerSecond,
    healthPerSecond,
    healthCpuSeconds: (cpu.user + cpu.system) / 1e6,
    serverCpuSeconds,
    putP50Ms: percentile(puts, 50),
    putP99Ms: percentile(puts, 99),
    historyP50Ms: percentile(reads, 50),
  };
}

function row(name: string, f: (x: Figures) => string, a: Figures, b: Figures): string {
  return `${name.padEnd(36)}${f(a).padStart(14)}${f(b).padStart(14)}\n`;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'roomcast-bench-store-'));
  const pg = await startPostgres({ durable: true });
  try {
    const sqlite = new SqliteStore(join(dir, 'fleet.sqlite'));
    await sqlite.migrate();
    const lite = await measure(sqlite, null).finally(() => sqlite.close());
    const postgres = new PostgresStore(pg.url);
    await postgres.migrate();
    const shared = await measure(postgres, pg.pid).finally(() => postgres.close());
    const out = process.stdout;
    out.write(`fleet store: ${BOXES} boxes, ${SAMPLES} health samples, ${PUTS} desired configs (node ${process.version})\n`);
    out.write(`${''.padEnd(36)}${'SQLite'.padStart(14)}${'PostgreSQL'.padStart(14)}\n`);
    out.write(row('enrolments/s (one at a time)', (x) => x.enrolPerSecond.toFixed(0), lite, shared));
    out.write(row('health samples/s (batched)', (x) => x.healthPerSecond.toFixed(0), lite, shared));
    out.write(row('  CPU s in this process', (x) => x.healthCpuSeconds.toFixed(2), lite, shared));
    out.write(row('  CPU s in the PostgreSQL server', (x) => (x.serverCpuSeconds === null ? '-' : x.serverCpuSeconds.toFixed(2)), lite, shared));
    out.write(row('putDesiredConfig p50 ms', (x) => x.putP50Ms.toFixed(3), lite, shared));
    out.write(row('putDesiredConfig p99 ms', (x) => x.putP99Ms.toFixed(3), lite, shared));
    out.write(row(`healthHistory (${Math.ceil(SAMPLES / BOXES)} samples) p50 ms`, (x) => x.historyP50Ms.toFixed(3), lite, shared));
  } finally {
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

runBench(main);
