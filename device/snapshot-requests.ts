import type { FromHost } from './pipeline/host-messages.js';
import type { HostProcess } from './pipeline/host-process.js';
import type { SnapshotStep } from './pipeline/snapshot-plan.js';

/** A still the box can send: base64 JPEG and its size in pixels. */
export interface Snapshot {
  jpegBase64: string;
  width: number;
  height: number;
}

/** Why there is no snapshot, in words for the fleet's user. */
export class SnapshotError extends Error {
  override readonly name = 'SnapshotError';
}

interface Pending {
  host: HostProcess;
  resolve: (s: Snapshot) => void;
  reject: (err: SnapshotError) => void;
  timer: NodeJS.Timeout;
}

/**
 * Snapshot requests sent to a core host, waiting for their answers by id.
 * Each ends exactly once: answered, timed out, or failed because its host
 * went away.
 */
export class SnapshotRequests {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  ask(host: HostProcess, steps: SnapshotStep[], maxBytes: number, timeoutMs: number): Promise<Snapshot> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.settle(id, new SnapshotError(`the pipeline gave no picture within ${timeoutMs} ms`)), timeoutMs);
      this.pending.set(id, { host, resolve, reject, timer });
      host.send({ type: 'snapshot', id, steps, maxBytes });
    });
  }

  answer(msg: Extract<FromHost, { type: 'snapshot' }>): void {
    this.settle(msg.id, msg.ok ? { jpegBase64: msg.jpegBase64, width: msg.width, height: msg.height } : new SnapshotError(msg.error));
  }

  /** The host exited: what it was asked can no longer be answered. */
  hostGone(host: HostProcess): void {
    for (const [id, p] of this.pending) if (p.host === host) this.settle(id, new SnapshotError('the pipeline stopped before the picture was taken'));
  }

  private settle(id: number, outcome: Snapshot | SnapshotError): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    if (outcome instanceof SnapshotError) p.reject(outcome);
    else p.resolve(outcome);
  }
}
