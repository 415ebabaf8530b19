import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { enrol } from '../device/fleet/enrol.js';
import type { FleetCredentials } from '../device/fleet/credentials-file.js';
import type { FromWorker, ToWorker, WorkerStats } from './messages.js';

export interface FleetSimulatorOptions {
  fleetUrl: string;
  enrolToken: string;
  boxes: number;
  /** Device ids are `<idPrefix>-<n>`. */
  idPrefix: string;
  /** Worker processes the boxes are spread over. */
  workers: number;
  healthSeconds: number;
  /** How many boxes connect per second, all workers together. */
  connectsPerSecond: number;
  /** Enrolment requests in flight at once. */
  enrolConcurrency: number;
}

export interface SimulatorListener {
  desiredSeen(id: string, version: number, at: number): void;
  applied(id: string, version: number, at: number): void;
}

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));
const STOP_GRACE_MS = 15_000;

/**
 * N virtual boxes (sim/virtual-box.ts) in worker processes: enrolled through
 * the fleet's real HTTP API with the enrolment token, each holding the
 * credentials the fleet issued, connected to the broker the fleet named.
 */
export class FleetSimulator {
  readonly connected = new Set<string>();
  private workers: ChildProcess[] = [];
  private statsWaiters = new Map<ChildProcess, (s: WorkerStats) => void>();

  constructor(
    private readonly opts: FleetSimulatorOptions,
    private readonly listener: SimulatorListener,
  ) {}

  get ids(): string[] {
    return Array.from({ length: this.opts.boxes }, (_, i) => `${this.opts.idPrefix}-${i}`);
  }

  get pids(): number[] {
    return this.workers.map((w) => w.pid).filter((p): p is number => p !== undefined);
  }

  /** Every box through POST /api/enrol, `enrolConcurrency` at a time. */
  async enrol(): Promise<FleetCredentials[]> {
    const ids = this.ids;
    const creds: FleetCredentials[] = new Array<FleetCredentials>(ids.length);
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < ids.length) {
        const i = next++;
        creds[i] = await enrol(this.opts.fleetUrl, this.opts.enrolToken, ids[i] ?? '', undefined, 60_000);
      }
    };
    await Promise.all(Array.from({ length: this.opts.enrolConcurrency }, lane));
    return creds;
  }

  /** Forks the workers and hands each its share of the boxes; they connect at the configured pace. */
  start(creds: readonly FleetCredentials[]): void {
    const n = Math.max(1, Math.min(this.opts.workers, creds.length));
    for (let w = 0; w < n; w++) {
      const worker = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      worker.on('message', (raw) => this.onMessage(worker, raw as FromWorker));
      this.workers.push(worker);
      const share = creds.filter((_, i) => i % n === w);
      this.send(worker, { type: 'start', boxes: share, healthSeconds: this.opts.healthSeconds, connectsPerSecond: this.opts.connectsPerSecond / n });
    }
  }

  private onMessage(worker: ChildProcess, msg: FromWorker): void {
    switch (msg.type) {
      case 'connected':
        this.connected.add(msg.id);
        return;
      case 'desiredSeen':
        return this.listener.desiredSeen(msg.id, msg.version, msg.at);
      case 'applied':
        return this.listener.applied(msg.id, msg.version, msg.at);
      case 'stats':
        this.statsWaiters.get(worker)?.(msg.stats);
        this.statsWaiters.delete(worker);
        return;
      case 'stopped':
        return;
    }
  }

  private send(worker: ChildProcess, msg: ToWorker): void {
    worker.send(msg);
  }

  /** Counters summed over every worker. */
  async stats(): Promise<WorkerStats> {
    const all = await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<WorkerStats>((resolve) => {
            this.statsWaiters.set(w, resolve);
            this.send(w, { type: 'stats' });
          }),
      ),
    );
    const total: WorkerStats = { boxes: 0, connected: 0, errors: 0, firstErrors: [], healthSent: 0, commandsAnswered: 0, publishErrors: 0, disconnects: 0 };
    for (const s of all) {
      for (const k of ['boxes', 'connected', 'errors', 'healthSent', 'commandsAnswered', 'publishErrors', 'disconnects'] as const) total[k] += s[k];
      total.firstErrors.push(...s.firstErrors);
    }
    return total;
  }

  /** Each worker stops its boxes cleanly ("offline", DISCONNECT); one that does not exit in time is killed by its pid. */
  async stop(): Promise<void> {
    await Promise.all(
      this.workers.map(async (w) => {
        if (w.exitCode !== null || w.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
        if (w.connected) this.send(w, { type: 'stop' });
        const timer = setTimeout(() => w.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }),
    );
    this.workers = [];
  }
}
