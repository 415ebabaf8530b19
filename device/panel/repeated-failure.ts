/** What to log about a failure that may repeat on every tick. */
export type FailureNote =
  | { kind: 'first'; error: string }
  | { kind: 'again'; error: string; failures: number }
  | { kind: 'recovered'; failures: number };

/** A failure that goes on is logged again this often at most. */
export const REPEAT_LOG_MS = 60_000;

/**
 * Keeps a failure that repeats every 20 ms tick from flooding the log (pure:
 * the times are given): the first failure is logged, then at most once every
 * REPEAT_LOG_MS with how many there were, and the recovery once.
 */
export class RepeatedFailure {
  private failures = 0;
  private loggedAt = 0;

  failed(at: number, error: string): FailureNote | null {
    this.failures += 1;
    if (this.failures === 1) {
      this.loggedAt = at;
      return { kind: 'first', error };
    }
    if (at - this.loggedAt < REPEAT_LOG_MS) return null;
    this.loggedAt = at;
    return { kind: 'again', error, failures: this.failures };
  }

  succeeded(): FailureNote | null {
    if (this.failures === 0) return null;
    const failures = this.failures;
    this.failures = 0;
    return { kind: 'recovered', failures };
  }
}
