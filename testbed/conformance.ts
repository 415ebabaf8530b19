import type { ProbedPacket } from './ffprobe.js';

/**
 * What the platforms check of an incoming stream, computed from the packets
 * ffprobe read out of what the ingest received. Pure, so the same figures
 * serve the tests and the benchmark.
 */

/** Presentation times of keyframes, relative to the first packet. */
export function keyframeTimes(packets: ProbedPacket[]): number[] {
  const t0 = packets[0]?.pts ?? 0;
  return packets.filter((p) => p.keyframe).map((p) => Math.round((p.pts - t0) * 1000) / 1000);
}

/** Distinct intervals between consecutive keyframes, in seconds (3 decimals). */
export function keyframeIntervals(packets: ProbedPacket[]): number[] {
  const times = keyframeTimes(packets);
  return times.slice(1).map((t, i) => Math.round((t - (times[i] ?? 0)) * 1000) / 1000);
}

/** Video bitrate in kbit/s over consecutive windows, whole windows only. */
export function bitrateWindows(packets: ProbedPacket[], windowSeconds: number): number[] {
  if (packets.length === 0) return [];
  const t0 = packets[0]?.pts ?? 0;
  const last = packets[packets.length - 1]?.pts ?? t0;
  const count = Math.floor((last - t0) / windowSeconds);
  const bytes = new Array<number>(count).fill(0);
  for (const p of packets) {
    const w = Math.floor((p.pts - t0) / windowSeconds);
    if (w < count) bytes[w] = (bytes[w] ?? 0) + p.size;
  }
  return bytes.map((b) => Math.round((b * 8) / 1000 / windowSeconds));
}

/** Frames per second over the whole packet run. */
export function measuredFramerate(packets: ProbedPacket[]): number {
  if (packets.length < 2) return 0;
  const span = (packets[packets.length - 1]?.pts ?? 0) - (packets[0]?.pts ?? 0);
  return (packets.length - 1) / span;
}
