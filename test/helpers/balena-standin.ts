import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for the few balena API (v7, OData) endpoints balena-sdk
 * calls for us, on 127.0.0.1 with a kernel-chosen port: the fleet's
 * application, its releases, devices and device tags, and the two PATCHes
 * that pin. It records every request for the tests to check, refuses a
 * request without the right bearer token, and (with `followPins`) makes a
 * device "run" its target release a moment after it changes, as a device
 * that downloads and applies an update would.
 */

export interface StandinRelease {
  id: number;
  commit: string;
  raw_version: string;
  status: string;
  created_at: string;
  is_final: boolean;
  is_invalidated?: boolean;
}

export interface StandinDevice {
  id: number;
  uuid: string;
  device_name: string;
  is_online: boolean;
  running: number | null;
  pinned: number | null;
  update_status: string | null;
  tags: Record<string, string>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** The query string, percent-decoded ($filter, $select, $expand...). */
  query: Record<string, string>;
  body: unknown;
  authorization: string | null;
}

export interface StandinOptions {
  token: string;
  app: { id: number; slug: string; target: number | null };
  releases: StandinRelease[];
  devices: StandinDevice[];
  /** A device runs its new target this long after it changes; null: only when the test says so. */
  followPinsMs?: number | null;
}

type Row = Record<string, unknown>;

/** A 32-character commit of one repeated hex digit. */
export const commit = (digit: string): string => digit.repeat(32);

/** A release of the sample fleet: ids 10, 11, 12... are 1.0.0, 1.1.0, 1.2.0..., a day or more apart. */
export function sampleRelease(id: number): StandinRelease {
  const minor = id - 10;
  return { id, commit: commit('abcdef'[minor] ?? 'f'), raw_version: `1.${minor}.0`, status: 'success', created_at: new Date(Date.UTC(2026, 10, 10 + minor * 5, 10)).toISOString(), is_final: true };
}

/** A device of the sample fleet, running release 10 and following the fleet. */
export function sampleDevice(id: number, uuid: string, patch: Partial<StandinDevice> = {}): StandinDevice {
  return { id, uuid, device_name: `room-${id}`, is_online: true, running: 10, pinned: null, update_status: null, tags: {}, ...patch };
}

export class BalenaStandin {
  readonly requests: RecordedRequest[] = [];
  /** Requests it could not answer (an unknown filter): a test should see none. */
  readonly errors: string[] = [];
  private server: Server | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(readonly state: StandinOptions) {}

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.errors.push(err instanceof Error ? err.message : String(err));
        send(res, 500, 'stand-in error');
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  device(uuid: string): StandinDevice {
    const d = this.state.devices.find((x) => x.uuid === uuid);
    if (!d) throw new Error(`the stand-in has no device ${uuid}`);
    return d;
  }

  /** The release a device should run: its pin, else the fleet's. */
  targetOf(d: StandinDevice): number | null {
    return d.pinned ?? this.state.app.target;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://standin.invalid');
    let raw = '';
    for await (const chunk of req as AsyncIterable<Buffer>) raw += chunk.toString('utf8');
    const body = raw === '' ? undefined : (JSON.parse(raw) as unknown);
    const query = Object.fromEntries(url.searchParams.entries());
    this.requests.push({ method: req.method ?? '', path: url.pathname, query, body, authorization: req.headers.authorization ?? null });
    if (req.headers.authorization !== `Bearer ${this.state.token}`) return send(res, 401, 'Unauthorized');
    const m = /^\/v7\/(application|release|device|device_tag)(?:\((\d+)\))?$/.exec(url.pathname);
    if (!m) return send(res, 404, 'Not found');
    const resource = m[1] ?? '';
    const key = m[2] === undefined ? null : Number(m[2]);
    const filter = query['$filter'] ?? '';
    // A key in the path, like release(11), is one more filter.
    const keyed = (r: Row): boolean => key === null || r['id'] === key;
    if (req.method === 'GET') return send(res, 200, { d: this.rows(resource).filter((r) => keyed(r) && matches(r, filter)).map((r) => this.expanded(resource, r)) });
    if (req.method === 'PATCH') {
      const patch = (body ?? {}) as Row;
      if (resource === 'application' && key === this.state.app.id) this.patchApp(patch);
      else if (resource === 'device') this.patchDevices(this.rows('device').filter((r) => keyed(r) && matches(r, filter)).map((r) => Number(r['id'])), patch);
      else return send(res, 400, 'unexpected PATCH');
      return send(res, 200, 'OK');
    }
    return send(res, 405, 'Method not allowed');
  }

