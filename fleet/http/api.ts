import type { BalenaOperations } from '../balena/balena-operations.js';
import type { FleetOperations } from '../operations.js';
import { OPENAPI } from './openapi.js';
import { Router, type Handler, type Request } from './router.js';

/** The HTTP API (docs: fleet/http/openapi.ts, served at /api/openapi.json). */
export function buildApi(ops: FleetOperations, balena: BalenaOperations): Router {
  const admin =
    (run: (req: Request) => Promise<{ status?: number; body: unknown }>): Handler =>
    async (req) => {
      await ops.requireAdmin(req.bearer);
      const out = await run(req);
      return { status: out.status ?? 200, body: out.body };
    };
  const param = (req: Request, name: string): string => req.params[name] ?? '';
  return new Router()
    .add('GET', '/api/openapi.json', () => Promise.resolve({ status: 200, body: OPENAPI }))
    .add('POST', '/api/enrol', async (req) => ({ status: 201, body: await ops.enrol(req.body) }))
    .add('GET', '/api/devices', admin(async () => ({ body: { devices: await ops.list() } })))
    .add('GET', '/api/devices/:id', admin(async (req) => ({ body: await ops.get(param(req, 'id')) })))
    .add('PUT', '/api/devices/:id/name', admin(async (req) => ({ body: await ops.rename(param(req, 'id'), req.body) })))
    .add('PUT', '/api/devices/:id/config', admin(async (req) => ({ body: await ops.putConfig(param(req, 'id'), req.body) })))
    .add('POST', '/api/devices/:id/commands/:name', admin(async (req) => ops.command(param(req, 'id'), param(req, 'name'), req.body)))
    .add('GET', '/api/devices/:id/health', admin(async (req) => ({ body: await ops.health(param(req, 'id'), req.query) })))
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
