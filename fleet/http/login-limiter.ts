/** At most this many failed logins from one address in WINDOW_MS; then it waits. */
export const MAX_FAILURES = 5;
export const WINDOW_MS = 5 * 60_000;
/** Addresses tracked at most: a flood from many addresses cannot grow memory without bound. */
const MAX_ADDRESSES = 10_000;

/**
 * Rate-limits login attempts by address (pure apart from the clock): a
 * guessed admin token or password costs five tries per five minutes.
 */
export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly now: () => number = () => Date.now()) {}

  /** null when a login may be tried now; else the seconds to wait. */
  retryAfter(address: string): number | null {
    const recent = this.recent(address);
    if (recent.length < MAX_FAILURES) return null;
    return Math.max(1, Math.ceil(((recent[0] ?? 0) + WINDOW_MS - this.now()) / 1000));
  }

  failed(address: string): void {
    const recent = this.recent(address);
    recent.push(this.now());
    this.failures.delete(address);
    this.failures.set(address, recent);
    if (this.failures.size > MAX_ADDRESSES) {
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
  }

  succeeded(address: string): void {
    this.failures.delete(address);
  }

  private recent(address: string): number[] {
    const since = this.now() - WINDOW_MS;
    return (this.failures.get(address) ?? []).filter((t) => t > since);
  }
}
