import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Env } from '../../common/config/load.js';
import { parseDeviceId, type DeviceId } from '../../common/protocol.js';
import { writeFileAtomic } from './atomic-file.js';

/**
 * The box's id: balena's device UUID when it runs on balena, else one
 * generated once and kept in the data dir, so it survives restarts and
 * updates (and changes only when the data volume is wiped).
 */
export async function deviceIdentity(env: Env, dataDir: string): Promise<{ id: DeviceId; source: 'balena' | 'stored' | 'generated' }> {
  const balena = parseDeviceId(env['BALENA_DEVICE_UUID']?.trim().toLowerCase());
  if (balena) return { id: balena, source: 'balena' };
  const file = join(dataDir, 'device-id');
  const stored = parseDeviceId((await readFile(file, 'utf8').catch(() => '')).trim());
  if (stored) return { id: stored, source: 'stored' };
  const id = parseDeviceId(`rc-${randomBytes(8).toString('hex')}`);
  if (!id) throw new Error('a generated device id is not valid');
  await writeFileAtomic(file, `${id}\n`, 0o644);
  return { id, source: 'generated' };
}
