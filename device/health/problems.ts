import type { Logger } from '../../common/log.js';

export type Attempt<T> = { ok: true; value: T } | { ok: false };

/**
 * The last problem of each failing measure, so a failure is logged when it
 * starts or changes, and its recovery once: never at every sample or poll.
 */
export class ProblemLog {
  private readonly problems = new Map<string, string>();

  constructor(private readonly log: Logger) {}

  /** What `read` gives, or not ok when it threw (logged as above). */
  async attempt<T>(name: string, read: () => T | Promise<T>): Promise<Attempt<T>> {
    try {
      const value = await read();
      if (this.problems.delete(name)) this.log.info('health measure recovered', { measure: name });
      return { ok: true, value };
    } catch (err) {
      const problem = err instanceof Error ? err.message : String(err);
      if (this.problems.get(name) !== problem) this.log.warn('health measure failed; left out of the samples', { measure: name, error: err });
      this.problems.set(name, problem);
      return { ok: false };
    }
  }
}
