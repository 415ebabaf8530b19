import type { BalenaOperations } from '../balena/balena-operations.js';
import type { DeviceEvents } from '../device-events.js';
import type { FleetOperations } from '../operations.js';
import type { Auth } from './auth.js';
import { OPENAPI } from './openapi.js';
import { Router, type EventStream, type Handler, type Request, type Response } from './router.js';

/** How often an open event stream gets every box again (health stored by another instance reaches it so). */
const FULL_REFRESH_MS = 30_000;

export interface ApiDeps {
  ops: FleetOperations;
  auth: Auth;
  events: DeviceEvents;
  balena: BalenaOperations;
}

/** The HTTP API (docs: fleet/http/openapi.ts, served at /api/openapi.json). */
export function buildApi({ ops, auth, events, balena }: ApiDeps): Router {
  const admin =
    (run: (req: Request) => Promise<Omit<Response, 'status'> & { status?: number }>): Handler =>
    async (req) => {
      await auth.require(req);
      const out = await run(req);
      return { ...out, status: out.status ?? 200 };
    };
  const param = (req: Request, name: string): string => req.params[name] ?? '';
  const liveDevices: EventStream = (send, closed) => {
    const everything = (): void => void ops.list().then((devices) => send('devices', devices), () => undefined);
    everything();
    const off = events.subscribe((device) => send('device', device));
    const refresh = setInterval(everything, FULL_REFRESH_MS);
    void closed.then(() => {
      off();
      clearInterval(refresh);
    });
  };
  return new Router()
    .add('GET', '/api/openapi.json', () => Promise.resolve({ status: 200, body: OPENAPI }))
    .add('POST', '/api/login', (req) => auth.login(req))
    .add('POST', '/api/logout', (req) => auth.logout(req))
    .add('GET', '/api/session', async (req) => ({ status: 200, body: { ...(await auth.session(req)), passwordSet: await auth.passwordSet() } }))
    .add('PUT', '/api/admin-password', admin(async (req) => ({ body: await auth.setPassword(req.body) })))
    .add('GET', '/api/events', admin(() => Promise.resolve({ body: null, events: liveDevices })))
    .add('POST', '/api/enrol', async (req) => ({ status: 201, body: await ops.enrol(req.body) }))
    .add('GET', '/api/devices', admin(async () => ({ body: { devices: await ops.list() } })))
    .add('GET', '/api/devices/:id', admin(async (req) => ({ body: await ops.get(param(req, 'id')) })))
    .add('PUT', '/api/devices/:id/name', admin(async (req) => ({ body: await ops.rename(param(req, 'id'), req.body) })))
    .add('PUT', '/api/devices/:id/config', admin(async (req) => ({ body: await ops.putConfig(param(req, 'id'), req.body) })))
    .add('POST', '/api/devices/:id/config/preview', admin(async (req) => ({ body: await ops.previewConfig(param(req, 'id'), req.body) })))
    .add('POST', '/api/devices/:id/commands/:name', admin(async (req) => ops.command(param(req, 'id'), param(req, 'name'), req.body)))
    .add(
      'GET',
      '/api/devices/:id/snapshot.jpg',
      admin(async (req) => {
        const still = await ops.snapshot(param(req, 'id'));
        return { body: still.jpeg, headers: { 'content-type': 'image/jpeg', 'last-modified': still.at.toUTCString() } };
      }),
    )
    .add('GET', '/api/devices/:id/health', admin(async (req) => ({ body: await ops.health(param(req, 'id'), req.query) })))
    .add('GET', '/api/devices/:id/events', admin(async (req) => ({ body: await ops.timeline(param(req, 'id'), req.query) })))
    .add('POST', '/api/devices/:id/revoke', admin(async (req) => ({ body: await ops.revoke(param(req, 'id')) })))
    .add('POST', '/api/enrollment-token', admin(async () => ({ body: await ops.rotateEnrollmentToken() })))
    // balena (docs/updates.md): 503 with what to set when it is not configured.
    .add('GET', '/api/balena', admin(() => Promise.resolve({ body: balena.status() })))
    .add('GET', '/api/releases', admin(async () => ({ body: await balena.releases() })))
    .add('GET', '/api/releases/devices', admin(async () => ({ body: await balena.devices() })))
    .add('GET', '/api/devices/:id/release', admin(async (req) => ({ body: await balena.deviceRelease(param(req, 'id')) })))
    .add('POST', '/api/releases/pin', admin(async (req) => ({ body: await balena.pin(req.body) })))
    .add('POST', '/api/releases/rollback', admin(async (req) => ({ body: await balena.rollback(req.body) })))
    .add('POST', '/api/rollouts', admin(async (req) => ({ status: 201, body: await balena.startRollout(req.body) })))
    .add('GET', '/api/rollouts/current', admin(async () => ({ body: await balena.currentRollout() })))
    .add('POST', '/api/rollouts/current/abort', admin(async (req) => ({ body: await balena.abortRollout(req.body) })));
}
