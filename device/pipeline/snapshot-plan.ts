/**
 * Stills of what the box sends (the `snapshot` command), planned as data like
 * the rest of the pipeline (STYLE.md #1). The core pipeline carries a closed
 * branch off its raw video; the host opens it for one frame per try. Each try
 * is a size and a JPEG quality; the host takes them in order until a JPEG
 * fits the byte budget (snapshot-fit.ts).
 */

/** One try: the still's size and its JPEG quality (0-100). */
export interface SnapshotStep {
  width: number;
  height: number;
  quality: number;
}

/** Null in a plan when the core has no raw picture (passthrough) or cannot encode JPEG. */
export interface SnapshotPlan {
  /** Tried in order; the first is the branch's starting size and quality. */
  steps: SnapshotStep[];
}

/** Wide enough to judge framing and focus on a phone, small enough for one MQTT payload. */
export const SNAPSHOT_MAX_WIDTH = 640;

/** Qualities at the full still size, then at half size, best first. */
const QUALITIES = [85, 70, 50, 30];
const HALF_SIZE_QUALITIES = [50, 30];

/** jpegenc and I420 want even sizes. */
function even(n: number): number {
  return Math.max(2, 2 * Math.round(n / 2));
}

/** The picture scaled to at most `maxWidth` wide (never up), keeping its aspect. */
export function stillSize(width: number, height: number, maxWidth: number): { width: number; height: number } {
  const w = Math.min(width, maxWidth);
  return { width: even(w), height: even((height * w) / width) };
}

/** The tries for a picture of this size: lower quality first, then a smaller picture. */
export function snapshotSteps(width: number, height: number): SnapshotStep[] {
  const full = stillSize(width, height, SNAPSHOT_MAX_WIDTH);
  const half = stillSize(full.width, full.height, full.width / 2);
  return [...QUALITIES.map((quality) => ({ ...full, quality })), ...HALF_SIZE_QUALITIES.map((quality) => ({ ...half, quality }))];
}
