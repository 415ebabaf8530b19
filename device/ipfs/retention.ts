/**
 * What the box keeps pinned, oldest first, and the pure plan that keeps it
 * under ROOMCAST_IPFS_KEEP. A live segment is pinned on its own until its
 * talk's VOD (a directory that links them all) is pinned instead.
 */
export interface PinEntry {
  cid: string;
  bytes: number;
  stream: string;
  kind: 'segment' | 'vod';
}

/**
 * The newest segments of the talk going on are never unpinned: the fleet may
 * still be fetching them for the live playlist.
 */
export const KEEP_LIVE_SEGMENTS = 10;

/**
 * Which pins to drop so that the rest fits in `keepBytes`: finished talks
 * (their VODs) first, oldest first, since the fleet holds its own copy of
 * them; then the oldest segments of the talk going on.
 */
export function planRetention(pins: readonly PinEntry[], keepBytes: number, liveStream: string | null): { unpin: PinEntry[]; keep: PinEntry[] } {
  let total = pins.reduce((sum, p) => sum + p.bytes, 0);
  if (total <= keepBytes) return { unpin: [], keep: [...pins] };
  const live = pins.filter((p) => p.kind === 'segment' && p.stream === liveStream);
  const protectedLive = new Set(live.slice(-KEEP_LIVE_SEGMENTS));
  const candidates = [...pins.filter((p) => p.kind === 'vod'), ...pins.filter((p) => p.kind === 'segment' && !protectedLive.has(p))];
  const unpin = new Set<PinEntry>();
  for (const p of candidates) {
    if (total <= keepBytes) break;
    unpin.add(p);
    total -= p.bytes;
  }
  return { unpin: pins.filter((p) => unpin.has(p)), keep: pins.filter((p) => !unpin.has(p)) };
}

/** A talk ended and its VOD is pinned: its segments' own pins give way to the VOD's. */
export function replaceWithVod(pins: readonly PinEntry[], stream: string, vodCid: string): { unpin: PinEntry[]; keep: PinEntry[] } {
  const segments = pins.filter((p) => p.kind === 'segment' && p.stream === stream);
  const bytes = segments.reduce((sum, p) => sum + p.bytes, 0);
  return { unpin: segments, keep: [...pins.filter((p) => !segments.includes(p)), { cid: vodCid, bytes, stream, kind: 'vod' }] };
}
