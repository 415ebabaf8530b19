import type { Logger } from '../../common/log.js';

/** The balena supervisor, as far as the box asks it anything (STYLE.md #5). */
export interface Supervisor {
  /** Whether the supervisor has an update it has not applied (held back by our lock, or still downloading). */
  updatePending(): Promise<boolean>;
}

/** The supervisor's HTTP API (io.balena.features.supervisor-api): GET /v1/device?apikey=... */
export class SupervisorApi implements Supervisor {
  constructor(
    private readonly address: string,
    private readonly apiKey: string,
    private readonly timeoutMs = 5000,
  ) {}

  async updatePending(): Promise<boolean> {
    const url = new URL('/v1/device', this.address);
    url.searchParams.set('apikey', this.apiKey);
    let res: Response;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs) });
    } catch {
      // fetch's own errors may quote the URL, and the URL holds the key.
      throw new Error(`the supervisor at ${this.address} cannot be reached`);
    }
    if (!res.ok) throw new Error(`the supervisor answered GET /v1/device with status ${res.status}`);
    const body = (await res.json().catch(() => null)) as { update_pending?: unknown } | null;
    if (typeof body?.update_pending !== 'boolean') throw new Error('the supervisor\'s /v1/device has no update_pending flag');
    return body.update_pending;
  }
}

export interface UpdateWatcherDeps {
  supervisor: Supervisor;
  logger: Logger;
  intervalMs: number;
  onChange: (pending: boolean) => void;
}

/** Asks the supervisor every interval; reports only changes. A failed check keeps the last answer and is logged once per cause. */
export class UpdateWatcher {
  private timer: NodeJS.Timeout | null = null;
  private last: boolean | null = null;
  private lastError: string | null = null;

  constructor(private readonly deps: UpdateWatcherDeps) {}

  get pending(): boolean {
    return this.last ?? false;
  }

  start(): void {
    void this.check();
    this.timer = setInterval(() => void this.check(), this.deps.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async check(): Promise<void> {
    try {
      const pending = await this.deps.supervisor.updatePending();
      this.lastError = null;
      if (pending === this.last) return;
      this.last = pending;
      this.deps.logger.info(pending ? 'balena: an update is waiting' : 'balena: no update waiting', { pending });
      this.deps.onChange(pending);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      if (error !== this.lastError) this.deps.logger.warn('balena: asking the supervisor failed', { error });
      this.lastError = error;
    }
  }
}
