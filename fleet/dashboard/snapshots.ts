import type { Api } from './api.js';

const EVERY_MS = 15_000;
/** A box that cannot take snapshots (an older release, no camera) is asked again only this rarely. */
const AFTER_REFUSAL_MS = 5 * 60_000;

/**
 * A recent picture of each live box the page shows: one snapshot command per
 * box every 15 s while the page is visible. A box that answers ok:false, or
 * does not answer, keeps its last picture (or none) without any error shown.
 */
export class Snapshots {
  readonly pictures = new Map<string, { src: string; at: number }>();
  /** Boxes that answered the last snapshot command ok:false (no camera picture to give, or an older release). */
  readonly refused = new Set<string>();
  private wanted = new Set<string>();
  private readonly nextAt = new Map<string, number>();
  private readonly busy = new Set<string>();
  private timer: number | null = null;

  constructor(
    private readonly api: Api,
    private readonly changed: (id: string) => void,
  ) {}

  /** The boxes to keep pictures of now (live ones on screen). */
  want(ids: Iterable<string>): void {
    this.wanted = new Set(ids);
    this.tick();
  }

  start(): void {
    this.timer ??= window.setInterval(() => this.tick(), 1000);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private tick(): void {
    if (document.visibilityState !== 'visible') return;
    const now = Date.now();
    for (const id of this.wanted) {
      if (this.busy.has(id) || (this.nextAt.get(id) ?? 0) > now) continue;
      this.busy.add(id);
      void this.take(id).finally(() => this.busy.delete(id));
    }
  }

  private async take(id: string): Promise<void> {
    let wait = EVERY_MS;
    try {
      const { response } = await this.api.command(id, 'snapshot');
      const jpeg = response.ok ? response.result?.['jpegBase64'] : undefined;
      if (typeof jpeg === 'string' && jpeg !== '') {
        this.pictures.set(id, { src: `data:image/jpeg;base64,${jpeg}`, at: Date.now() });
        this.refused.delete(id);
      } else {
        this.refused.add(id);
        wait = AFTER_REFUSAL_MS;
      }
      this.changed(id);
    } catch {
      // Not answered in time, or the box went away: quietly try later.
      wait = EVERY_MS * 2;
    }
    this.nextAt.set(id, Date.now() + wait);
  }
}
