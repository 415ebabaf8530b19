import { spawn } from 'node:child_process';
import { NatVenue } from '../../testbed/netns-nat.js';
import { Managed } from '../../testbed/process.js';
import { CLI, type LogLine } from './agent-process.js';
import { boxEnv } from './env.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
export const ENROLL_TOKEN = 'test-enrol-token-0123456789abcdef';

/**
 * A small box of a fleet under test, cheap to run several of: id box-<name>,
 * test sources at 320x180, the test enrolment token, health every 2 s from
 * this machine's /proc (real figures; the sources are test ones either way).
 */
export function fleetBoxEnv(dir: string, name: string, destination: string, fleetUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return boxEnv(dir, {
    ROOMCAST_VIDEO_SIZE: '320x180',
    ROOMCAST_FRAMERATE: '15',
    ROOMCAST_VIDEO_BITRATE: '300',
    ROOMCAST_AUDIO_BITRATE: '64',
    ROOMCAST_DESTINATIONS: destination,
    ROOMCAST_FLEET_URL: fleetUrl,
    ROOMCAST_ENROLL_TOKEN: ENROLL_TOKEN,
    ROOMCAST_HEALTH_SECONDS: '2',
    BALENA_DEVICE_UUID: `box-${name}`,
    ROOMCAST_HOST_PROC: '/proc',
    ...extra,
  });
}

/** A real `roomcast fleet` process on loopback, with its JSON log and its HTTP API. */
export class FleetProcess {
  private constructor(
    readonly proc: Managed,
    readonly httpPort: number,
    readonly mqttPort: number | null,
    readonly mqttsPort: number | null,
  ) {}

  /**
   * Starts it with ports chosen by the kernel (or those of `previous`, to come
   * back where the boxes look) and waits until it serves. `nodeArgs` go to
   * Node.js itself (a benchmark's --cpu-prof); `netns`: run it in this
   * network namespace (testbed/netns-nat.ts).
   */
  static async start(dataDir: string, env: Record<string, string> = {}, previous?: FleetProcess, nodeArgs: readonly string[] = [], netns?: string): Promise<FleetProcess> {
    const fullEnv = {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: process.env['HOME'] ?? '/root',
      ROOMCAST_FLEET_DATA_DIR: dataDir,
      ROOMCAST_FLEET_LISTEN_HOST: '127.0.0.1',
      ROOMCAST_FLEET_HTTP_PORT: String(previous?.httpPort ?? 0),
      ROOMCAST_FLEET_MQTT_PORT: String(previous?.mqttPort ?? 0),
      ROOMCAST_FLEET_MQTTS_PORT: String(previous?.mqttsPort ?? 0),
      ROOMCAST_FLEET_PUBLIC_URL: 'http://127.0.0.1',
      ROOMCAST_ADMIN_TOKEN: ADMIN_TOKEN,
      ROOMCAST_ENROLL_TOKEN: ENROLL_TOKEN,
      ...env,
    };
    const argv = [process.execPath, ...nodeArgs, CLI, 'fleet'];
    const [cmd, args] = netns ? NatVenue.inside(netns, argv) : [process.execPath, argv.slice(1)];
    const proc = new Managed(spawn(cmd, args, { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] }));
    const ready = await waitForLine(proc, (l) => l.msg === 'fleet service ready', 20_000);
    const broker = parseLines(proc.log).find((l) => l.msg === 'embedded broker listening');
    return new FleetProcess(proc, Number(ready['http']), broker ? Number(broker['port']) : null, broker && broker['tlsPort'] !== null ? Number(broker['tlsPort']) : null);
  }

  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  lines(): LogLine[] {
    return parseLines(this.proc.log);
  }

  /** An API call as the admin; returns the status and the parsed body. */
  async api<T = Record<string, unknown>>(method: string, path: string, body?: unknown, token: string | null = ADMIN_TOKEN): Promise<{ status: number; body: T }> {
    const headers: Record<string, string> = {};
    if (token !== null) headers['authorization'] = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${this.url}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, body: (await res.json()) as T };
  }

  /** Waits for a line of its log, from its start. */
  waitFor(predicate: (l: LogLine) => boolean, timeoutMs: number, what: string): Promise<LogLine> {
    return waitForLine(this.proc, predicate, timeoutMs, what);
  }

  /** Polls a device through the API until the predicate holds. */
  async waitForDevice(id: string, predicate: (d: Record<string, unknown>) => boolean, timeoutMs: number, what: string): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown = null;
    for (;;) {
      const r = await this.api('GET', `/api/devices/${id}`);
      last = r.body;
      if (r.status === 200 && predicate(r.body)) return r.body;
      if (!this.proc.running) throw new Error(`the fleet service exited before ${what}:\n${this.proc.log.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last).slice(0, 2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function parseLines(log: string): LogLine[] {
  const out: LogLine[] = [];
  for (const line of log.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as LogLine);
    } catch {
      // a partial last line
    }
  }
  return out;
}

async function waitForLine(proc: Managed, predicate: (l: LogLine) => boolean, timeoutMs: number, what = 'its start'): Promise<LogLine> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = parseLines(proc.log).find(predicate);
    if (hit) return hit;
    if (!proc.running) throw new Error(`the fleet service exited before ${what}:\n${proc.log.slice(-3000)}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}:\n${proc.log.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
