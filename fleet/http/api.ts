import type { FleetOperations } from '../operations.js';
import { OPENAPI } from './openapi.js';
import { Router, type Handler, type Request } from './router.js';

/** The HTTP API (docs: fleet/http/openapi.ts, served at /api/openapi.json). */
export function buildApi(ops: FleetOperations): Router {
  const admin =
    (run: (req: Request) => Promise<{ status?: number; body: unknown; headers?: Record<string, string> }>): Handler =>
    async (req) => {
      await ops.requireAdmin(req.bearer);
      const out = await run(req);
      return { status: out.status ?? 200, body: out.body, ...(out.headers ? { headers: out.headers } : {}) };
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
    .add(
      'GET',
      '/api/devices/:id/snapshot.jpg',
      admin(async (req) => {
        const still = await ops.snapshot(param(req, 'id'));
        return { body: still.jpeg, headers: { 'content-type': 'image/jpeg', 'last-modified': still.at.toUTCString() } };
      }),
    )
    .add('GET', '/api/devices/:id/health', admin(async (req) => ({ body: await ops.health(param(req, 'id'), req.query) })))
    .add('POST', '/api/devices/:id/revoke', admin(async (req) => ({ body: await ops.revoke(param(req, 'id')) })))
    .add('POST', '/api/enrollment-token', admin(async () => ({ body: await ops.rotateEnrollmentToken() })));
}
