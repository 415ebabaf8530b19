import { renderLivePlaylist, VOD_PLAYLIST_NAME } from '../../common/hls-playlist.js';
import type { HeliaNode } from '../../common/ipfs/helia-node.js';
import type { Logger } from '../../common/log.js';
import type { DeviceId, IpfsEnded, IpfsNodeInfo, IpfsSegment } from '../../common/protocol.js';
import { EMPTY_WINDOW, endWindow, listSegment, skipSegment, toPlaylist, type LiveWindow } from './live-window.js';

export interface LiveStreamsDeps {
  /** The fleet's own IPFS node; null when ROOMCAST_FLEET_IPFS=false (then a public gateway must serve). */
  node: HeliaNode | null;
  /** A public path gateway's origin for segment and VOD URIs; null: the fleet's own, under /live/<id>/ipfs/. */
  gateway: string | null;
  window: number;
  logger: Logger;
  /** The VOD a box last reported (state.ipfs.vodCid), for talks that ended before this process started. */
  reportedVod: (id: DeviceId) => Promise<string | null>;
  /** How long a segment may take to fetch before it is skipped. */
  fetchTimeoutMs?: number;
  now?: () => number;
}

/** What the watch page shows: live, ended (the VOD plays), or not started. */
export interface WatchStatus {
  state: 'live' | 'ended' | 'not-started';
  /** Relative to /live/<id>/ when served by the fleet, else on the gateway. */
  playlist: string | null;
  vodCid: string | null;
}

interface BoxLive {
  node: IpfsNodeInfo | null;
  window: LiveWindow;
  /** Segments are listed in the order the box cut them, each once its fetch ended. */
  listing: Promise<void>;
  /** CIDs this box announced: the only ones the fleet's gateway serves under its path. */
  known: Set<string>;
  vodCid: string | null;
}

const FETCH_TIMEOUT_MS = 8000;
const PIN_TIMEOUT_MS = 120_000;

/**
 * The fleet's side of IPFS live streaming. A segment the box announces is
 * fetched by the fleet's node over libp2p from the box (dialled at the
 * addresses it announced) and listed only once all of it is here, so a
 * player is never sent to a segment that cannot be had; the playlist is
 * rendered whole from one snapshot on each request, so it is never seen
 * half-written. No IPNS on the live path: a playlist changes every 2 s.
 */
export class LiveStreams {
  private readonly boxes = new Map<DeviceId, BoxLive>();
  private readonly log: Logger;
  private readonly now: () => number;
  private stopped = false;
  private readonly aborts = new AbortController();

  constructor(private readonly deps: LiveStreamsDeps) {
    this.log = deps.logger;
    this.now = deps.now ?? Date.now;
  }

  private box(id: DeviceId): BoxLive {
    let b = this.boxes.get(id);
    if (!b) {
      b = { node: null, window: EMPTY_WINDOW, listing: Promise.resolve(), known: new Set(), vodCid: null };
      this.boxes.set(id, b);
    }
    return b;
  }

  /** Whether a box announced this peer id as its node's: only those may connect to the fleet's node. */
  knowsPeer(peerId: string): boolean {
    return [...this.boxes.values()].some((b) => b.node?.peerId === peerId);
  }

  onNode(id: DeviceId, info: IpfsNodeInfo): void {
    this.box(id).node = info;
    this.log.info('live: box IPFS node', { deviceId: id, peerId: info.peerId, multiaddrs: info.multiaddrs });
  }

  onSegment(id: DeviceId, seg: IpfsSegment): void {
    const b = this.box(id);
    // A box sends its newest segments again when it reconnects (for a fleet that restarted): once is enough.
    if (b.known.has(seg.cid)) return;
    b.known.add(seg.cid);
    const fetched = this.fetch(id, b, seg.cid);
    b.listing = b.listing.then(async () => {
      const ok = await fetched;
      if (this.stopped) return;
      if (!ok) {
        b.window = skipSegment(b.window);
        return;
      }
      b.window = listSegment(b.window, { stream: seg.stream, sequence: seg.sequence, cid: seg.cid, uri: this.segmentUri(seg.cid), durationSeconds: seg.durationSeconds, discontinuity: seg.discontinuity }, this.deps.window);
      this.log.debug('live: segment listed', { deviceId: id, stream: seg.stream, sequence: seg.sequence, cid: seg.cid, closedAt: seg.at, msSinceClosed: this.now() - Date.parse(seg.at) });
    });
  }

  onEnded(id: DeviceId, e: IpfsEnded): void {
    const b = this.box(id);
    if (e.vodCid) b.known.add(e.vodCid);
    b.listing = b.listing.then(() => {
      b.window = endWindow(b.window, e.stream);
      if (e.vodCid) {
        b.vodCid = e.vodCid;
        this.pinVod(id, b, e.vodCid);
      }
    });
  }

