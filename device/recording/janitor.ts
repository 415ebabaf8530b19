import { readdir, stat, statfs, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { MinFree } from '../../common/config/schema.js';
import type { Logger } from '../../common/log.js';
import { minFreeBytes, planCleanup, type SegmentFile } from './cleanup.js';

export interface DiskCheck {
  freeBytes: number;
  minFreeBytes: number;
  removed: string[];
  /** Deleting every closed segment would not give back enough room. */
  short: boolean;
}

/** Only the agent's own recording files are ever deleted. */
const SEGMENT = /^roomcast-\d{8}-\d{6}(-r\d+)?-\d{5}\.ts$/;

/** Carries out planCleanup() on the recording folder. */
export class RecordingJanitor {
  constructor(
    private readonly dir: string,
    private readonly setting: MinFree,
    private readonly log: Logger,
  ) {}

  async check(currentSegment: string | null): Promise<DiskCheck> {
    const fs = await statfs(this.dir);
    const total = fs.blocks * fs.bsize;
    const free = fs.bavail * fs.bsize;
    const min = minFreeBytes(this.setting, total);
    if (free >= min) return { freeBytes: free, minFreeBytes: min, removed: [], short: false };
    const segments: SegmentFile[] = [];
    for (const name of (await readdir(this.dir)).filter((n) => SEGMENT.test(n))) {
      try {
        const s = await stat(join(this.dir, name));
        segments.push({ name, size: s.size, mtimeMs: s.mtimeMs });
      } catch {
        // deleted meanwhile
      }
    }
    const current = currentSegment ? currentSegment.split('/').pop() ?? null : null;
    const plan = planCleanup(segments, current, free, min);
    const removed: string[] = [];
    for (const name of plan.remove) {
      try {
        await unlink(join(this.dir, name));
        removed.push(name);
      } catch (err) {
        this.log.warn('could not delete an old recording segment', { name, error: err instanceof Error ? err.message : String(err) });
      }
    }
    if (removed.length > 0) this.log.warn('disk low: deleted the oldest recording segments', { removed, freeBytes: free, minFreeBytes: min });
    const after = await statfs(this.dir);
    return { freeBytes: after.bavail * after.bsize, minFreeBytes: min, removed, short: plan.short };
  }
}
