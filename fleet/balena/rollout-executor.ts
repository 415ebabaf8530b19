import type { Logger } from '../../common/log.js';
import { parseDeviceId } from '../../common/protocol.js';
import type { FleetStore } from '../store/types.js';
import { abortRollout, afterPin, planStep, withWaiting, type BoxObservation, type Rollout } from './rollout-plan.js';
import type { BalenaFleet } from './types.js';

export interface RolloutExecutorDeps {
  store: FleetStore;
  balena: BalenaFleet;
  logger: Logger;
  pollMs: number;
  now?: () => string;
}

/**
 * Advances the stored rollout, one step per poll: observes balena and the
 * store, asks the planner, performs the pin it asks for, stores the result.
 * The state lives in the store, so a restarted service resumes where it was.
 * Steps and aborts run one at a time, so an abort cannot be overwritten by
 * a step that was under way.
 */
export class RolloutExecutor {
  private timer: NodeJS.Timeout | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly now: () => string;
  private readonly log: Logger;

  constructor(private readonly deps: RolloutExecutorDeps) {
    this.now = deps.now ?? (() => new Date().toISOString());
    this.log = deps.logger;
  }

  start(): void {
    void this.advance();
    this.timer = setInterval(() => void this.advance(), this.deps.pollMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.queue;
  }

  /** One step of the current rollout, after whatever is queued; errors are logged, not thrown. */
  advance(): Promise<Rollout | null> {
    return this.serial(async () => {
      try {
        return await this.step();
      } catch (err) {
        this.log.warn('rollout step failed; retried at the next poll', { error: err instanceof Error ? err.message : String(err) });
        return null;
      }
    });
  }

  /** Stores a new rollout (after any step under way) and takes its first step at once. */
  async begin(rollout: Rollout): Promise<Rollout> {
    await this.serial(() => this.deps.store.saveRollout(rollout));
    this.log.info('rollout started', { id: rollout.id, release: rollout.release.commit, canary: rollout.canary });
    return (await this.advance()) ?? rollout;
  }

  /** Aborts the current rollout; null when there is none running. */
  abort(reason: string): Promise<Rollout | null> {
    return this.serial(async () => {
      const current = await this.deps.store.latestRollout();
      const aborted = current ? abortRollout(current, reason, this.now()) : null;
      if (!aborted) return null;
      await this.deps.store.saveRollout(aborted);
      this.log.warn('rollout aborted', { id: aborted.id, reason });
      return aborted;
    });
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async step(): Promise<Rollout | null> {
    const { store, balena } = this.deps;
    const r = await store.latestRollout();
    if (!r) return null;
    const needsCanary = r.phase === 'canary-updating' || r.phase === 'canary-testing';
    const observed = needsCanary ? { balena: (await balena.devices()).find((d) => d.deviceId === r.canary) ?? null, box: await this.box(r.canary) } : { balena: null, box: null };
    const now = this.now();
    const step = planStep(r, observed, now);
    switch (step.kind) {
      case 'idle':
        return r;
      case 'wait': {
        const next = withWaiting(r, step.waitingFor, now);
        if (next) await store.saveRollout(next);
        return next ?? r;
      }
      case 'pin': {
        const outcome = await balena.pin(step.target, step.release).then(
          (pinned) => ({ ok: true as const, pinned }),
          (err: unknown) => ({ ok: false as const, error: err instanceof Error ? err.message : String(err) }),
        );
        if (!outcome.ok) this.log.warn('rollout: pinning failed; retried at the next poll', { id: r.id, error: outcome.error });
        return this.save(r, afterPin(r, outcome, now));
      }
      case 'advance':
        return this.save(r, step.rollout);
    }
  }

  private async save(before: Rollout, after: Rollout): Promise<Rollout> {
    await this.deps.store.saveRollout(after);
    if (after.phase !== before.phase) {
      const fields = { id: after.id, phase: after.phase, reason: after.reason };
      if (after.phase === 'failed') this.log.error('rollout failed', fields);
      else this.log.info(`rollout ${after.phase}`, fields);
    }
    return after;
  }

  private async box(canary: string): Promise<BoxObservation | null> {
    const id = parseDeviceId(canary);
    const d = id ? await this.deps.store.getDevice(id) : null;
    if (!d) return null;
    const state = d.reported?.state ?? null;
    return { status: d.status, phase: state?.phase ?? null, reason: state?.reason ?? null, destinations: state?.destinations ?? [], reportedAt: d.reportedAt };
  }
}
