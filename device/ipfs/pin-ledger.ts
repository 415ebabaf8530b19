import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../fleet/atomic-file.js';
import type { PinEntry } from './retention.js';

/** The box's pins, oldest first, kept next to the IPFS store so that retention holds across restarts. */
export function ledgerPath(ipfsDir: string): string {
  return join(ipfsDir, 'pins.json');
}

export async function loadLedger(ipfsDir: string): Promise<PinEntry[]> {
  try {
    const parsed = JSON.parse(await readFile(ledgerPath(ipfsDir), 'utf8')) as unknown;
    return Array.isArray(parsed) ? (parsed as PinEntry[]) : [];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

export async function saveLedger(ipfsDir: string, pins: readonly PinEntry[]): Promise<void> {
  await writeFileAtomic(ledgerPath(ipfsDir), JSON.stringify(pins), 0o600);
}
