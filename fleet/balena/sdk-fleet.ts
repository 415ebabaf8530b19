import { getSdk } from 'balena-sdk';
import { BalenaError, type BalenaFleet, type DeviceRelease, type PinTarget, type ReleaseInfo, type ReleaseRef } from './types.js';

export interface SdkFleetOptions {
  apiUrl: string;
  token: string;
  /** A fleet slug ("myorg/roomcast") or id. */
  fleet: string | number;
}

type Sdk = ReturnType<typeof getSdk>;
type Row = Record<string, unknown>;

const RELEASE_FIELDS = ['id', 'commit', 'raw_version', 'semver', 'status', 'created_at', 'is_final', 'is_invalidated'] as const;
const REF_SELECT = { $select: ['id', 'commit', 'raw_version'] } as const;

/**
 * The balena adapter: the only code that calls balena-sdk (STYLE.md #5).
 * The SDK keeps the token in memory only (dataDirectory: false), so nothing
 * is written to disk and nothing is shared with a balena CLI on the host.
 */
export class SdkFleet implements BalenaFleet {
  private sdk: Sdk | null = null;

  constructor(private readonly options: SdkFleetOptions) {}

  private async client(): Promise<Sdk> {
    if (this.sdk) return this.sdk;
    const sdk = getSdk({ apiUrl: this.options.apiUrl, dataDirectory: false });
    await sdk.auth.loginWithToken(this.options.token);
    this.sdk = sdk;
    return sdk;
  }

  releases(): Promise<ReleaseInfo[]> {
    return this.call('listing the releases', async (sdk) => {
      const rows = (await sdk.models.release.getAllByApplication(this.options.fleet, { $select: [...RELEASE_FIELDS], $orderby: { created_at: 'desc' } })) as unknown as Row[];
      return rows.map(releaseInfo);
    });
  }

  devices(): Promise<DeviceRelease[]> {
    return this.call('listing the devices', async (sdk) => {
      const rows = (await sdk.models.device.getAllByApplication(this.options.fleet, {
        $select: ['id', 'uuid', 'device_name', 'is_online', 'update_status', 'overall_status', 'overall_progress'],
        $expand: { is_running__release: REF_SELECT, should_be_running__release: REF_SELECT, is_pinned_on__release: REF_SELECT },
      })) as unknown as Row[];
      const tags = (await sdk.models.device.tags.getAllByApplication(this.options.fleet, { $select: ['tag_key', 'value', 'device'] })) as unknown as Row[];
      return rows.map((row) => deviceRelease(row, tags));
    });
  }

  fleetRelease(): Promise<ReleaseRef | null> {
    return this.call('reading the fleet\'s release', async (sdk) => {
      const app = (await sdk.models.application.get(this.options.fleet, { $select: ['id', 'should_track_latest_release'], $expand: { should_be_running__release: REF_SELECT } })) as unknown as Row;
      return releaseRef(app['should_be_running__release']);
    });
  }

  pin(target: PinTarget, release: ReleaseRef): Promise<string[]> {
    return this.call('pinning the release', async (sdk) => {
      if (target.kind === 'fleet') {
        await sdk.models.application.pinToRelease(this.options.fleet, release.commit);
        return [];
      }
      const devices = await this.devices();
      const chosen = target.kind === 'device' ? devices.filter((d) => d.deviceId === target.deviceId) : devices.filter((d) => d.tags[target.key] === target.value);
      if (chosen.length === 0) throw new BalenaError(target.kind === 'device' ? `balena has no device ${target.deviceId} in this fleet` : `no device of this fleet has the tag ${target.key}=${target.value}`, 'not-found');
      // By numeric id: a uuid prefix would also match a longer uuid.
      await sdk.models.device.pinToRelease(chosen.map((d) => d.balenaId), release.id);
      return chosen.map((d) => d.deviceId);
    });
  }

  private async call<T>(what: string, work: (sdk: Sdk) => Promise<T>): Promise<T> {
    try {
      return await work(await this.client());
    } catch (err) {
      throw balenaError(what, err);
    }
  }
}

/** Plain words for what went wrong; the SDK's own message may quote a request, so only its status is kept. */
function balenaError(what: string, err: unknown): BalenaError {
  if (err instanceof BalenaError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as { name?: unknown; statusCode?: unknown };
  const name = typeof e.name === 'string' ? e.name : '';
  if (e.statusCode === 401 || e.statusCode === 403) return new BalenaError(`${what}: the balena API refused ROOMCAST_BALENA_API_TOKEN (status ${e.statusCode})`, 'refused');
  if (e.statusCode === 404 || /NotFound$/.test(name)) return new BalenaError(`${what}: balena does not know it (${name || 'status 404'}); check ROOMCAST_BALENA_FLEET`, 'not-found');
  if (typeof e.statusCode === 'number') return new BalenaError(`${what}: the balena API answered status ${e.statusCode}`, 'failed');
  if (name === 'TypeError' || name === 'FetchError' || name === 'AbortError') return new BalenaError(`${what}: the balena API at ROOMCAST_BALENA_API_URL cannot be reached`, 'unreachable');
  return new BalenaError(`${what} failed (${name || 'unknown error'})`, 'failed');
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/** An expanded navigation property: [row] when expanded, [] or null when there is none. */
function releaseRef(nav: unknown): ReleaseRef | null {
  const row = Array.isArray(nav) ? (nav[0] as Row | undefined) : undefined;
  if (!row || typeof row['id'] !== 'number') return null;
  return { id: row['id'], commit: str(row['commit']) ?? '', version: str(row['raw_version']) };
}

function releaseInfo(row: Row): ReleaseInfo {
  return {
    id: typeof row['id'] === 'number' ? row['id'] : 0,
    commit: str(row['commit']) ?? '',
    version: str(row['raw_version']) ?? str(row['semver']),
    status: str(row['status']) ?? 'unknown',
    createdAt: str(row['created_at']) ?? '',
    isFinal: row['is_final'] === true,
    invalidated: row['is_invalidated'] === true,
  };
}

function deviceRelease(row: Row, tags: Row[]): DeviceRelease {
  const id = typeof row['id'] === 'number' ? row['id'] : 0;
  const own = tags.filter((t) => (t['device'] as { __id?: unknown } | undefined)?.__id === id);
  return {
    deviceId: str(row['uuid']) ?? '',
    balenaId: id,
    name: str(row['device_name']) ?? '',
    online: row['is_online'] === true,
    running: releaseRef(row['is_running__release']),
    target: releaseRef(row['should_be_running__release']),
    pinned: releaseRef(row['is_pinned_on__release']),
    updateStatus: str(row['update_status']),
    overallStatus: str(row['overall_status']),
    progress: typeof row['overall_progress'] === 'number' ? row['overall_progress'] : null,
    tags: Object.fromEntries(own.map((t) => [str(t['tag_key']) ?? '', str(t['value']) ?? ''])),
  };
}
