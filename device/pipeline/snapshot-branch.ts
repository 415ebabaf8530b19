import type { AppSink, GstElement, Pipeline } from 'gstreamer-superficial';
import { snapshotCaps, SNAPSHOT_NAMES } from './render.js';
import type { Still } from './snapshot-fit.js';
import type { SnapshotStep } from './snapshot-plan.js';

function isAppSink(el: GstElement | undefined): el is GstElement & AppSink {
  return typeof el?.['pull'] === 'function';
}

/**
 * The core's still branch, seen from its host: the only code that opens the
 * valve. A try sets the size and the quality, opens the valve and waits for
 * one JPEG; the valve shuts as soon as it arrives. One pull loop runs from the
 * first still on (each pull holds a libuv worker until a sample comes, so a
 * loop holds one, like a bus poll) and ends when the pipeline stops. A still
 * nobody waits for is dropped. The JPEG's size is read from its own caps, so
 * what is reported is what was taken, even if a frame already on its way
 * when the valve shut answers the next try.
 */
export class SnapshotBranch {
  private waiting: ((still: Still) => void) | null = null;
  private pulling = false;
  private applied: SnapshotStep;

  constructor(
    private readonly pipeline: Pipeline,
    first: SnapshotStep,
  ) {
    this.applied = first;
  }

  private element(name: string): GstElement {
    const el = this.pipeline.findChild(name);
    if (!el) throw new Error(`no element ${name} in the core pipeline`);
    return el;
  }

  /** One still at this step's size and quality; rejects when no frame comes within `timeoutMs`. */
  take(step: SnapshotStep, timeoutMs: number): Promise<Still> {
    const valve = this.element(SNAPSHOT_NAMES.valve);
    if (step.width !== this.applied.width || step.height !== this.applied.height) this.element(SNAPSHOT_NAMES.size)['caps'] = snapshotCaps(step);
    if (step.quality !== this.applied.quality) this.element(SNAPSHOT_NAMES.encoder)['quality'] = step.quality;
    this.applied = step;
    this.pull(valve);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        valve['drop'] = true;
        reject(new Error(`no picture within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting = (still) => {
        clearTimeout(timer);
        resolve(still);
      };
      valve['drop'] = false;
    });
  }

  private pull(valve: GstElement): void {
    if (this.pulling) return;
    const sink = this.pipeline.findChild(SNAPSHOT_NAMES.sink);
    if (!isAppSink(sink)) throw new Error(`${SNAPSHOT_NAMES.sink} is not an appsink`);
    this.pulling = true;
    const next = (): void =>
      sink.pull((buf, caps) => {
        if (!buf) {
          this.pulling = false;
          return;
        }
        valve['drop'] = true;
        const waiting = this.waiting;
        this.waiting = null;
        waiting?.({ jpeg: buf, width: Number(caps['width']), height: Number(caps['height']) });
        next();
      });
    next();
  }
}
