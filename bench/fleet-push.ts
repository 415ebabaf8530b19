import type { SimulatorListener } from '../sim/fleet-simulator.js';
import { preciseNow } from '../sim/virtual-box.js';
import type { FleetProcess } from '../test/helpers/fleet-process.js';
import { sleep } from './common.js';

/** One config push, in ms from just before the PUT was sent. */
export interface PushTiming {
  /** The PUT's answer (the desired config stored and handed to the broker). */
  put: number;
  /** The box saw the new desired version. */
  toBox: number;
  /** The broker acknowledged the box's report of it (PUBACK). */
  reportAcked: number;
  /** The box's reported appliedVersion was visible through GET /api/devices/:id. */
  toApi: number;
}

const TIMEOUT_MS = 10_000;
const POLL_MS = 10;

/**
 * Config pushes through the fleet's HTTP API at a steady rate, to boxes in
 * turn (never one already in flight), each followed to the box (the
 * simulator's report) and back to the API (polled every 10 ms).
 */
export class ConfigPusher implements SimulatorListener {
  readonly timings: PushTiming[] = [];
  readonly failures: string[] = [];
  private readonly seen = new Map<string, number>();
  private readonly acked = new Map<string, number>();
  private count = 0;

  constructor(private readonly fleet: FleetProcess) {}

  desiredSeen(id: string, version: number, at: number): void {
    this.seen.set(`${id}/${version}`, at);
  }

  applied(id: string, version: number, at: number): void {
    this.acked.set(`${id}/${version}`, at);
  }

  /** `rate` pushes a second for `seconds`, to `ids` in turn; resolves when the last one has settled. */
  async run(ids: readonly string[], rate: number, seconds: number): Promise<void> {
    const inFlight: Promise<void>[] = [];
    const total = Math.round(rate * seconds);
    const started = preciseNow();
    for (let k = 0; k < total; k++) {
      // Open loop: a slow answer does not slow the pace, as with real operators.
      await sleep(Math.max(0, started + (k * 1000) / rate - preciseNow()));
      inFlight.push(this.push(ids[(this.count++ * 7919) % ids.length] ?? ''));
    }
    await Promise.all(inFlight);
  }

  private async push(id: string): Promise<void> {
    const t0 = preciseNow();
    try {
      const put = await this.fleet.api<{ version?: number }>('PUT', `/api/devices/${id}/config`, { config: { ROOMCAST_ROOM_NAME: `Bench room ${this.count}` } });
      const tPut = preciseNow();
      const version = put.body.version;
      if (put.status !== 200 || version === undefined) return void this.failures.push(`PUT ${id}: HTTP ${put.status}`);
      for (;;) {
        const d = await this.fleet.api<{ appliedVersion: number | null }>('GET', `/api/devices/${id}`);
        if (d.status === 200 && (d.body.appliedVersion ?? 0) >= version) break;
        if (preciseNow() - t0 > TIMEOUT_MS) return void this.failures.push(`${id} v${version}: not applied within ${TIMEOUT_MS} ms`);
        await sleep(POLL_MS);
      }
      const tApi = preciseNow();
      // The box's IPC report can trail the API by a moment.
      const key = `${id}/${version}`;
      for (let i = 0; !(this.seen.has(key) && this.acked.has(key)) && i < 100; i++) await sleep(10);
      const seenAt = this.seen.get(key);
      const ackedAt = this.acked.get(key);
      if (seenAt === undefined || ackedAt === undefined) return void this.failures.push(`${id} v${version}: applied, but the box never said it saw it`);
      this.timings.push({ put: tPut - t0, toBox: seenAt - t0, reportAcked: ackedAt - t0, toApi: tApi - t0 });
    } catch (err) {
      this.failures.push(`${id}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
