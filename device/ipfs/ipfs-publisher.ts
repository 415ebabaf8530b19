import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Destination } from '../../common/destination.js';
import { renderVodPlaylist, VOD_PLAYLIST_NAME, vodSegmentName } from '../../common/hls-playlist.js';
import type { IpfsNode } from '../../common/ipfs/ipfs-node.js';
import type { Logger } from '../../common/log.js';
import type { IpfsAnnouncement } from '../../common/protocol.js';
import { reportRetry } from '../destination-relay.js';
import type { FromHost } from '../pipeline/host-messages.js';
import { HostProcess } from '../pipeline/host-process.js';
import { renderIpfsSegmenter } from '../pipeline/render.js';
import type { DestinationState, IpfsState } from '../state.js';
import { loadLedger, saveLedger } from './pin-ledger.js';
import { planRetention, replaceWithVod, type PinEntry } from './retention.js';


export interface IpfsPublisherDeps {
  destination: Destination;
  /** The box's IPFS node, opened by the agent; it outlives talks (the fleet fetches VODs after them). */
  node: () => Promise<IpfsNode>;
  /** ROOMCAST_DATA_DIR/ipfs: the segments being written, and the pin ledger. */
  ipfsDir: string;
  /** ROOMCAST_KEYFRAME_SECONDS: one GOP per segment. */
  segmentSeconds: number;
  /** ROOMCAST_IPFS_KEEP. */
  keepBytes: number;
  /** A new talk's id (the agent's session stamp). */
  newStreamId: () => string;
  logger: Logger;
  onChange(patch: Partial<DestinationState>): void;
  onIpfs(patch: Partial<IpfsState>): void;
  announce(a: IpfsAnnouncement): void;
  now?: () => Date;
}

interface TalkSegment {
  sequence: number;
  cid: string;
  bytes: number;
  durationSeconds: number;
  discontinuity: boolean;
}

interface Talk {
  stream: string;
  segments: TalkSegment[];
  bytes: number;
  /** The next segment follows a restart of the segmenter: its timestamps start again. */
  discontinuity: boolean;
  /** Some of its segments were unpinned to keep ROOMCAST_IPFS_KEEP: the box cannot pin its VOD whole. */
  trimmed: boolean;
}

/** A segmenter with no segment for this long (beyond the segment length) is cut and restarted. */
const SEGMENT_GRACE_MS = 10_000;
const SILENT_MS = 5000;
const WATCHDOG_MS = 1000;

/**
 * The ipfs destination: a segmenter host process cuts the core's stream into
 * HLS segments (no second encode); each closed segment is added to the box's
 * IPFS node and announced at once (CID, duration, sequence), then pinned.
 * When the talk stops, its VOD (index.m3u8 and every segment, one directory)
 * is added and pinned in place of the segments, and announced. The segmenter
 * fails alone and is restarted with capped backoff, like a relay.
 */
export class IpfsPublisher {
  readonly destination: Destination;
  private host: HostProcess | null = null;
  private port = 0;
  private wanted = false;
  private talk: Talk | null = null;
  private runs = 0;
  private failures = 0;
  private lastError: string | null = null;
  private readonly opened = new Map<string, number>();
  private lastProgressAt = 0;
  private lastStatsAt = 0;
  private pins: PinEntry[] | null = null;
  private unpinned = 0;
  /** Segments are added one at a time, in the order they closed. */
  private work: Promise<void> = Promise.resolve();
  private retryTimer: NodeJS.Timeout | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private readonly now: () => Date;
  private readonly log: Logger;

  constructor(private readonly deps: IpfsPublisherDeps) {
    this.destination = deps.destination;
    this.now = deps.now ?? (() => new Date());
    this.log = deps.logger.child(deps.destination.id);
  }

  private get segmentDir(): string {
    return join(this.deps.ipfsDir, 'segments');
  }

  /** Starts a talk, or (the core restarted on a new port) restarts the segmenter within the talk going on. */
  start(port: number): void {
    this.port = port;
    this.wanted = true;
    this.failures = 0;
    this.clearRetry();
    if (!this.talk) {
      this.talk = { stream: this.deps.newStreamId(), segments: [], bytes: 0, discontinuity: false, trimmed: false };
      this.deps.onIpfs({ stream: this.talk.stream, segments: 0, lastCid: null });
      this.log.info('ipfs: talk started', { stream: this.talk.stream });
    }
    if (this.host) {
      const old = this.host;
      this.host = null;
      old.kill();
    }
    void this.spawn();
  }

