import { open, readFile, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isOurLeftover, ownerLine } from './lock-rule.js';

/** The balena update lock, behind a small interface (STYLE.md #5): a file on balena, nothing elsewhere. */
export interface UpdateLock {
  /** Removes a lock left by a previous run of the agent; true when there was one. */
  reclaimStale(): Promise<boolean>;
  /** 'held': ours now; 'busy': someone else holds a lock file (retry later). */
  acquire(): Promise<'held' | 'busy'>;
  release(): Promise<void>;
  readonly description: string;
}

/** balena's lock file, created with O_CREAT|O_EXCL ("wx"): existing is what holds updates back, so creating it must fail if it exists. */
export class FileUpdateLock implements UpdateLock {
  constructor(readonly path: string) {}

  get description(): string {
    return this.path;
  }

  async reclaimStale(): Promise<boolean> {
    const content = await readFile(this.path, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (content === null || !isOurLeftover(content)) return false;
    await unlink(this.path).catch(ignoreMissing);
    return true;
  }

  async acquire(): Promise<'held' | 'busy'> {
    let handle;
    try {
      handle = await open(this.path, 'wx', 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return 'busy';
      throw err;
    }
    try {
      await handle.writeFile(ownerLine(process.pid, new Date()));
    } finally {
      await handle.close();
    }
    return 'held';
  }

  async release(): Promise<void> {
    // Only our own lock: another holder may have created one after we let go.
    const content = await readFile(this.path, 'utf8').catch(() => null);
    if (content !== null && isOurLeftover(content)) await unlink(this.path).catch(ignoreMissing);
  }
}

/** Not on balena (the lock's folder does not exist): nothing holds updates back, and nothing needs to. */
export class NullUpdateLock implements UpdateLock {
  readonly description = 'none';
  reclaimStale(): Promise<boolean> {
    return Promise.resolve(false);
  }
  acquire(): Promise<'held' | 'busy'> {
    return Promise.resolve('held');
  }
  release(): Promise<void> {
    return Promise.resolve();
  }
}

/** The file lock when its folder exists (balena mounts /tmp/balena), else the null lock. */
export async function chooseUpdateLock(path: string): Promise<UpdateLock> {
  const folder = await stat(dirname(path)).catch(() => null);
  return folder?.isDirectory() ? new FileUpdateLock(path) : new NullUpdateLock();
}

function ignoreMissing(err: NodeJS.ErrnoException): void {
  if (err.code !== 'ENOENT') throw err;
}