  /** Fetches the whole segment into the fleet's store; true once it is all here. */
  private async fetch(id: DeviceId, b: BoxLive, cid: string): Promise<boolean> {
    const node = this.deps.node;
    // With only a public gateway, the fleet cannot check; the segment is listed as announced.
    if (!node) return true;
    const signal = AbortSignal.any([this.aborts.signal, AbortSignal.timeout(this.deps.fetchTimeoutMs ?? FETCH_TIMEOUT_MS)]);
    try {
      this.reach(id, b, node, signal);
      for await (const chunk of node.cat(cid, { signal })) void chunk;
      return true;
    } catch (err) {
      if (!this.stopped) this.log.warn('live: a segment could not be fetched from the box; skipped', { deviceId: id, cid, error: err instanceof Error ? err.message : String(err) });
      return false;
    }
  }

  /**
   * Dials the box at the addresses it announced unless it is connected
   * already (perhaps it dialled the fleet: ROOMCAST_FLEET_IPFS_LISTEN). Not
   * awaited: bitswap asks a peer for what is wanted as soon as it connects,
   * whichever side dialled, so a dial that cannot succeed (a box behind NAT)
   * holds nothing up.
   */
  private reach(id: DeviceId, b: BoxLive, node: HeliaNode, signal: AbortSignal): void {
    if (!b.node || b.node.multiaddrs.length === 0) return;
    node.connect(b.node.peerId, b.node.multiaddrs, signal).catch((err: unknown) => {
      if (!this.stopped) this.log.debug('live: the box could not be dialled', { deviceId: id, error: err instanceof Error ? err.message : String(err) });
    });
  }

  private pinVod(id: DeviceId, b: BoxLive, cid: string): void {
    const node = this.deps.node;
    if (!node) return;
    const signal = AbortSignal.any([this.aborts.signal, AbortSignal.timeout(PIN_TIMEOUT_MS)]);
    // In the background: the segments are mostly here already; the rest come from the box.
    void (async () => {
      this.reach(id, b, node, signal);
      await node.pin(cid, signal);
      this.log.info('live: talk pinned', { deviceId: id, vodCid: cid });
    })().catch((err: unknown) => {
      if (!this.stopped) this.log.warn('live: the talk could not be pinned', { deviceId: id, vodCid: cid, error: err instanceof Error ? err.message : String(err) });
    });
  }

  /**
   * Players check a segment URI's extension (ffmpeg 5.1.9's hls demuxer
   * refuses one without an allowed one, and VLC and ffplay use it), so the
   * fleet names segments <cid>.ts. A public gateway takes ?filename= only,
   * which satisfies browsers (hls.js) but not ffmpeg's check (docs/ipfs.md).
   */
  private segmentUri(cid: string): string {
    return this.deps.gateway ? `${this.deps.gateway}/ipfs/${cid}?filename=${cid}.ts` : `segments/${cid}.ts`;
  }

  /** The live playlist, or null when the box has published nothing since this process started. */
  playlist(id: DeviceId): string | null {
    const b = this.boxes.get(id);
    if (!b || b.window.stream === null) return null;
    return renderLivePlaylist(toPlaylist(b.window), 1);
  }

  async status(id: DeviceId): Promise<WatchStatus> {
    const b = this.boxes.get(id);
    if (b && b.window.stream !== null && !b.window.ended) return { state: 'live', playlist: 'index.m3u8', vodCid: b.vodCid };
    let vodCid = b?.vodCid ?? null;
    if (vodCid === null) {
      vodCid = await this.deps.reportedVod(id);
      if (vodCid !== null) this.box(id).known.add(vodCid);
    }
    if (vodCid === null) return { state: b?.window.ended ? 'ended' : 'not-started', playlist: null, vodCid: null };
    return { state: 'ended', playlist: this.deps.gateway ? `${this.deps.gateway}/ipfs/${vodCid}/${VOD_PLAYLIST_NAME}` : `ipfs/${vodCid}/${VOD_PLAYLIST_NAME}`, vodCid };
  }

  /** A file this box published (a segment, or a file of its VOD directory), or null for any other CID. */
  content(id: DeviceId, cid: string, path: string | null, signal: AbortSignal): AsyncIterable<Uint8Array> | null {
    const b = this.boxes.get(id);
    const node = this.deps.node;
    if (!node || !b?.known.has(cid)) return null;
    return node.cat(cid, { signal, ...(path ? { path } : {}) });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.aborts.abort();
    await Promise.all([...this.boxes.values()].map((b) => b.listing));
  }
}
