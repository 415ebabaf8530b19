import type { Platform } from './types.js';

/**
 * One destination as the editor shows it. The page never holds a full stream
 * key: `maskedKey` is what the API shows (****abcd); an empty `newKey` keeps
 * the stored key by sending the masked word back.
 */
export interface DestinationRow {
  platform: Platform;
  /** For custom: rtmp(s)://host[:port]/app. */
  server: string;
  maskedKey: string;
  newKey: string;
  /** The word as the API showed it (null for a new row). */
  original: string | null;
}

const PRESET = /^(youtube|twitch|facebook):(.*)$/;

export function parseDestinations(value: string): DestinationRow[] {
  return value
    .split(/\s+/)
    .filter((w) => w !== '')
    .map((word): DestinationRow => {
      if (word === 'ipfs') return { platform: 'ipfs', server: '', maskedKey: '', newKey: '', original: word };
      const preset = PRESET.exec(word);
      if (preset) return { platform: preset[1] as Platform, server: '', maskedKey: preset[2] ?? '', newKey: '', original: word };
      const slash = word.lastIndexOf('/');
      return { platform: 'custom', server: word.slice(0, slash), maskedKey: word.slice(slash + 1), newKey: '', original: word };
    });
}

/** The destinations value to send, or every problem a person must fix first. */
export function buildDestinations(rows: readonly DestinationRow[]): { ok: true; value: string } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const words = rows.map((row, i) => {
    const n = `Destination ${i + 1}`;
    const key = row.newKey.trim();
    if (/\s/.test(key)) errors.push(`${n}: the stream key cannot contain spaces`);
    if (row.platform === 'ipfs') return 'ipfs';
    if (row.platform !== 'custom') {
      if (key !== '') return `${row.platform}:${key}`;
      if (row.original !== null && PRESET.exec(row.original)?.[1] === row.platform) return row.original;
      errors.push(`${n}: type the ${row.platform} stream key`);
      return '';
    }
    const server = row.server.trim().replace(/\/+$/, '');
    if (!/^rtmps?:\/\/[^\s/]+\/\S+$/.test(server)) errors.push(`${n}: the server must look like rtmp://host/app or rtmps://host:443/app`);
    if (key !== '') return `${server}/${key}`;
    if (row.original !== null && row.original === `${server}/${row.maskedKey}`) return row.original;
    errors.push(`${n}: type the stream key${row.original !== null ? ' again (the server changed)' : ''}`);
    return '';
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: words.join(' ') };
}
