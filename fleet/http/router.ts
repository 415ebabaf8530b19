import { ApiError, notFound } from './errors.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface Request {
  method: Method;
  params: Readonly<Record<string, string>>;
  query: URLSearchParams;
  /** The parsed JSON body (undefined without one). */
  body: unknown;
  bearer: string | null;
}

export interface Response {
  status: number;
  /** Sent as JSON, or as it is when bytes (with their content-type in `headers`). */
  body: unknown;
  headers?: Readonly<Record<string, string>>;
}

export type Handler = (req: Request) => Promise<Response>;

interface Route {
  method: Method;
  parts: string[];
  handler: Handler;
}

/** Paths like /api/devices/:id; a segment starting with ":" captures one level. */
export class Router {
  private readonly routes: Route[] = [];

  add(method: Method, path: string, handler: Handler): this {
    this.routes.push({ method, parts: path.split('/').filter((p) => p !== ''), handler });
    return this;
  }

  /** Every route as "METHOD /path/{param}" (OpenAPI's spelling), for checking the API description. */
  get described(): string[] {
    return this.routes.map((r) => `${r.method} /${r.parts.map((p) => (p.startsWith(':') ? `{${p.slice(1)}}` : p)).join('/')}`);
  }

  /** The handler and its parameters, or an ApiError (404 for an unknown path, 405 for a known path with another method). */
  match(method: string, path: string): { handler: Handler; params: Record<string, string>; method: Method } {
    const parts = path.split('/').filter((p) => p !== '');
    let pathKnown = false;
    for (const route of this.routes) {
      const params = capture(route.parts, parts);
      if (!params) continue;
      pathKnown = true;
      if (route.method === method) return { handler: route.handler, params, method: route.method };
    }
    if (pathKnown) throw new ApiError(405, `${method} is not allowed on ${path}`);
    throw notFound(`no such path: ${path}`);
  }
}

function capture(pattern: string[], parts: string[]): Record<string, string> | null {
  if (pattern.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (const [i, p] of pattern.entries()) {
    const part = parts[i] ?? '';
    if (p.startsWith(':')) {
      let value: string;
      try {
        value = decodeURIComponent(part);
      } catch {
        return null;
      }
      params[p.slice(1)] = value;
    } else if (p !== part) return null;
  }
  return params;
}
