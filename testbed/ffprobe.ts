import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ProbedStream {
  index: number;
  codec_type: string;
  codec_name: string;
  profile?: string;
  width?: number;
  height?: number;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  sample_rate?: string;
  channels?: number;
}

export interface ProbedPacket {
  pts: number;
  size: number;
  keyframe: boolean;
}

async function ffprobeJson(args: string[]): Promise<unknown> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-of', 'json', ...args], { maxBuffer: 256 * 1024 * 1024, timeout: 60_000 });
  return JSON.parse(stdout) as unknown;
}

/** The streams of a file or URL, as ffprobe reads them. */
export async function probeStreams(input: string): Promise<{ streams: ProbedStream[]; duration: number }> {
  const out = (await ffprobeJson(['-show_streams', '-show_format', input])) as { streams: ProbedStream[]; format?: { duration?: string } };
  return { streams: out.streams, duration: Number(out.format?.duration ?? NaN) };
}

/** Every packet of one stream type: its presentation time, size and keyframe flag. */
export async function probePackets(input: string, type: 'v' | 'a'): Promise<ProbedPacket[]> {
  const out = (await ffprobeJson(['-select_streams', type, '-show_entries', 'packet=pts_time,size,flags', input])) as {
    packets: { pts_time?: string; size?: string; flags?: string }[];
  };
  return out.packets
    .filter((p) => p.pts_time !== undefined)
    .map((p) => ({ pts: Number(p.pts_time), size: Number(p.size), keyframe: (p.flags ?? '').includes('K') }));
}

/** The largest step between consecutive timestamps (seconds), in whatever order they come. */
export function largestGap(pts: number[]): number {
  const sorted = [...pts].sort((a, b) => a - b);
  return sorted.slice(1).reduce((max, t, i) => Math.max(max, t - (sorted[i] ?? t)), 0);
}

/** Decodes the whole input; returns ffmpeg's error output (empty when it decoded cleanly). */
export async function decodeErrors(input: string): Promise<string> {
  try {
    const { stderr } = await run('ffmpeg', ['-v', 'error', '-nostdin', '-i', input, '-f', 'null', '-'], { maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
    return stderr.trim();
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** The loudest sample of the decoded audio in dBFS (-Infinity for digital silence), from ffmpeg's volumedetect. */
export async function audioMaxVolume(input: string): Promise<number> {
  const { stderr } = await run('ffmpeg', ['-nostdin', '-v', 'info', '-i', input, '-map', '0:a', '-af', 'volumedetect', '-f', 'null', '-'], { maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
  const m = /max_volume:\s*(-?[\d.]+|-inf) dB/.exec(stderr);
  if (!m) throw new Error('ffmpeg printed no max_volume');
  return m[1] === '-inf' ? -Infinity : Number(m[1]);
}

/** Seconds of silence (below -40 dBFS) at the very start of the audio track, from ffmpeg's silencedetect. */
export async function leadingSilenceSeconds(input: string): Promise<number> {
  const { stderr } = await run('ffmpeg', ['-nostdin', '-v', 'info', '-i', input, '-map', '0:a', '-af', 'silencedetect=n=-40dB:d=0.02', '-f', 'null', '-'], { maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
  const start = /silence_start:\s*(-?[\d.e-]+)/.exec(stderr);
  const end = /silence_end:\s*([\d.]+)/.exec(stderr);
  if (!start || Number(start[1]) > 0.05 || !end) return 0;
  return Number(end[1]);
}

/** One decoded picture: its presentation time in ms, as the file carries it, and its mean luma (0-255). */
export interface FrameBrightness {
  pts: number;
  y: number;
}

/**
 * Decodes every picture of an FLV (whose time base is 1 ms) in presentation
 * order and reads each one's mean brightness from ffmpeg's showinfo, with the
 * file's own timestamps (-copyts) and no frame dropped or repeated.
 */
export async function frameBrightness(input: string): Promise<FrameBrightness[]> {
  const { stderr } = await run('ffmpeg', ['-nostdin', '-v', 'info', '-copyts', '-i', input, '-an', '-fps_mode', 'passthrough', '-vf', 'scale=8:8,format=gray,showinfo', '-f', 'null', '-'], { maxBuffer: 256 * 1024 * 1024, timeout: 120_000 });
  return [...stderr.matchAll(/Parsed_showinfo.* pts:\s*(-?\d+) .* mean:\[(\d+)\]/g)].map((m) => ({ pts: Number(m[1]), y: Number(m[2]) }));
}
