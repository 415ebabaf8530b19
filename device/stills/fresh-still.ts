import { SnapshotError, type Snapshot } from '../snapshot-requests.js';

/** Takes one still; stops (and rejects) when `signal` aborts. */
export type Capture = (signal: AbortSignal) => Promise<Snapshot>;

const bytesOf = (s: Snapshot): number => Math.floor((s.jpegBase64.length * 3) / 4);

/**
 * Rate-limits stills: every dashboard open on a live box asks it for one, and
 * a camera or a pipeline is not asked again within `minIntervalMs`: a second
 * ask gets the same picture, and asks while one is being taken share it.
 * `cancel` stops the one being taken (an idle camera's tool must let go of
 * the camera when the box goes live) and forgets the last.
 */
export class FreshStill {
  private last: { at: number; still: Snapshot } | null = null;
  private busy: { done: Promise<Snapshot>; abort: AbortController; generation: number } | null = null;
  /** Bumped by forget(): a still begun before it is not kept. */
  private generation = 0;

  constructor(
    private readonly minIntervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async take(maxBytes: number, capture: Capture): Promise<Snapshot> {
    const last = this.last;
    if (last && this.now() - last.at < this.minIntervalMs && bytesOf(last.still) <= maxBytes) return last.still;
    if (this.busy?.generation === this.generation) {
      const shared = await this.busy.done;
      if (bytesOf(shared) <= maxBytes) return shared;
    }
    return this.start(capture);
  }

  /** The picture has changed: the next ask takes a new still. */
  forget(): void {
    this.last = null;
    this.generation++;
  }

  /** Resolves once the still being taken has stopped (its tool has exited). */
  cancel(reason: string): Promise<void> {
    this.forget();
    const busy = this.busy;
    busy?.abort.abort(new SnapshotError(reason));
    this.busy = null;
    return busy ? busy.done.then(
        () => undefined,
        () => undefined,
      ) : Promise.resolve();
  }

  private start(capture: Capture): Promise<Snapshot> {
    const abort = new AbortController();
    const generation = this.generation;
    const done = capture(abort.signal).then(
      (still) => {
        if (abort.signal.aborted) throw abort.signal.reason;
        if (generation === this.generation) this.last = { at: this.now(), still };
        return still;
      },
      (err: unknown) => {
        throw abort.signal.aborted ? abort.signal.reason : err;
      },
    );
    const busy = { done, abort, generation };
    this.busy = busy;
    const clear = (): void => {
      if (this.busy === busy) this.busy = null;
    };
    done.then(clear, clear);
    return done;
  }
}
