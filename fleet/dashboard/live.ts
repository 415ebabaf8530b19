import type { Device } from './types.js';

export type LinkState = 'connecting' | 'connected' | 'lost';

/** The server sends every box at least every 30 s: silence for longer means the link is dead, even without an error. */
const SILENCE_MS = 45_000;
const RETRY_MS = [1000, 2000, 5000, 10_000];

/**
 * Every box, kept current by the fleet's server-sent events (/api/events).
 * Reconnects by itself; `state` says when the page lost the fleet, so stale
 * figures are never taken for live ones.
 */
export class LiveDevices {
  readonly devices = new Map<string, Device>();
  state: LinkState = 'connecting';
  private source: EventSource | null = null;
  private watchdog: number | null = null;
  private retry: number | null = null;
  private failures = 0;
  private readonly listeners = new Set<(changed: Device | null) => void>();

  constructor(
    /** Asked when the stream fails: false means the session ended (show the login, do not retry). */
    private readonly stillLoggedIn: () => Promise<boolean>,
  ) {}

  /** changed: the one box that changed, or null when all (or the link state) did. */
  subscribe(listener: (changed: Device | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    this.stop();
    const source = new EventSource('/api/events');
    this.source = source;
    source.addEventListener('devices', (ev) => {
      const list = JSON.parse((ev as MessageEvent<string>).data) as Device[];
      this.devices.clear();
      for (const d of list) this.devices.set(d.id, d);
      this.heard();
      this.emit(null);
    });
    source.addEventListener('device', (ev) => {
      const d = JSON.parse((ev as MessageEvent<string>).data) as Device;
      this.devices.set(d.id, d);
      this.heard();
      this.emit(d);
    });
    source.addEventListener('error', () => this.failed());
  }

  stop(): void {
    this.source?.close();
    this.source = null;
    if (this.watchdog !== null) clearTimeout(this.watchdog);
    if (this.retry !== null) clearTimeout(this.retry);
    this.watchdog = null;
    this.retry = null;
  }

  /** Put a box's newest view in at once (the answer to a change made on this page). */
  update(d: Device): void {
    this.devices.set(d.id, d);
    this.emit(d);
  }

  private heard(): void {
    this.failures = 0;
    this.setState('connected');
    if (this.watchdog !== null) clearTimeout(this.watchdog);
    this.watchdog = window.setTimeout(() => this.failed(), SILENCE_MS);
  }

  private failed(): void {
    this.stop();
    this.setState('lost');
    const wait = RETRY_MS[Math.min(this.failures, RETRY_MS.length - 1)] ?? 10_000;
    this.failures += 1;
    this.retry = window.setTimeout(() => {
      this.retry = null;
      this.stillLoggedIn().then(
        (yes) => {
          if (yes) this.start();
        },
        // The fleet itself is unreachable: keep trying.
        () => this.failed(),
      );
    }, wait);
  }

  private setState(state: LinkState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit(null);
  }

  private emit(changed: Device | null): void {
    for (const l of this.listeners) l(changed);
  }
}