  private rows(resource: string): Row[] {
    const { app, releases, devices } = this.state;
    switch (resource) {
      case 'application':
        return [{ id: app.id, slug: app.slug, uuid: `uuid-${app.id}`, should_track_latest_release: app.target === null }];
      case 'release':
        return releases.map((r) => ({ ...r, is_invalidated: r.is_invalidated ?? false, semver: r.raw_version, belongs_to__application: { __id: app.id } }));
      case 'device':
        return devices.map((d) => ({ id: d.id, uuid: d.uuid, device_name: d.device_name, is_online: d.is_online, update_status: d.update_status, overall_status: 'idle', overall_progress: null, belongs_to__application: { __id: app.id } }));
      default:
        return devices.flatMap((d) => Object.entries(d.tags).map(([tag_key, value]) => ({ tag_key, value, device: { __id: d.id }, belongs_to__application: app.id })));
    }
  }

  /** Navigation properties come back expanded ([row] or []), as $expand asks. */
  private expanded(resource: string, row: Row): Row {
    const release = (id: number | null): Row[] => {
      const r = this.state.releases.find((x) => x.id === id);
      return r ? [{ id: r.id, commit: r.commit, raw_version: r.raw_version }] : [];
    };
    if (resource === 'application') return { ...row, should_be_running__release: release(this.state.app.target) };
    if (resource !== 'device') return row;
    const d = this.state.devices.find((x) => x.id === row['id']);
    if (!d) return row;
    return { ...row, is_running__release: release(d.running), is_pinned_on__release: release(d.pinned), should_be_running__release: release(this.targetOf(d)) };
  }

  private patchApp(patch: Row): void {
    const before = new Map(this.state.devices.map((d) => [d.id, this.targetOf(d)]));
    if (typeof patch['should_be_running__release'] === 'number') this.state.app.target = patch['should_be_running__release'];
    for (const d of this.state.devices) if (before.get(d.id) !== this.targetOf(d)) this.follow(d);
  }

  private patchDevices(ids: number[], patch: Row): void {
    for (const d of this.state.devices.filter((x) => ids.includes(x.id))) {
      const pin = patch['is_pinned_on__release'];
      if (typeof pin === 'number' || pin === null) d.pinned = pin;
      this.follow(d);
    }
  }

  private follow(d: StandinDevice): void {
    const ms = this.state.followPinsMs;
    if (ms === null || ms === undefined || this.targetOf(d) === d.running) return;
    d.update_status = 'downloading';
    const t = setTimeout(() => {
      this.timers.delete(t);
      d.running = this.targetOf(d);
      d.update_status = 'done';
    }, ms);
    this.timers.add(t);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' });
  res.end(text);
}

/**
 * The $filter forms balena-sdk 22 sends for these calls, joined by "and";
 * anything else fails the request loudly rather than matching everything.
 */
function matches(row: Row, filter: string): boolean {
  if (filter === '') return true;
  return filter.split(' and ').every((clause) => {
    const c = clause.trim();
    let m: RegExpExecArray | null;
    if ((m = /^slug eq '([^']*)' or uuid eq '([^']*)'$/.exec(c))) return row['slug'] === m[1] || row['uuid'] === m[2];
    if ((m = /^device\/any\(d:d\/belongs_to__application eq (\d+)\)$/.exec(c))) return row['belongs_to__application'] === Number(m[1]);
    if ((m = /^(\w+) eq (\d+)$/.exec(c))) return navId(row[m[1] ?? '']) === Number(m[2]);
    if ((m = /^(\w+) eq '([^']*)'$/.exec(c))) return row[m[1] ?? ''] === m[2];
    if ((m = /^(\w+) in \(([\d,]+)\)$/.exec(c))) return (m[2] ?? '').split(',').map(Number).includes(Number(row[m[1] ?? '']));
    if ((m = /^startswith\((\w+),'([^']*)'\)$/.exec(c))) return String(row[m[1] ?? '']).startsWith(m[2] ?? '');
    throw new Error(`the balena stand-in does not understand the filter clause: ${c}`);
  });
}

function navId(v: unknown): unknown {
  return typeof v === 'object' && v !== null && '__id' in v ? (v).__id : v;
}
