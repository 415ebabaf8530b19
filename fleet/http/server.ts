import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../common/log.js';
import { ApiError } from './errors.js';
import type { EventStream, Method, Router } from './router.js';
import { cookieValue, SESSION_COOKIE } from './sessions.js';

const MAX_BODY_BYTES = 64 * 1024;

/**
 * Serves a non-API path (the dashboard, /live/ and /watch/): true when it
 * answered. Each feature brings its own; they are asked in turn.
 */
export type FallbackHandler = (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>;
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
    /** Serve non-API paths; none that answers means 404. */
    private readonly fallbacks: readonly FallbackHandler[] = [],
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
      if (!url.pathname.startsWith('/api/')) for (const fallback of this.fallbacks) if (await fallback(req, res)) return;
      const method = req.method ?? 'GET';
      if (!METHODS.has(method)) throw new ApiError(405, `${method} is not allowed`);
      const route = this.router.match(method, url.pathname);
      const body = await readJson(req);
      const auth = req.headers.authorization;
      const bearer = auth !== undefined && /^Bearer [^\s]+$/.test(auth) ? auth.slice(7) : null;
      const csrf = req.headers['x-csrf-token'];
      const answer = await route.handler({
        method: method as Method,
        params: route.params,
        query: url.searchParams,
        body,
        bearer,
        session: cookieValue(req.headers.cookie, SESSION_COOKIE),
        csrf: typeof csrf === 'string' ? csrf : null,
        remote: req.socket.remoteAddress ?? 'unknown',
      });
      if (answer.events) streamEvents(req, res, answer.events);
      else if (answer.body instanceof Uint8Array) sendBytes(res, answer.status, answer.body, answer.headers ?? {});
      else send(res, answer.status, answer.body, answer.headers);
    } catch (err) {
      if (err instanceof ApiError) {
        send(res, err.status, err.details ? { error: err.message, details: err.details } : { error: err.message }, err.headers);
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

function send(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendBytes(res: ServerResponse, status: number, body: Uint8Array, headers: Readonly<Record<string, string>>): void {
  res.writeHead(status, { 'content-type': 'application/octet-stream', 'cache-control': 'no-store', ...headers, 'content-length': body.byteLength });
  res.end(body);
}

/** Keeps the response open and writes events; a comment every 15 s keeps proxies from closing it. */
function streamEvents(req: IncomingMessage, res: ServerResponse, events: EventStream): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.write(': roomcast\n\n');
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
  const closed = new Promise<void>((resolve) => {
    const done = (): void => {
      clearInterval(keepAlive);
      resolve();
    };
    req.once('close', done);
    res.once('close', done);
  });
  events((event, data) => {
    if (!res.writableEnded) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }, closed);
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
