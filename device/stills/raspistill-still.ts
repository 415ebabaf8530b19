import { createRequire } from 'node:module';
import { SnapshotError } from '../snapshot-requests.js';

export interface RaspistillShot {
  width: number;
  height: number;
  quality: number;
}

/**
 * One JPEG from the legacy camera stack's `raspistill`, through
 * node-raspistill 2.0.1 (the only place it is called). It spawns
 * `raspistill -n -e jpg -w … -h … -q … -t 500 -o -` and collects stdout, but
 * takes no AbortSignal and has no timeout of its own; its `stop()` kills the
 * raspistill it spawned (SIGTERM) and the photo then rejects. So `stop()` is
 * called when `signal` aborts (the box goes live: the pipeline needs the
 * camera now, not when raspistill is done) and after `timeoutMs` (a hung
 * raspistill would otherwise hold the camera and this still forever).
 */
export async function raspistillStill(shot: RaspistillShot, timeoutMs: number, signal: AbortSignal): Promise<Buffer> {
  signal.throwIfAborted();
  const { Raspistill } = createRequire(import.meta.url)('node-raspistill') as typeof import('node-raspistill');
  const camera = new Raspistill({ noFileSave: true, noPreview: true, encoding: 'jpg', width: shot.width, height: shot.height, quality: shot.quality, time: 500 });
  // takePhoto() spawns raspistill before it returns, so stop() from here on reaches that process.
  const photo = camera.takePhoto();
  // Settled only by raspistill's exit: a spawn that fails without one, or a raspistill deaf to SIGTERM, must not hold the still.
  photo.catch(() => undefined);
  let timedOut = false;
  const stop = (): void => camera.stop();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      camera.stop();
      reject(new SnapshotError(`raspistill gave no picture within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  signal.addEventListener('abort', stop, { once: true });
  try {
    const jpeg = await Promise.race([photo, late]);
    // It resolves with whatever came out, even nothing from a raspistill that failed without a word on stderr.
    if (jpeg.length === 0) throw new SnapshotError('raspistill gave no picture');
    return jpeg;
  } catch (err) {
    if (timedOut) throw new SnapshotError(`raspistill gave no picture within ${timeoutMs} ms`);
    throw err;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', stop);
  }
}
