import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../common/log.js';
import { ApiError } from './errors.js';
import type { Method, Router } from './router.js';

const MAX_BODY_BYTES = 64 * 1024;
const METHODS = new Set<string>(['GET', 'POST', 'PUT', 'DELETE']);

/**
 * The HTTP boundary: reads a bounded JSON body, finds the route, and turns
 * every error into a JSON answer with its status. An unexpected error is
 * logged and answered 500 without its message (it may hold anything).
 */
export class HttpServer {
  private server: Server | null = null;

  constructor(
    private readonly router: Router,
    private readonly log: Logger,
    /** Serves non-API paths (the dashboard), or null for 404. */
    private readonly fallback: ((req: IncomingMessage, res: ServerResponse) => boolean) | null = null,
  ) {}

  async listen(host: string, port: number): Promise<number> {
    const server = createServer((req, res) => void this.handle(req, res));
    // A box's or a browser's idle keep-alive must not hold stop() up.
    server.keepAliveTimeout = 5000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fleet.invalid');
    try {
      if (!url.pathname.startsWith('/api/') && this.fallback?.(req, res)) return;
      const method = req.method ?? 'GET';
      if (!METHODS.has(method)) throw new ApiError(405, `${method} is not allowed`);
      const route = this.router.match(method, url.pathname);
      const body = await readJson(req);
      const auth = req.headers.authorization;
      const bearer = auth !== undefined && /^Bearer [^\s]+$/.test(auth) ? auth.slice(7) : null;
      const answer = await route.handler({ method: method as Method, params: route.params, query: url.searchParams, body, bearer });
      if (answer.body instanceof Uint8Array) sendBytes(res, answer.status, answer.body, answer.headers ?? {});
      else send(res, answer.status, answer.body);
    } catch (err) {
      if (err instanceof ApiError) {
        send(res, err.status, err.details ? { error: err.message, details: err.details } : { error: err.message });
      } else {
        this.log.error('request failed', { method: req.method, path: url.pathname, error: err instanceof Error ? err.message : String(err) });
        send(res, 500, { error: 'internal error (logged by the fleet service)' });
      }
    }
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendBytes(res: ServerResponse, status: number, body: Uint8Array, headers: Readonly<Record<string, string>>): void {
  res.writeHead(status, { 'content-type': 'application/octet-stream', 'cache-control': 'no-store', ...headers, 'content-length': body.byteLength });
  res.end(body);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw new ApiError(413, `the body is larger than ${MAX_BODY_BYTES} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, `the body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('application/json')) throw new ApiError(415, 'send the body as application/json');
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new ApiError(400, 'the body is not valid JSON');
  }
}
