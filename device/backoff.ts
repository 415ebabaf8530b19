/**
 * Retry delays: the first within 1 s, doubling to a 30 s cap, with jitter so
 * that boxes behind one venue uplink do not all knock at the same moment.
 * `random` is in [0, 1); the delay is between half and all of the step.
 */
export const BACKOFF_FIRST_MS = 1000;
export const BACKOFF_CAP_MS = 30_000;

export function backoffDelay(attempt: number, random: number = Math.random()): number {
  const step = Math.min(BACKOFF_FIRST_MS * 2 ** Math.max(attempt - 1, 0), BACKOFF_CAP_MS);
  return Math.round(step * (0.5 + random * 0.5));
}
