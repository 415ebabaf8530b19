import { connect } from 'node:net';
import type { Destination } from '../common/destination.js';
import type { Logger } from '../common/log.js';
import { backoffDelay } from './backoff.js';
import type { FromHost } from './pipeline/host-messages.js';
import { HostProcess } from './pipeline/host-process.js';
import { renderDestination } from './pipeline/render.js';
import { relayProgress, type DestinationState } from './state.js';

export interface RelayDeps {
  destination: Destination;
  logger: Logger;
  statsIntervalMs: number;
  /** The stream's bitrate (video + audio), to judge how much unacknowledged data is a backlog. */
  streamKbps: number;
  onChange(patch: Partial<DestinationState>): void;
  now?: () => number;
}

/**
 * A stall is cut, not waited out (rtmp2sink would wait for TCP to time out).
 * Seen from the relay, a server that stops reading or a path that drops
 * packets shows as unacknowledged bytes piling up in the socket: more than
 * BACKLOG_SECONDS of stream, held for BACKLOG_HOLD_MS, is a stall. So is a
 * byte count that does not move for NO_PROGRESS_MS. Measured: with the
 * server stopped (SIGSTOP), the backlog passes 1 s of stream about 2 s later.
 */
export const BACKLOG_SECONDS = 1;
export const BACKLOG_HOLD_MS = 1000;
export const NO_PROGRESS_MS = 3000;
/** From process start to media flowing: TCP, TLS, RTMP handshake, connect, publish. */
export const CONNECT_TIMEOUT_MS = 10_000;
/** A relay that stops reporting is hung. */
const SILENT_MS = 5000;
const WATCHDOG_MS = 500;
/**
 * While waiting out a backoff, the server's host:port is probed with a bare
 * TCP connect this often (no RTMP, no key). If it was unreachable and now
 * accepts, the relay retries at once instead of sleeping out a delay of up
 * to 30 s: an ingest that comes back is rejoined within a probe interval.
 */
const PROBE_MS = 1000;

/**
 * A destination's host process exited unasked: the next attempt's delay
 * (capped, jittered backoff), logged and shown in its state with the reason.
 */
export function reportRetry(log: Logger, deps: { destination: Destination; onChange(patch: Partial<DestinationState>): void }, failures: number, reason: string): number {
  const delay = backoffDelay(failures);
  log.warn('destination retry', { url: deps.destination.display, attempt: failures, inMs: delay, reason });
  deps.onChange({ state: 'retrying', failures, lastError: reason, retryInMs: delay, bitrateKbps: 0 });
  return delay;
}

/** host and port of a destination, for the reachability probe. */
export function destinationAddress(d: Destination): { host: string; port: number } {
  const url = new URL(d.url);
  return { host: url.hostname, port: url.port ? Number(url.port) : d.protocol === 'rtmps' ? 443 : 1935 };
}

