import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * What a viewer would see and hear in a received stream, decoded by ffmpeg:
 * the mean brightness of every frame, and the sound as samples. Used to find
 * the slate, and to measure A/V sync from the flash-and-beep test pattern.
 */

export interface FrameLuma {
  /** Presentation time, seconds. */
  pts: number;
  /** Mean luma, 0-255 (limited range: black 16, white 235). */
  y: number;
}

/** lavfi's movie= source takes a filter-graph string; temp paths never need quoting, anything else is refused. */
function lavfiPath(file: string): string {
  if (/[:,;'\\[\]=]/.test(file)) throw new Error(`path not usable in a filter graph: ${file}`);
  return file;
}

/** The mean luma of every decoded video frame, in presentation order. */
export async function frameLuma(file: string): Promise<FrameLuma[]> {
  const { stdout } = await run(
    'ffprobe',
    ['-v', 'error', '-f', 'lavfi', `movie=${lavfiPath(file)},signalstats`, '-show_entries', 'frame=pts_time:frame_tags=lavfi.signalstats.YAVG', '-of', 'csv=p=0'],
    { maxBuffer: 256 * 1024 * 1024, timeout: 300_000 },
  );
  return stdout
    .split('\n')
    .map((l) => l.trim().split(','))
    .filter((f) => f.length >= 2 && f[0] !== '' && f[1] !== '')
    .map(([pts, y]) => ({ pts: Number(pts), y: Number(y) }));
}

export interface Sound {
  /** Presentation time of the first sample, seconds. */
  start: number;
  rate: number;
  /** Mono, -1..1. */
  samples: Float32Array;
}

/** The audio track decoded to mono at 48 kHz, with the time of its first sample. */
export async function decodeSound(file: string): Promise<Sound> {
  const rate = 48_000;
  const probe = await run('ffprobe', ['-v', 'error', '-select_streams', 'a', '-show_entries', 'stream=start_time', '-of', 'csv=p=0', file], { timeout: 60_000 });
  const start = Number(probe.stdout.trim().split('\n')[0]);
  if (!Number.isFinite(start)) throw new Error(`no audio start time in ${file}`);
  const { stdout } = await run('ffmpeg', ['-nostdin', '-v', 'error', '-i', file, '-map', '0:a', '-ac', '1', '-ar', String(rate), '-f', 's16le', '-'], {
    encoding: 'buffer',
    maxBuffer: 1024 * 1024 * 1024,
    timeout: 300_000,
  });
  const pcm = new Int16Array(stdout.buffer, stdout.byteOffset, Math.floor(stdout.byteLength / 2));
  const samples = new Float32Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) samples[i] = (pcm[i] ?? 0) / 32768;
  return { start, rate, samples };
}

/** RMS in dBFS over [from, to) seconds of presentation time (-100 for digital silence or no samples). */
export function rmsDb(sound: Sound, from: number, to: number): number {
  const a = Math.max(0, Math.round((from - sound.start) * sound.rate));
  const b = Math.min(sound.samples.length, Math.round((to - sound.start) * sound.rate));
  let sum = 0;
  for (let i = a; i < b; i++) sum += (sound.samples[i] ?? 0) ** 2;
  const rms = b > a ? Math.sqrt(sum / (b - a)) : 0;
  return rms > 0 ? Math.max(20 * Math.log10(rms), -100) : -100;
}

/** Times where the picture turns from dark to bright or back (the flash pattern changes on every whole second). */
export function flips(frames: FrameLuma[], threshold = 126): number[] {
  const out: number[] = [];
  for (let i = 1; i < frames.length; i++) {
    const a = frames[i - 1];
    const b = frames[i];
    if (a && b && a.y < threshold !== b.y < threshold) out.push(b.pts);
  }
  return out;
}

/** Onsets of beeps: the first sample over `level` after at least `quietS` of quiet. */
export function beeps(sound: Sound, level = 0.1, quietS = 0.3): number[] {
  const out: number[] = [];
  const quietSamples = Math.round(quietS * sound.rate);
  let lastLoud = -Infinity;
  for (let i = 0; i < sound.samples.length; i++) {
    if (Math.abs(sound.samples[i] ?? 0) < level) continue;
    if (i - lastLoud >= quietSamples) out.push(sound.start + i / sound.rate);
    lastLoud = i;
  }
  return out;
}

/**
 * A/V offset of each flash: the nearest beep's time minus the flash's, in
 * seconds (positive: the sound comes late). Flashes with no beep within
 * half a second are skipped.
 */
export function avOffsets(flashes: number[], beepTimes: number[]): { at: number; offset: number }[] {
  const out: { at: number; offset: number }[] = [];
  for (const f of flashes) {
    let best: number | null = null;
    for (const b of beepTimes) if (best === null || Math.abs(b - f) < Math.abs(best - f)) best = b;
    if (best !== null && Math.abs(best - f) < 0.5) out.push({ at: f, offset: best - f });
  }
  return out;
}

export interface GrayPicture {
  width: number;
  height: number;
  /** One luma byte per pixel, row by row (full range, as JPEG carries it). */
  pixels: Buffer;
}

/** A still image decoded by ffmpeg to 8-bit luma; throws when ffmpeg cannot decode it. */
export async function decodeGray(file: string): Promise<GrayPicture> {
  const probe = await run('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', file], { timeout: 60_000 });
  const [width, height] = probe.stdout.trim().split(',').map(Number);
  if (!width || !height) throw new Error(`ffprobe found no picture in ${file}`);
  const { stdout } = await run('ffmpeg', ['-nostdin', '-v', 'error', '-xerror', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'gray', '-'], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });
  if (stdout.byteLength !== width * height) throw new Error(`decoded ${stdout.byteLength} bytes, not ${width}x${height}`);
  return { width, height, pixels: stdout };
}

/**
 * The mean luma of `bands` equal vertical stripes over the rows from
 * `fromRow` to `toRow` (fractions of the height), leaving out a fifth of each
 * stripe at either edge where bars blur into each other.
 */
export function bandMeans(p: GrayPicture, bands: number, fromRow: number, toRow: number): number[] {
  const out: number[] = [];
  const y0 = Math.floor(p.height * fromRow);
  const y1 = Math.floor(p.height * toRow);
  for (let b = 0; b < bands; b++) {
    const x0 = Math.floor(((b + 0.2) * p.width) / bands);
    const x1 = Math.floor(((b + 0.8) * p.width) / bands);
    let sum = 0;
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) sum += p.pixels[y * p.width + x] ?? 0;
    out.push(sum / ((y1 - y0) * (x1 - x0)));
  }
  return out;
}
