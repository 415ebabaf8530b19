import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SnapshotError, type Snapshot } from '../snapshot-requests.js';
import { FreshStill } from './fresh-still.js';
import { IDLE_STILL_HEIGHT, IDLE_STILL_WIDTH, planIdleStill, type StillTools } from './idle-still-plan.js';
import { raspistillStill } from './raspistill-still.js';
import type { VideoInput } from '../pipeline/plan.js';

const run = promisify(execFile);
const TIMEOUT_MS = 8000;
/** Tried in order until the JPEG fits the answer. */
const QUALITIES = [70, 50, 30];
/** A still is at most this fresh: the camera is not opened more than once in this time. */
const MIN_INTERVAL_MS = 5000;

/** Which still tools this box has on its PATH. */
export async function findStillTools(): Promise<StillTools> {
  const has = (cmd: string): Promise<boolean> => run('sh', ['-c', `command -v ${cmd}`]).then(() => true, () => false);
  const rpicam = (await has('rpicam-still')) ? 'rpicam-still' : (await has('libcamera-still')) ? 'libcamera-still' : null;
  return { rpicamStill: rpicam, raspistill: await has('raspistill') };
}

/**
 * A still of the idle camera (nothing else holds it), rate-limited: a second
 * ask within 5 s gets the same picture. Never while the stream runs: then the
 * still comes from the running pipeline, and going live first cancels a still
 * being taken, so the tool lets go of the camera.
 */
export class IdleStills {
  private readonly fresh = new FreshStill(MIN_INTERVAL_MS);
  /** Looked for at the first still, not at start: nothing on the way to the first frame. */
  private tools: Promise<StillTools> | null = null;
  /** The camera the last still is of: another one (plugged in since) makes the next still new. */
  private lastInput = '';

  take(input: VideoInput, legacyPicam: boolean, maxBytes: number): Promise<Snapshot> {
    const key = JSON.stringify(input);
    if (key !== this.lastInput) this.fresh.forget();
    this.lastInput = key;
    return this.fresh.take(maxBytes, (signal) => this.capture(input, legacyPicam, maxBytes, signal));
  }

  /** Stops the still being taken (its tool is killed) and forgets the last one; resolves once the tool has exited. */
  cancel(reason: string): Promise<void> {
    return this.fresh.cancel(reason);
  }

  private async capture(input: VideoInput, legacyPicam: boolean, maxBytes: number, signal: AbortSignal): Promise<Snapshot> {
    this.tools ??= findStillTools();
    const tools = await this.tools;
    let smallest = Infinity;
    for (const quality of QUALITIES) {
      const jpeg = await this.once(input, legacyPicam, tools, quality, signal);
      smallest = Math.min(smallest, jpeg.length);
      if (jpeg.length <= maxBytes) {
        return { jpegBase64: jpeg.toString('base64'), width: IDLE_STILL_WIDTH, height: IDLE_STILL_HEIGHT };
      }
    }
    throw new SnapshotError(`the idle camera's picture does not fit in one message: ${smallest} bytes at best, more than ${maxBytes}`);
  }

  private async once(input: VideoInput, legacyPicam: boolean, tools: StillTools, quality: number, signal: AbortSignal): Promise<Buffer> {
    signal.throwIfAborted();
    const dir = await mkdtemp(join(tmpdir(), 'roomcast-still-'));
    try {
      const plan = planIdleStill(input, legacyPicam, tools, quality, dir);
      switch (plan.tool) {
        case 'none':
          throw new SnapshotError(plan.reason);
        case 'rpicam-still':
          return (await run(plan.command, plan.args, { encoding: 'buffer', timeout: TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024, signal })).stdout;
        case 'raspistill':
          return await raspistillStill(plan, TIMEOUT_MS, signal);
        case 'gstreamer': {
          await run('gst-launch-1.0', plan.args, { timeout: TIMEOUT_MS, signal });
          const files = (await readdir(dir)).filter((f) => f.endsWith('.jpg')).sort();
          const last = files.at(-1);
          if (!last) throw new SnapshotError('the camera gave no picture');
          return await readFile(join(dir, last));
        }
      }
    } catch (err) {
      if (err instanceof SnapshotError) throw err;
      throw new SnapshotError(`no still from the idle camera: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
