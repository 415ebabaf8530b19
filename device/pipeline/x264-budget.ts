import type { PiModel } from '../hardware/types.js';

/**
 * x264 in software within a CPU budget: on a Pi without a hardware encoder
 * (the Pi 5) or one told to use x264, the encoder gets at most one core, so
 * capture, sound, the relays, the recording and IPFS keep the others. The
 * planner picks the best-quality preset that fits, and refuses a size and
 * frame rate that not even `ultrafast` fits, rather than drop frames live.
 *
 * Estimates, not measurements on a Pi: the presets' relative costs were
 * measured on x86 (docs/benchmarks.md, "x264 presets"), and the per-board
 * scale is FIELD.md's "about one core at 1080p30" for the Pi 5, with the
 * Pi 4 about 3x and the Pi 3 and Zero 2 W about 7x slower per frame.
 */
export type X264Preset = 'veryfast' | 'superfast' | 'ultrafast';

/** Cost of each preset against `veryfast`, encode only (measured: 720p30 and 1080p30 alike within 5%). */
const RELATIVE_COST: Readonly<Record<X264Preset, number>> = { veryfast: 1, superfast: 0.62, ultrafast: 0.41 };
const PRESETS: readonly X264Preset[] = ['veryfast', 'superfast', 'ultrafast'];

const MPX_1080P30 = (1920 * 1080 * 30) / 1e6;
/** Cores that `veryfast` takes per megapixel per second. */
const CORES_PER_MPX: Readonly<Partial<Record<PiModel, number>>> = {
  pi5: 1 / MPX_1080P30,
  pi4: 3 / MPX_1080P30,
  pi3: 7 / MPX_1080P30,
  zero2w: 7 / MPX_1080P30,
};

/** Cores the video encoder may take. */
export const X264_CORE_BUDGET = 1;

export type X264Choice = { ok: true; preset: X264Preset; reason: string } | { ok: false; error: string };

export function pickX264Preset(pi: PiModel | null, width: number, height: number, framerate: number): X264Choice {
  const scale = pi === null ? undefined : CORES_PER_MPX[pi];
  // Off a Pi (a server, this test machine) or on a board we have no figure for: the default preset.
  if (scale === undefined) return { ok: true, preset: 'veryfast', reason: 'x264 preset veryfast' };
  const mpx = (width * height * framerate) / 1e6;
  const cores = (p: X264Preset): number => mpx * scale * RELATIVE_COST[p];
  const fits = PRESETS.find((p) => cores(p) <= X264_CORE_BUDGET);
  const size = `${width}x${height} at ${framerate} fps`;
  if (!fits) {
    return {
      ok: false,
      error: `x264 cannot encode ${size} on this board within ${X264_CORE_BUDGET} core (about ${cores('ultrafast').toFixed(1)} cores even at its fastest): lower ROOMCAST_VIDEO_SIZE or ROOMCAST_FRAMERATE`,
    };
  }
  return { ok: true, preset: fits, reason: `x264 preset ${fits}: about ${cores(fits).toFixed(1)} of ${X264_CORE_BUDGET} core for ${size}` };
}
