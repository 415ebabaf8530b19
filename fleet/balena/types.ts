/**
 * What the fleet service needs from balena, behind one small interface
 * (STYLE.md #5): balena-sdk is called only in sdk-fleet.ts. A balena device's
 * uuid is our device id: boxes enrol with BALENA_DEVICE_UUID.
 */

export interface ReleaseRef {
  id: number;
  commit: string;
  /** The release's version (semver, with its revision), or null when balena gave none. */
  version: string | null;
}

export interface ReleaseInfo extends ReleaseRef {
  /** balena's build status: success, failed, running, cancelled... Only success can be pinned. */
  status: string;
  createdAt: string;
  /** Final releases are what fleets run; a draft is never deployed by itself. */
  isFinal: boolean;
  invalidated: boolean;
}

export interface DeviceRelease {
  /** The balena uuid, our device id. */
  deviceId: string;
  /** balena's numeric id, used to pin exactly this device. */
  balenaId: number;
  name: string;
  online: boolean;
  /** What the device runs now (null before its first release). */
  running: ReleaseRef | null;
  /** What it should run: its pin, else the fleet's release. */
  target: ReleaseRef | null;
  /** Its own pin, or null when it follows the fleet. */
  pinned: ReleaseRef | null;
  /** balena's update status: downloading, downloaded, applying changes, rejected, aborted, done, or null. */
  updateStatus: string | null;
  /** balena's summary: idle, updating, offline, configuring... */
  overallStatus: string | null;
  /** Download progress in percent while updating. */
  progress: number | null;
  tags: Record<string, string>;
}

/** Whom a pin applies to: one box, the boxes with a balena device tag, or the whole fleet. */
export type PinTarget = { kind: 'device'; deviceId: string } | { kind: 'tag'; key: string; value: string } | { kind: 'fleet' };

export interface BalenaFleet {
  /** The fleet's releases, newest first. */
  releases(): Promise<ReleaseInfo[]>;
  /** Every device of the fleet with its releases and tags. */
  devices(): Promise<DeviceRelease[]>;
  /** The release the fleet runs (devices without a pin follow it), or null when it tracks the latest. */
  fleetRelease(): Promise<ReleaseRef | null>;
  /** Pins a successful release; returns the device ids it pinned (empty for the whole fleet). */
  pin(target: PinTarget, release: ReleaseRef): Promise<string[]>;
}

/** A balena call failed; the message says why in plain words and never holds the token. */
export class BalenaError extends Error {
  override name = 'BalenaError';
  constructor(
    message: string,
    readonly kind: 'unreachable' | 'refused' | 'not-found' | 'failed',
  ) {
    super(message);
  }
}
