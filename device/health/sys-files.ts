import { readdir, readFile } from 'node:fs/promises';

/** The file or folder is not on this box (ENOTDIR: a parent that is a file, as sysfs attributes are). */
export function isMissing(err: unknown): boolean {
  return err instanceof Error && 'code' in err && (err.code === 'ENOENT' || err.code === 'ENOTDIR');
}

/** The file's text, or null when it does not exist on this box. */
export async function readIfPresent(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
}

/** A class folder's numbered entries (thermal_zone0, hwmon1, ...) in number order; null when the folder is not there. */
export async function numberedEntries(dir: string, prefix: string): Promise<string[] | null> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
  const pattern = new RegExp(`^${prefix}\\d+$`);
  return entries.filter((e) => pattern.test(e)).sort((a, b) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length)));
}
