import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-file.js';

/** What enrolment gave the box: kept in ROOMCAST_DATA_DIR/fleet-credentials.json, mode 0600. */
export interface FleetCredentials {
  /** The fleet service these came from: another ROOMCAST_FLEET_URL means enrolling again. */
  fleetUrl: string;
  deviceId: string;
  mqttUrl: string;
  username: string;
  password: string;
  ca: string | null;
}

export function credentialsPath(dataDir: string): string {
  return join(dataDir, 'fleet-credentials.json');
}

export async function loadCredentials(dataDir: string): Promise<FleetCredentials | null> {
  let text: string;
  try {
    text = await readFile(credentialsPath(dataDir), 'utf8');
  } catch {
    return null;
  }
  try {
    const v = JSON.parse(text) as Partial<Record<keyof FleetCredentials, unknown>>;
    const str = (x: unknown): x is string => typeof x === 'string' && x.length > 0;
    if (!str(v.fleetUrl) || !str(v.deviceId) || !str(v.mqttUrl) || !str(v.username) || !str(v.password)) return null;
    return { fleetUrl: v.fleetUrl, deviceId: v.deviceId, mqttUrl: v.mqttUrl, username: v.username, password: v.password, ca: str(v.ca) ? v.ca : null };
  } catch {
    return null;
  }
}

export async function saveCredentials(dataDir: string, creds: FleetCredentials): Promise<void> {
  await writeFileAtomic(credentialsPath(dataDir), JSON.stringify(creds, null, 2) + '\n', 0o600);
}
