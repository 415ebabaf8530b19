import type { FleetCredentials } from './credentials-file.js';

export class EnrolError extends Error {
  constructor(
    message: string,
    /** Worth trying again later (fleet unreachable or busy), or not (wrong token, revoked). */
    readonly retriable: boolean,
  ) {
    super(message);
    this.name = 'EnrolError';
  }
}

/**
 * POST /api/enrol: the box's id and the enrolment token in, its MQTT address
 * and credentials out. `currentPassword` renews the credentials of a box the
 * fleet already knows (the fleet refuses to hand an enrolled id to anyone
 * without it).
 */
export async function enrol(fleetUrl: string, token: string, deviceId: string, currentPassword?: string, timeoutMs = 10_000): Promise<FleetCredentials> {
  let res: Response;
  try {
    res = await fetch(`${fleetUrl}/api/enrol`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(currentPassword === undefined ? { token, deviceId } : { token, deviceId, currentPassword }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new EnrolError(`the fleet service at ${fleetUrl} is not reachable (${err instanceof Error ? err.message : String(err)})`, true);
  }
  const body = (await res.json().catch(() => null)) as Record<string, unknown> | null;
  if (res.status !== 201) {
    const reason = typeof body?.['error'] === 'string' ? body['error'] : `HTTP ${res.status}`;
    throw new EnrolError(`enrolment refused: ${reason}`, res.status >= 500 || res.status === 429);
  }
  const str = (k: string): string => {
    const v = body?.[k];
    if (typeof v !== 'string' || v === '') throw new EnrolError(`the fleet's enrolment answer has no ${k}`, true);
    return v;
  };
  const ca = body?.['ca'];
  return { fleetUrl, deviceId: str('deviceId'), mqttUrl: str('mqttUrl'), username: str('username'), password: str('password'), ca: typeof ca === 'string' && ca !== '' ? ca : null };
}
