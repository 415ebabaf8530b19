import type { BoxRelease, ConfigPreview, Device, Release, ReleaseRef, Rollout, Session, TimelineEvent } from './types.js';

/** An API answer that was not 2xx: its status, message and (for a refused config) every reason. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details: string[] = [],
    /** Seconds to wait (a 429 after too many failed logins). */
    readonly retryAfter: number | null = null,
  ) {
    super(message);
  }
}

export interface CommandAnswer {
  response: { ok: true; result?: Record<string, string | number | boolean | null> } | { ok: false; error: string };
}

/**
 * The fleet's HTTP API as the page uses it: the session cookie goes along by
 * itself (same origin); every change carries the session's CSRF token.
 */
export class Api {
  private csrf: string | null = null;
  /** Called when the session ended (expired, logged out elsewhere): the page shows the login. */
  onUnauthorised: () => void = () => undefined;

  async session(): Promise<Session | null> {
    try {
      const s = await this.call<Session>('GET', '/api/session');
      this.csrf = s.csrf;
      return s;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return null;
      throw err;
    }
  }

  async login(secret: { token: string } | { password: string }): Promise<void> {
    const s = await this.call<{ csrf: string }>('POST', '/api/login', secret, false);
    this.csrf = s.csrf;
  }

  async logout(): Promise<void> {
    await this.call('POST', '/api/logout');
    this.csrf = null;
  }

  setPassword(password: string): Promise<unknown> {
    return this.call('PUT', '/api/admin-password', { password });
  }

  devices(): Promise<{ devices: Device[] }> {
    return this.call('GET', '/api/devices');
  }

  health(id: string, fromIso: string): Promise<{ samples: { at: string; health: { sendKbps?: number } }[] }> {
    return this.call('GET', `/api/devices/${encodeURIComponent(id)}/health?from=${encodeURIComponent(fromIso)}`);
  }

  timeline(id: string): Promise<{ events: TimelineEvent[] }> {
    return this.call('GET', `/api/devices/${encodeURIComponent(id)}/events?limit=50`);
  }

  command(id: string, name: 'start' | 'stop' | 'snapshot' | 'identify'): Promise<CommandAnswer> {
    return this.call('POST', `/api/devices/${encodeURIComponent(id)}/commands/${name}`);
  }

  previewConfig(id: string, config: Record<string, string>): Promise<ConfigPreview> {
    return this.call('POST', `/api/devices/${encodeURIComponent(id)}/config/preview`, { config });
  }

  putConfig(id: string, config: Record<string, string>): Promise<{ version: number; device: Device; warnings: string[] }> {
    return this.call('PUT', `/api/devices/${encodeURIComponent(id)}/config`, { config });
  }

  rename(id: string, name: string): Promise<Device> {
    return this.call('PUT', `/api/devices/${encodeURIComponent(id)}/name`, { name });
  }

  balena(): Promise<{ configured: boolean; message: string }> {
    return this.call('GET', '/api/balena');
  }

  releases(): Promise<{ releases: Release[]; fleetRelease: ReleaseRef | null }> {
    return this.call('GET', '/api/releases');
  }

  boxReleases(): Promise<{ devices: BoxRelease[] }> {
    return this.call('GET', '/api/releases/devices');
  }

  rollout(): Promise<{ rollout: Rollout | null }> {
    return this.call('GET', '/api/rollouts/current');
  }

  startRollout(release: number, canary: string, testDestination: string): Promise<Rollout> {
    return this.call('POST', '/api/rollouts', { release, canary, testDestination });
  }

  abortRollout(): Promise<Rollout> {
    return this.call('POST', '/api/rollouts/current/abort', {});
  }

  pin(release: number, target: { kind: 'fleet' } | { kind: 'device'; deviceId: string } | { kind: 'tag'; key: string; value: string }): Promise<{ pinned: string[] }> {
    return this.call('POST', '/api/releases/pin', { release, target });
  }

  rollbackFleet(): Promise<unknown> {
    return this.call('POST', '/api/releases/rollback', { target: { kind: 'fleet' } });
  }

  private async call<T = unknown>(method: string, path: string, body?: unknown, reportUnauthorised = true): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET' && this.csrf !== null) headers['x-csrf-token'] = this.csrf;
    const res = await fetch(path, { method, headers, credentials: 'same-origin', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      parsed = null;
    }
    if (res.ok) return parsed as T;
    const e = (parsed ?? {}) as { error?: string; details?: string[] };
    if (res.status === 401 && reportUnauthorised && path !== '/api/session') this.onUnauthorised();
    const retry = res.headers.get('retry-after');
    throw new ApiError(res.status, e.error ?? `${res.status} ${res.statusText}`, e.details ?? [], retry === null ? null : Number(retry));
  }
}
