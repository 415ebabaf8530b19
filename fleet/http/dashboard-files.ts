import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `npm run build` puts the dashboard (fleet/dashboard/, compiled, with its static files). */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../dashboard/', import.meta.url));

/**
 * Only this origin's scripts, styles and connections; pictures also as data:
 * URLs (snapshots arrive as base64, the favicon badge is drawn as one). No
 * framing, no plugins, no inline code.
 */
export const CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

interface DashboardFile {
  body: Buffer;
  type: string;
  etag: string;
}

/** The dashboard's files, read once at start (a few tens of kilobytes). Source maps and unknown types are not served. */
export async function loadDashboard(dir: string = DASHBOARD_DIR): Promise<Map<string, DashboardFile>> {
  const files = new Map<string, DashboardFile>();
  for (const name of await readdir(dir)) {
    const type = TYPES[extname(name)];
    if (type === undefined) continue;
    const body = await readFile(join(dir, name));
    files.set(`/${name}`, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` });
  }
  return files;
}

/** The HTTP server's fallback for non-API paths: true when it answered. */
export function serveDashboard(files: ReadonlyMap<string, DashboardFile>): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const path = new URL(req.url ?? '/', 'http://fleet.invalid').pathname;
    const file = files.get(path === '/' ? '/index.html' : path);
    if (!file) return false;
    const headers = {
      'content-type': file.type,
      // Names carry no hash: the browser asks again each time, and gets 304 while nothing changed.
      'cache-control': 'no-cache',
      etag: file.etag,
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
    };
    if (req.headers['if-none-match'] === file.etag) {
      res.writeHead(304, headers);
      res.end();
      return true;
    }
    res.writeHead(200, { ...headers, 'content-length': file.body.byteLength });
    res.end(req.method === 'HEAD' ? undefined : file.body);
    return true;
  };
}
