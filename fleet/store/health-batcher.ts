import type { DeviceId, Health } from '../../common/protocol.js';

/** One health sample waiting to be written; `at` is already in stored form (storedTime). */
export interface PendingHealth {
  id: DeviceId;
  at: string;
  health: Health;
}

export interface BatchOptions {
  /** How long a sample may wait for others before the batch is written. */
  flushMs: number;
  /** A batch this large is written at once. */
  maxRows: number;
}

export const DEFAULT_BATCH: BatchOptions = { flushMs: 100, maxRows: 1000 };

interface Waiting {
  sample: PendingHealth;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Gathers health samples (about 500 a second for 5,000 boxes) and hands them
 * to `write` in batches, one transaction each, instead of one per sample.
 * Each add() settles when its own batch is written, so a failed write
 * reaches the caller of every sample it held instead of vanishing.
 * Batches are written one after another, in the order they were gathered.
 */
export class HealthBatcher {
  private waiting: Waiting[] = [];
  private timer: NodeJS.Timeout | null = null;
  private written: Promise<void> = Promise.resolve();

  constructor(
    private readonly write: (batch: readonly PendingHealth[]) => Promise<void>,
    private readonly options: BatchOptions = DEFAULT_BATCH,
  ) {}

  get pending(): number {
    return this.waiting.length;
  }

  add(sample: PendingHealth): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ sample, resolve, reject });
      if (this.waiting.length >= this.options.maxRows) this.startBatch();
      else this.timer ??= setTimeout(() => this.startBatch(), this.options.flushMs);
    });
  }

  /**
   * Writes what is waiting and resolves once every batch gathered so far is
   * written. It does not reject: a failed batch rejects its samples' add().
   */
  flush(): Promise<void> {
    this.startBatch();
    return this.written;
  }

  private startBatch(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.waiting.length === 0) return;
    const batch = this.waiting;
    this.waiting = [];
    this.written = this.written
      .then(() => this.write(batch.map((w) => w.sample)))
      .then(
        () => batch.forEach((w) => w.resolve()),
        (err: unknown) => batch.forEach((w) => w.reject(err)),
      );
  }
}
