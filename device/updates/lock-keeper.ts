import type { Logger } from '../../common/log.js';
import type { Phase } from '../state.js';
import { wantsLock } from './lock-rule.js';
import type { UpdateLock } from './update-lock.js';

export interface LockKeeperDeps {
  lock: UpdateLock;
  logger: Logger;
  /** How soon to try again when another holder's lock is in the way. */
  retryMs?: number;
  onChange?: () => void;
}

/**
 * Holds the balena update lock while the box is live (lock-rule.ts) and
 * lets go when it is idle. start() reclaims a leftover of a crashed run;
 * stop() releases the lock. Changes run one at a time, in order.
 */
export class UpdateLockKeeper {
  private want = false;
  private holding = false;
  private busyLogged = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly deps: LockKeeperDeps) {}

  get held(): boolean {
    return this.holding;
  }

  async start(): Promise<void> {
    const { lock, logger } = this.deps;
    if (lock.description === 'none') logger.warn('update lock: its folder does not exist (not on balena?): updates are not held back while live');
    if (await lock.reclaimStale()) logger.warn('update lock: reclaimed the lock a previous run left (a crash while live)', { path: lock.description });
  }

  onPhase(phase: Phase): void {
    const want = wantsLock(phase) && !this.stopped;
    if (want === this.want) return;
    this.want = want;
    this.sync();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.want = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.sync();
    await this.queue;
  }

  private sync(): void {
    this.queue = this.queue.then(() => this.apply()).catch((err: unknown) => this.deps.logger.error('update lock: failed', { path: this.deps.lock.description, error: err instanceof Error ? err.message : String(err) }));
  }

  private async apply(): Promise<void> {
    const { lock, logger } = this.deps;
    if (this.want && !this.holding) {
      if ((await lock.acquire()) === 'held') {
        this.holding = true;
        this.busyLogged = false;
        logger.info('update lock held: a balena update waits until the stream stops', { path: lock.description });
        this.deps.onChange?.();
      } else {
        if (!this.busyLogged) logger.warn('update lock: another holder\'s lock is in place; trying again until ours is', { path: lock.description });
        this.busyLogged = true;
        this.retryTimer ??= setTimeout(() => {
          this.retryTimer = null;
          this.sync();
        }, this.deps.retryMs ?? 5000);
      }
    } else if (!this.want && this.holding) {
      await lock.release();
      this.holding = false;
      logger.info('update lock released', { path: lock.description });
      this.deps.onChange?.();
    }
  }
}
