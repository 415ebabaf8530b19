import { existsSync } from 'node:fs';
import type { BusMessage, Pipeline } from 'gstreamer-superficial';
import { backoffDelay } from '../backoff.js';
import type { SourceFeed } from './host-messages.js';
import { FLASH_COLOURS, SOURCE_NAMES, type SourcePipeline } from './render.js';

/** A camera that delivers no frame for this long is lost (a hung driver, an HDMI dongle without signal). */
export const FRAME_STALL_MS = 2000;
/** How often the camera's frame counter is read: a lost camera shows the slate within this plus FRAME_STALL_MS. */
const WATCH_MS = 250;
/** Sources come back quickly once they can: retries are capped lower than a destination's. */
const SOURCE_RETRY_CAP_MS = 5000;
/** While a source's device node is missing (unplugged), it is looked for this often, without building a pipeline. */
const PRESENCE_POLL_MS = 500;

export interface SourceEvents {
  /** A feed failed (`ok` false, with the reason) or delivers again (`ok` true). */
  onFeed(feed: SourceFeed, ok: boolean, reason: string | null): void;
  /** The camera's frame counter: frames in, frames dropped above the frame rate. */
  onFrames?(counts: { in: number; dropped: number }): void;
}

/**
 * Runs one source pipeline inside the core host and keeps it running: a
 * GStreamer error, or a camera that stops delivering frames, tears it down,
 * reports its feeds failed, and rebuilds it with capped backoff. Every
 * failure takes this one path, injected faults included.
 * gstreamer-superficial leaks each pipeline it builds (FIELD.md), so a source
 * whose device node is gone is only looked for, not rebuilt, until it is back.
 */
export class SourceRunner {
  private pipeline: Pipeline | null = null;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private watchTimer: NodeJS.Timeout | null = null;
  private lastFrames = { in: -1, at: 0 };
  /** What was last reported of each feed. */
  private reported: Record<SourceFeed, 'ok' | 'failed' | null> = { video: null, audio: null };
  private stopped = false;

  constructor(
    private readonly gst: { Pipeline: new (launch: string) => Pipeline },
    private readonly spec: SourcePipeline,
    private readonly events: SourceEvents,
  ) {}

  private get feeds(): SourceFeed[] {
    return (['video', 'audio'] as const).filter((f) => this.spec.feeds[f]);
  }

  start(): void {
    if (this.stopped) return;
    const missing = this.spec.requires.find((path) => !existsSync(path));
    if (missing) {
      this.fail(`${missing} is not there (unplugged?)`, PRESENCE_POLL_MS);
      return;
    }
    let p: Pipeline;
    try {
      p = new this.gst.Pipeline(this.spec.launch);
    } catch (err) {
      this.fail(err instanceof Error ? err.message : String(err));
      return;
    }
    this.pipeline = p;
    this.lastFrames = { in: -1, at: Date.now() };
    p.pollBus((msg) => this.onBus(p, msg));
    p.play();
    if (this.spec.feeds.video) this.watchTimer = setInterval(() => this.watchFrames(), WATCH_MS);
  }

  private onBus(p: Pipeline, msg: BusMessage): void {
    if (p !== this.pipeline) return;
    switch (msg.type) {
      case 'error': {
        // Streaming errors say why only in their debug text: "... reason not-negotiated (-4)".
        const why = typeof msg['debug'] === 'string' ? /reason ([a-z-]+)/.exec(msg['debug'])?.[1] : undefined;
        this.fail(`${msg._src_element_name}: ${msg.message ?? 'error'}${why ? ` (${why})` : ''}`);
        break;
      }
      case 'eos':
        this.fail('the source ended');
        break;
      case 'state-changed':
        // Audio is good once it plays (ALSA fails at once when it cannot); video once frames arrive.
        if (msg._src_element_name.startsWith('pipeline') && msg['new-state'] === 'GST_STATE_PLAYING') this.markHealthy('audio');
        break;
      default:
        break;
    }
  }

  private markHealthy(feed: SourceFeed): void {
    if (!this.spec.feeds[feed] || this.reported[feed] === 'ok') return;
    this.reported[feed] = 'ok';
    if (feed === 'video' || !this.spec.feeds.video) this.failures = 0;
    this.events.onFeed(feed, true, null);
  }

  private watchFrames(): void {
    const counter = this.pipeline?.findChild(SOURCE_NAMES.videoCounter);
    if (!counter) return;
    const frames = Number(counter['in']);
    const now = Date.now();
    if (frames !== this.lastFrames.in) {
      this.lastFrames = { in: frames, at: now };
      if (frames > 0) this.markHealthy('video');
      this.events.onFrames?.({ in: frames, dropped: Number(counter['drop']) });
    } else if (now - this.lastFrames.at >= FRAME_STALL_MS) {
      this.fail(`no frame from the camera for ${Math.round((now - this.lastFrames.at) / 100) / 10} s`);
    }
  }

  /**
   * Makes the source fail for real: its fault capsfilter is given caps no
   * source produces, so the source element stops with a not-negotiated
   * streaming error on the bus, as a camera does when its driver gives up.
   */
  injectFault(feed: SourceFeed): boolean {
    if (!this.spec.feeds[feed]) return false;
    const filter = this.pipeline?.findChild(feed === 'video' ? SOURCE_NAMES.videoFault : SOURCE_NAMES.audioFault);
    if (!filter) return false;
    filter['caps'] = 'application/x-roomcast-fault';
    return true;
  }

  /** The flash test pattern, white or black (a benchmark flips it to time a frame through to the ingest). */
  setFlash(on: boolean): boolean {
    const src = this.pipeline?.findChild(SOURCE_NAMES.testVideo);
    if (!src) return false;
    src['foreground-color'] = on ? FLASH_COLOURS.on : FLASH_COLOURS.off;
    return true;
  }

  private fail(reason: string, delayMs?: number): void {
    this.teardown();
    if (this.stopped) return;
    for (const feed of this.feeds) {
      if (this.reported[feed] !== 'failed') this.events.onFeed(feed, false, reason);
      this.reported[feed] = 'failed';
    }
    if (delayMs === undefined) this.failures += 1;
    const delay = delayMs ?? Math.min(backoffDelay(this.failures), SOURCE_RETRY_CAP_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.start();
    }, delay);
  }

  private teardown(): void {
    if (this.watchTimer) clearInterval(this.watchTimer);
    this.watchTimer = null;
    const p = this.pipeline;
    this.pipeline = null;
    // NULL ends the bus poll too (it holds a libuv worker otherwise).
    p?.stop();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.teardown();
  }
}
