import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chown, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { MosquittoReloadError } from './errors.js';

const run = promisify(execFile);

/** Where the fleet puts the broker's files inside its Mosquitto directory. */
export function mosquittoPaths(dir: string): { config: string; passwordFile: string; aclFile: string } {
  return { config: join(dir, 'mosquitto.conf'), passwordFile: join(dir, 'passwords'), aclFile: join(dir, 'acl') };
}

export interface MosquittoFiles {
  /** Rendered by renderBrokerConfig; left alone when absent (an operator's own config). */
  config?: string;
  passwordFile: string;
  aclFile: string;
}

export interface Owner {
  uid: number;
  gid: number;
}

/**
 * Writes the rendered files into `dir`, each atomically (a temp file in the
 * same directory, flushed, then renamed over the old one), so Mosquitto never
 * reads half a password file on SIGHUP. The password file is mode 0600.
 *
 * `owner` is the account Mosquitto runs as (it drops root to `mosquitto`):
 * a renamed file belongs to whoever wrote it, so without this a fleet running
 * as root would leave a password file the broker cannot read at its next
 * reload. Changing the owner needs root.
 */
export async function writeMosquittoFiles(dir: string, files: MosquittoFiles, owner?: Owner): Promise<void> {
  const created = await mkdir(dir, { recursive: true, mode: 0o750 });
  // Directories made here belong to us, 0750: the broker's account enters them through their group.
  if (created !== undefined && owner !== undefined) {
    for (let d = resolve(dir); ; d = dirname(d)) {
      await chown(d, process.getuid?.() ?? 0, owner.gid);
      if (d === resolve(created) || d === dirname(d)) break;
    }
  }
  const paths = mosquittoPaths(dir);
  await writeAtomically(paths.passwordFile, files.passwordFile, 0o600, owner);
  await writeAtomically(paths.aclFile, files.aclFile, 0o640, owner);
  if (files.config !== undefined) await writeAtomically(paths.config, files.config, 0o640, owner);
}

async function writeAtomically(path: string, text: string, mode: number, owner: Owner | undefined): Promise<void> {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  // wx: never follow or reuse a file someone else placed at the temp name.
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(text);
    await handle.chmod(mode);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    if (owner !== undefined) await chown(temp, owner.uid, owner.gid);
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
}

/**
 * Makes Mosquitto re-read its password file, ACL file and certificates.
 * Mosquitto 2.0.11 then checks every connected client again and disconnects
 * those whose username is gone from the password file (tested in
 * test/integration/mosquitto-acl.test.ts): a revoked box is cut off at once.
 */
export function reloadMosquitto(pid: number): void {
  if (!Number.isInteger(pid) || pid <= 1) throw new MosquittoReloadError(pid, 'EINVAL');
  try {
    process.kill(pid, 'SIGHUP');
  } catch (e) {
    throw new MosquittoReloadError(pid, errorCode(e));
  }
}

/** The pid Mosquitto wrote to its pid_file. */
export async function readMosquittoPid(pidFile: string): Promise<number> {
  const text = (await readFile(pidFile, 'utf8')).trim();
  const pid = Number(text);
  if (!/^[0-9]+$/.test(text) || pid <= 1) throw new MosquittoReloadError(null, `${pidFile} holds no pid`);
  return pid;
}

function errorCode(e: unknown): string {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : String(e);
}

/**
 * The account a root-started Mosquitto 2.0 drops to, or undefined when this
 * process is not root (Mosquitto then keeps running as us). Files the fleet
 * writes must belong to it: Mosquitto re-reads them as that account at
 * every reload, and one it cannot read disconnects every client.
 */
export async function mosquittoOwner(): Promise<Owner | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number((await run('id', ['-u', 'mosquitto'])).stdout.trim());
  const gid = Number((await run('id', ['-g', 'mosquitto'])).stdout.trim());
  return { uid, gid };
}

