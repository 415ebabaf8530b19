import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';

/**
 * The last desired config the box applied, so that a reboot with no network
 * comes back with it. Holds stream keys: mode 0600, in the data volume.
 */
export interface AppliedConfig {
  version: number;
  config: Record<string, string>;
}

const FILE = 'applied-config.json';

export async function loadApplied(dataDir: string): Promise<AppliedConfig | null> {
  try {
    const v = JSON.parse(await readFile(join(dataDir, FILE), 'utf8')) as { version?: unknown; config?: unknown };
    if (typeof v.version !== 'number' || !Number.isInteger(v.version) || v.version < 1) return null;
    if (typeof v.config !== 'object' || v.config === null) return null;
    const entries = Object.entries(v.config as Record<string, unknown>);
    if (!entries.every(([, value]) => typeof value === 'string')) return null;
    return { version: v.version, config: Object.fromEntries(entries) as Record<string, string> };
  } catch {
    return null;
  }
}

export async function saveApplied(dataDir: string, applied: AppliedConfig): Promise<void> {
  await writeFileAtomic(join(dataDir, FILE), JSON.stringify(applied) + '\n', 0o600);
}
