/**
 * Keeping the recording disk from filling up: pure planning, no file access.
 * The janitor (janitor.ts) gathers the facts and carries the plan out.
 */

import type { MinFree } from '../../common/config/schema.js';

const GIB = 1024 ** 3;

/** auto: 1 GiB, or 10% of the filesystem where that is less (a small SD card is not emptied for 1 GiB). */
export function minFreeBytes(setting: MinFree, totalBytes: number): number {
  switch (setting.kind) {
    case 'auto':
      return Math.min(GIB, totalBytes * 0.1);
    case 'bytes':
      return setting.bytes;
    case 'percent':
      return (totalBytes * setting.percent) / 100;
  }
}

export interface SegmentFile {
  name: string;
  size: number;
  mtimeMs: number;
}

/**
 * Which recording segments to delete, oldest first, to get back to `minFree`
 * bytes free. The segment being written is never deleted. `short` is true when
 * deleting every other segment would still leave less than `minFree`: the disk
 * is filling faster than old recordings can make room, so recording must stop.
 */
export function planCleanup(segments: SegmentFile[], current: string | null, freeBytes: number, minFree: number): { remove: string[]; short: boolean } {
  if (freeBytes >= minFree) return { remove: [], short: false };
  const candidates = segments.filter((s) => s.name !== current).sort((a, b) => a.mtimeMs - b.mtimeMs || a.name.localeCompare(b.name));
  const remove: string[] = [];
  let free = freeBytes;
  for (const s of candidates) {
    if (free >= minFree) break;
    remove.push(s.name);
    free += s.size;
  }
  return { remove, short: free < minFree };
}
