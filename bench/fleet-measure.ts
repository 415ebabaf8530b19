import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SQLITE_FILE } from '../fleet/store/open-store.js';
import { sampleTree } from '../testbed/proc-tree.js';
import type { FleetProcess } from '../test/helpers/fleet-process.js';
import { sleep } from './common.js';

/**
 * Every socket is a file descriptor: the fleet (or Mosquitto) holds one per
 * box, and children inherit this process's limit. Fails early, with the fix,
 * rather than half-way through a ramp.
 */
export async function checkOpenFiles(boxes: number): Promise<void> {
  const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(await readFile('/proc/self/limits', 'utf8'));
  const soft = m?.[1] === 'unlimited' ? Infinity : Number(m?.[1] ?? 0);
  const needed = boxes + 1024;
  if (soft < needed) throw new Error(`open files limit ${soft} < ${needed} for ${boxes} boxes: run \`ulimit -n ${needed}\` (up to the hard limit, ${m?.[2] ?? '?'}) in this shell first`);
}

export interface CpuSeconds {
  fleet: number;
  broker: number | null;
  sim: number;
}

/** User + system CPU seconds so far of the fleet, the external broker and the simulator's workers. */
export async function cpuSeconds(pids: { fleet: number; broker: number | null; sim: readonly number[] }): Promise<CpuSeconds> {
  const cpu = async (pid: number): Promise<number> => (await sampleTree(pid)).cpuSeconds;
  const sim = await Promise.all(pids.sim.map(cpu));
  return { fleet: await cpu(pids.fleet), broker: pids.broker === null ? null : await cpu(pids.broker), sim: sim.reduce((a, b) => a + b, 0) };
}

export interface Memory {
  rssMiB: number;
  pssMiB: number;
}

/** The peak RSS and PSS of some processes, sampled every 2 s. */
export class MemoryPeak {
  private readonly peaks = new Map<number, Memory>();
  private running = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly pids: readonly number[]) {}

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        for (const pid of this.pids) {
          const s = await sampleTree(pid);
          const old = this.peaks.get(pid) ?? { rssMiB: 0, pssMiB: 0 };
          this.peaks.set(pid, { rssMiB: Math.max(old.rssMiB, s.rssBytes / 2 ** 20), pssMiB: Math.max(old.pssMiB, s.pssBytes / 2 ** 20) });
        }
        await sleep(2000);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  peak(pid: number): Memory {
    return this.peaks.get(pid) ?? { rssMiB: NaN, pssMiB: NaN };
  }
}

/** Health samples the fleet stored with a receive time in [from, to), read from its SQLite file beside it. */
export function healthStored(fleetDataDir: string, from: Date, to: Date): number {
  const db = new Database(join(fleetDataDir, SQLITE_FILE), { readonly: true });
  try {
    const row = db.prepare<[string, string], { n: number }>('SELECT count(*) AS n FROM health_samples WHERE at >= ? AND at < ?').get(from.toISOString(), to.toISOString());
    return row?.n ?? 0;
  } finally {
    db.close();
  }
}

/** Until GET /api/devices shows `boxes` boxes online. */
export async function waitAllOnline(fleet: FleetProcess, boxes: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let online = 0;
  while (online < boxes) {
    if (Date.now() > deadline) throw new Error(`only ${online} of ${boxes} boxes online after ${timeoutMs} ms`);
    await sleep(1000);
    const { body } = await fleet.api<{ devices: { online: boolean }[] }>('GET', '/api/devices');
    online = body.devices.filter((d) => d.online).length;
  }
}
