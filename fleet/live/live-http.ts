import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Logger } from '../../common/log.js';
import { parseDeviceId } from '../../common/protocol.js';
import type { FallbackHandler } from '../http/server.js';
import type { LiveStreams } from './live-streams.js';
import { PLAYER_JS, watchPage } from './watch-page.js';

/** hls.js without subtitles, alternate audio and DRM (390 kB instead of 620 kB): none of them is used. */
async function loadHlsJs(): Promise<Buffer> {
  const pkg = createRequire(import.meta.url).resolve('hls.js/package.json');
  return readFile(join(pkg, '..', 'dist', 'hls.light.min.js'));
}

const CID = /^(Qm[1-9A-HJ-NP-Za-km-z]{44}|b[a-z2-7]{50,100})$/;
/** A name inside a VOD directory: index.m3u8, a folder of segments, or a segment in it. */
const VOD_FILE = /^[A-Za-z0-9_.-]{1,64}$/;

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, cache = 'no-cache'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': cache, 'content-length': Buffer.byteLength(body), 'access-control-allow-origin': '*' });
  res.end(body);
}

function contentType(path: string | null): string {
  return path?.endsWith('.m3u8') ? 'application/vnd.apple.mpegurl' : 'video/mp2t';
}

/**
 * /live/<deviceId>/index.m3u8 (the live playlist), /live/<deviceId>/status
 * (what the watch page shows), /live/<deviceId>/ipfs/<cid>[/<folder>][/<file>] (the
 * fleet's own gateway, for that box's CIDs only; a VOD is a directory),
 * /live/<deviceId>/segments/<cid>.ts (the same, named as players want a
 * segment), and /watch/<deviceId> with its two scripts. Public, read-only,
 * no login: a stream is public.
 */
export async function liveHandler(live: LiveStreams, log: Logger): Promise<FallbackHandler> {
  const hlsJs = await loadHlsJs();
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = new URL(req.url ?? '/', 'http://fleet.invalid');
    const parts = url.pathname.split('/').slice(1);
    const [area, rawId, what, cid, file, ...rest] = parts;
    if ((area !== 'live' && area !== 'watch') || req.method !== 'GET') return false;
    if (area === 'watch' && parts.length === 2) {
      if (rawId === 'hls.js') send(res, 200, 'text/javascript; charset=utf-8', hlsJs, 'public, max-age=86400');
      else if (rawId === 'player.js') send(res, 200, 'text/javascript; charset=utf-8', PLAYER_JS, 'public, max-age=300');
      else if (parseDeviceId(rawId) !== null) send(res, 200, 'text/html; charset=utf-8', watchPage(rawId ?? ''));
      else return false;
      return true;
    }
    const id = parseDeviceId(rawId);
    if (area !== 'live' || id === null) return false;
    if (what === 'index.m3u8' && parts.length === 3) {
      const playlist = live.playlist(id);
      if (playlist === null) send(res, 404, 'text/plain; charset=utf-8', 'no live stream from this box\n');
      else send(res, 200, 'application/vnd.apple.mpegurl', playlist);
      return true;
    }
    if (what === 'status' && parts.length === 3) {
      send(res, 200, 'application/json; charset=utf-8', JSON.stringify(await live.status(id)));
      return true;
    }
    const path = [file, ...rest].filter((p) => p !== undefined);
    if (what === 'ipfs' && cid !== undefined && CID.test(cid) && path.length <= 2 && path.every((p) => VOD_FILE.test(p) && p !== '..' && p !== '.')) {
      await serveContent(live, id, cid, path.length > 0 ? path.join('/') : null, req, res, log);
      return true;
    }
    const segment = what === 'segments' && parts.length === 4 ? /^(.+)\.ts$/.exec(cid ?? '')?.[1] : undefined;
    if (segment !== undefined && CID.test(segment)) {
      await serveContent(live, id, segment, null, req, res, log);
      return true;
    }
    return false;
  };
}

async function serveContent(live: LiveStreams, id: NonNullable<ReturnType<typeof parseDeviceId>>, cid: string, file: string | null, req: IncomingMessage, res: ServerResponse, log: Logger): Promise<void> {
  const aborts = new AbortController();
  req.once('close', () => aborts.abort());
  const content = live.content(id, cid, file, AbortSignal.any([aborts.signal, AbortSignal.timeout(20_000)]));
  if (!content) {
    send(res, 404, 'text/plain; charset=utf-8', 'not a CID this box published\n');
    return;
  }
  try {
    // Read whole before answering: a failed fetch becomes a 504, not a cut-off 200.
    const chunks: Uint8Array[] = [];
    for await (const chunk of content) chunks.push(chunk);
    // Content addressed: the bytes behind a CID never change.
    send(res, 200, contentType(file), Buffer.concat(chunks), 'public, max-age=31536000, immutable');
  } catch (err) {
    if (aborts.signal.aborted) return;
    log.warn('live: gateway fetch failed', { deviceId: id, cid, error: err instanceof Error ? err.message : String(err) });
    send(res, 504, 'text/plain; charset=utf-8', 'the content could not be fetched in time\n');
  }
}