  private async spawn(): Promise<void> {
    const talk = this.talk;
    if (!talk || !this.wanted) return;
    if (this.runs > 0) talk.discontinuity = true;
    const run = this.runs++;
    try {
      await mkdir(this.segmentDir, { recursive: true });
    } catch (err) {
      this.lastError = `cannot create ${this.segmentDir}: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (!this.wanted || this.host) return;
    this.lastProgressAt = this.lastStatsAt = Date.now();
    if (!this.watchdog) this.watchdog = setInterval(() => this.check(), WATCHDOG_MS);
    const host: HostProcess = new HostProcess({
      onMessage: (msg) => this.onMessage(host, msg),
      onExit: (code, signal) => this.onExit(host, code, signal),
    });
    this.host = host;
    this.deps.onChange({ state: 'connecting', retryInMs: null, bitrateKbps: 0 });
    host.start(renderIpfsSegmenter(this.port, { dir: this.segmentDir, filePrefix: `${talk.stream}-r${run}`, segmentSeconds: this.deps.segmentSeconds }), { statsIntervalMs: 1000 });
  }

  private onMessage(host: HostProcess, msg: FromHost): void {
    switch (msg.type) {
      case 'segment-opened':
        this.opened.set(msg.location, msg.runningTimeNs);
        break;
      case 'segment-closed': {
        // After a stop was asked, the last segment still closes: it belongs to the talk.
        const start = this.opened.get(msg.location);
        this.opened.delete(msg.location);
        const durationSeconds = start === undefined ? this.deps.segmentSeconds : Math.max((msg.runningTimeNs - start) / 1e9, 0.001);
        const closedAt = this.now();
        this.work = this.work.then(() => this.publishSegment(msg.location, durationSeconds, closedAt));
        if (host === this.host) this.lastProgressAt = Date.now();
        break;
      }
      case 'stats':
        if (host === this.host) this.lastStatsAt = Date.now();
        break;
      case 'error':
        if (host === this.host) this.lastError = `${msg.element}: ${msg.message}`;
        break;
      case 'warning':
        this.log.warn('ipfs: segmenter warning', { element: msg.element, message: msg.message });
        break;
      case 'playing':
      case 'fanout':
      case 'audio-level':
      case 'source':
      case 'snapshot':
      case 'stopped':
        break;
    }
  }

  private async ledger(): Promise<PinEntry[]> {
    this.pins ??= await loadLedger(this.deps.ipfsDir);
    return this.pins;
  }

  private async publishSegment(location: string, durationSeconds: number, closedAt: Date): Promise<void> {
    const talk = this.talk;
    if (!talk) return;
    try {
      const node = await this.deps.node();
      const { cid, bytes } = await node.addFile(location);
      const segment: TalkSegment = { sequence: talk.segments.length, cid, bytes, durationSeconds, discontinuity: talk.discontinuity };
      talk.segments.push(segment);
      talk.bytes += bytes;
      talk.discontinuity = false;
      // Announced as soon as its blocks are in the store, which is when the box can serve it.
      this.deps.announce({ kind: 'ipfsSegment', value: { stream: talk.stream, ...segment, at: closedAt.toISOString() } });
      this.log.debug('ipfs: segment added', { sequence: segment.sequence, cid, bytes });
      this.failures = 0;
      this.lastError = null;
      this.deps.onChange({ state: this.host ? 'live' : 'idle', bytesSent: talk.bytes, bitrateKbps: Math.round((bytes * 8) / 1000 / durationSeconds), failures: 0, lastError: null });
      await node.pin(cid);
      await rm(location, { force: true });
      const pins = await this.ledger();
      pins.push({ cid, bytes, stream: talk.stream, kind: 'segment' });
      await this.enforceRetention(node, talk.stream);
      this.deps.onIpfs({ segments: talk.segments.length, lastCid: cid, pinnedBytes: this.pinnedBytes(), unpinned: this.unpinned, lastError: null });
    } catch (err) {
      const error = `adding ${location} to IPFS failed: ${err instanceof Error ? err.message : String(err)}`;
      this.log.error('ipfs: segment not published', { error });
      this.deps.onIpfs({ lastError: error });
    }
  }

  private pinnedBytes(): number {
    return (this.pins ?? []).reduce((sum, p) => sum + p.bytes, 0);
  }

  private async enforceRetention(node: IpfsNode, liveStream: string | null): Promise<void> {
    const plan = planRetention(await this.ledger(), this.deps.keepBytes, liveStream);
    await this.unpinAll(node, plan);
  }

  private async unpinAll(node: IpfsNode, plan: { unpin: PinEntry[]; keep: PinEntry[] }): Promise<void> {
    this.pins = plan.keep;
    await saveLedger(this.deps.ipfsDir, plan.keep);
    if (plan.unpin.length === 0) return;
    for (const p of plan.unpin) {
      await node.unpin(p.cid);
      if (p.kind === 'segment' && p.stream === this.talk?.stream) this.talk.trimmed = true;
    }
    this.unpinned += plan.unpin.filter((p) => p.kind === 'segment').length;
    await node.gc();
    this.log.info('ipfs: unpinned to keep ROOMCAST_IPFS_KEEP', { unpinned: plan.unpin.length, pinnedBytes: this.pinnedBytes() });
  }

  /** Adds the talk's VOD (index.m3u8 with EXT-X-ENDLIST, and every segment) as one directory, pins it, announces it. */
  private async finishTalk(talk: Talk): Promise<void> {
    let vodCid: string | null = null;
    try {
      if (talk.segments.length > 0) {
        const node = await this.deps.node();
        const playlist = new TextEncoder().encode(renderVodPlaylist(talk.segments.map((s) => ({ uri: vodSegmentName(s.sequence), durationSeconds: s.durationSeconds, discontinuity: s.discontinuity }))));
        const playlistCid = await node.addBytes(playlist);
        // multiformats and friends are loaded when a talk ends, not on every box's start.
        const { vodDirectoryBlocks } = await import('./vod-directory.js');
        const { top, folders } = await vodDirectoryBlocks([{ name: VOD_PLAYLIST_NAME, cid: playlistCid, bytes: playlist.byteLength }, ...talk.segments.map((s) => ({ name: vodSegmentName(s.sequence), cid: s.cid, bytes: s.bytes }))]);
        // Folders first: the top directory is only there once all it links to is.
        for (const b of [...folders, top]) await node.putBlock(b.cid, b.block);
        vodCid = top.cid;
        if (talk.trimmed) {
          // Its oldest segments are gone from the box: pinning would fetch them back. The fleet keeps the whole talk.
          this.log.warn('ipfs: the talk outgrew ROOMCAST_IPFS_KEEP; its VOD is not pinned on the box', { vodCid });
        } else {
          await node.pin(vodCid);
          await this.unpinAll(node, replaceWithVod(await this.ledger(), talk.stream, vodCid));
          await this.enforceRetention(node, null);
        }
        this.log.info('ipfs: talk ended, VOD added', { stream: talk.stream, segments: talk.segments.length, vodCid });
      }
    } catch (err) {
      this.log.error('ipfs: the VOD could not be added', { error: err instanceof Error ? err.message : String(err) });
    }
    this.deps.announce({ kind: 'ipfsEnded', value: { stream: talk.stream, segments: talk.segments.length, vodCid, at: this.now().toISOString() } });
    this.deps.onIpfs({ stream: null, ...(vodCid ? { vodCid, vodStream: talk.stream } : {}), pinnedBytes: this.pinnedBytes(), unpinned: this.unpinned });
  }

  private check(): void {
    const host = this.host;
    if (!host || !this.wanted) return;
    const now = Date.now();
    if (now - this.lastProgressAt > this.deps.segmentSeconds * 1000 + SEGMENT_GRACE_MS) this.cut(host, `no segment for ${Math.round((now - this.lastProgressAt) / 1000)} s`);
    else if (now - this.lastStatsAt > SILENT_MS) this.cut(host, `the segmenter stopped reporting for ${Math.round((now - this.lastStatsAt) / 1000)} s`);
  }

  private cut(host: HostProcess, reason: string): void {
    this.lastError = reason;
    this.log.warn('ipfs: segmenter cut', { reason });
    host.kill();
  }

  private onExit(host: HostProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (host !== this.host) return;
    this.host = null;
    if (!this.wanted) return;
    this.failures += 1;
    const delay = reportRetry(this.log, this.deps, this.failures, this.lastError ?? `segmenter exited (code ${code}, signal ${signal})`);
    this.lastError = null;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.spawn();
    }, delay);
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  /** Ends the talk: the segmenter closes its last segment, every segment is added, then the VOD. */
  async stop(deadlineMs: number): Promise<void> {
    this.wanted = false;
    this.clearRetry();
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
    const host = this.host;
    if (host) await host.stop(Math.max(deadlineMs - 1000, 500));
    this.host = null;
    await this.work;
    const talk = this.talk;
    this.talk = null;
    if (talk) await this.finishTalk(talk);
    this.deps.onChange({ state: 'idle', bitrateKbps: 0, retryInMs: null });
  }
}