function probe(address: { host: string; port: number }, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(address);
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * One destination: a relay host process that takes the core's FLV stream
 * and publishes it. It fails alone and retries alone, with capped backoff;
 * a stall (no byte accepted for STALL_MS) or a connection that never gets to
 * media is cut and retried too. Each attempt and its reason is logged.
 */
export class DestinationRelay {
  readonly destination: Destination;
  private host: HostProcess | null = null;
  private port = 0;
  private wanted = false;
  private failures = 0;
  private lastError: string | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private probeTimer: NodeJS.Timeout | null = null;
  private startedAt = 0;
  private lastSample: { at: number; bytes: number } | null = null;
  private lastAdvanceAt = 0;
  private lastStatsAt = 0;
  private backlogSince: number | null = null;
  private live = false;
  /** A cut was ordered; the host is on its way out. */
  private cutting = false;
  private watchdog: NodeJS.Timeout | null = null;
  private readonly now: () => number;
  private readonly log: Logger;

  constructor(private readonly deps: RelayDeps) {
    this.destination = deps.destination;
    this.now = deps.now ?? Date.now;
    this.log = deps.logger.child(deps.destination.id);
  }

  /** Starts (or restarts at once, with a clean slate) against the core's stream on this port. */
  start(port: number): void {
    this.port = port;
    this.wanted = true;
    this.failures = 0;
    this.clearRetry();
    if (this.host) {
      // The core restarted on a new port: the running relay reads a dead stream.
      const old = this.host;
      this.host = null;
      old.kill();
    }
    this.spawn();
  }

  private spawn(): void {
    this.startedAt = this.now();
    this.lastStatsAt = this.startedAt;
    this.backlogSince = null;
    this.lastSample = null;
    this.live = false;
    this.cutting = false;
    if (!this.watchdog) this.watchdog = setInterval(() => this.check(), WATCHDOG_MS);
    const host: HostProcess = new HostProcess({
      onMessage: (msg) => this.onMessage(host, msg),
      onExit: (code, signal) => this.onExit(host, code, signal),
    });
    this.host = host;
    this.deps.onChange({ state: 'connecting', retryInMs: null, bitrateKbps: 0 });
    this.log.info('destination connecting', { url: this.deps.destination.display, attempt: this.failures + 1 });
    host.start(renderDestination(this.deps.destination, this.port), { statsIntervalMs: this.deps.statsIntervalMs, fanoutPort: this.port });
  }

  private onMessage(host: HostProcess, msg: FromHost): void {
    if (host !== this.host) return;
    switch (msg.type) {
      case 'stats':
        this.onStats(msg.at, msg.stats.bytesSent ?? 0, msg.stats.unackedBytes ?? 0);
        break;
      case 'error':
        this.lastError = `${msg.element}: ${msg.message}`;
        break;
      case 'warning':
        this.log.warn('destination warning', { element: msg.element, message: msg.message });
        break;
      case 'playing':
      case 'fanout':
      case 'segment-opened':
      case 'segment-closed':
      case 'audio-level':
      case 'source':
      case 'snapshot':
      case 'stopped':
        break;
    }
  }

  private onStats(at: number, bytes: number, unacked: number): void {
    const p = relayProgress(this.lastSample, { at, bytes });
    this.lastSample = { at, bytes };
    const now = this.now();
    this.lastStatsAt = now;
    if (p.advanced) this.lastAdvanceAt = now;
    const backlogLimit = Math.max(64 * 1024, (this.deps.streamKbps * 1000 * BACKLOG_SECONDS) / 8);
    this.backlogSince = this.live && unacked > backlogLimit ? (this.backlogSince ?? now) : null;
    if (p.media && p.advanced && !this.live) {
      this.live = true;
      this.failures = 0;
      this.lastError = null;
      this.log.info('destination live', { url: this.deps.destination.display });
    }
    this.deps.onChange({ state: this.live ? 'live' : 'connecting', bytesSent: bytes, bitrateKbps: p.bitrateKbps, failures: this.failures, lastError: this.lastError });
    this.check();
  }

  /** Runs on every sample and on a timer, so a relay that stops reporting is caught too. */
  private check(): void {
    const host = this.host;
    if (!host || this.cutting) return;
    const now = this.now();
    const secs = (since: number): number => Math.round((now - since) / 100) / 10;
    if (this.live && this.backlogSince !== null && now - this.backlogSince >= BACKLOG_HOLD_MS) {
      this.cut(host, `stalled: the server has not acknowledged the last ${secs(this.backlogSince) + BACKLOG_SECONDS} s of stream`);
    } else if (this.live && now - this.lastAdvanceAt >= NO_PROGRESS_MS) {
      this.cut(host, `stalled: the server took no data for ${secs(this.lastAdvanceAt)} s`);
    } else if (!this.live && now - this.startedAt >= CONNECT_TIMEOUT_MS) {
      this.cut(host, `no stream after ${secs(this.startedAt)} s (connection or publish not answered)`);
    } else if (now - this.lastStatsAt >= SILENT_MS) {
      this.cut(host, `the relay process stopped reporting for ${secs(this.lastStatsAt)} s`);
    }
  }

  private cut(host: HostProcess, reason: string): void {
    this.lastError = reason;
    this.log.warn('destination cut', { reason });
    this.cutting = true;
    host.kill();
  }

  private onExit(host: HostProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (host !== this.host) return;
    this.host = null;
    if (!this.wanted) return;
    this.failures += 1;
    const delay = reportRetry(this.log, this.deps, this.failures, this.lastError ?? `relay exited (code ${code}, signal ${signal})`);
    this.lastError = null;
    this.retryTimer = setTimeout(() => this.retryNow(), delay);
    this.startProbing();
  }

  private retryNow(): void {
    this.clearRetry();
    if (this.wanted && !this.host) this.spawn();
  }

  /** Probes the server during the wait; a server that was unreachable and answers again ends the wait. */
  private startProbing(): void {
    const address = destinationAddress(this.deps.destination);
    let sawUnreachable = false;
    const tick = (): void => {
      void probe(address, PROBE_MS - 100).then((reachable) => {
        if (!this.retryTimer) return;
        if (!reachable) sawUnreachable = true;
        if (reachable && sawUnreachable) {
          this.log.info('destination reachable again, retrying now', { url: this.deps.destination.display });
          // A fresh start: should this first attempt fail (the server still starting up), the next one
          // follows within a second, not after the backoff the outage built up (seen once in CI: 12 s).
          this.failures = 0;
          this.retryNow();
          return;
        }
        this.probeTimer = setTimeout(tick, PROBE_MS);
      });
    };
    this.probeTimer = setTimeout(tick, 0);
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = null;
  }

  /** Ends the RTMP session cleanly (deleteStream) and releases the process and timers. */
  async stop(deadlineMs: number): Promise<void> {
    this.wanted = false;
    this.clearRetry();
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;

    const host = this.host;
    if (host) await host.stop(deadlineMs);
    this.host = null;
    this.deps.onChange({ state: 'idle', bitrateKbps: 0, retryInMs: null });
  }
}
