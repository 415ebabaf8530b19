import type { SnapshotStep } from './snapshot-plan.js';

/** A JPEG as the pipeline made it, with the size its caps say. */
export interface Still {
  jpeg: Buffer;
  width: number;
  height: number;
}

export type FitResult = { ok: true; still: Still; tries: number } | { ok: false; error: string };

/**
 * Takes stills by the plan's steps, in order, until one's JPEG is at most
 * `maxBytes`; never returns one larger. `capture` does the taking (the host
 * opens its branch for a frame) and throws when no frame comes; that error
 * ends the fitting.
 */
export async function fitSnapshot(steps: readonly SnapshotStep[], maxBytes: number, capture: (step: SnapshotStep) => Promise<Still>): Promise<FitResult> {
  let smallest: { bytes: number; step: SnapshotStep } | null = null;
  for (const [i, step] of steps.entries()) {
    const still = await capture(step);
    if (still.jpeg.length <= maxBytes) return { ok: true, still, tries: i + 1 };
    if (!smallest || still.jpeg.length < smallest.bytes) smallest = { bytes: still.jpeg.length, step };
  }
  if (!smallest) return { ok: false, error: 'no snapshot size is planned' };
  const s = smallest.step;
  return { ok: false, error: `the picture does not fit in one message: ${smallest.bytes} bytes at best (${s.width}x${s.height}, quality ${s.quality}), more than ${maxBytes}` };
}
