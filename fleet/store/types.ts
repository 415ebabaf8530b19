import type { Rollout } from '../balena/rollout-plan.js';
import type { DeviceId, Health, ReportedState, Status } from '../../common/protocol.js';
import type { TimelineEvent } from '../timeline.js';

/**
 * What the fleet service keeps: boxes, their credentials, the desired config
 * (the source of truth; the retained MQTT message is a copy), what each box
 * last reported, and its health history. Two implementations: SQLite in the
 * data dir (embedded default) and PostgreSQL (ROOMCAST_FLEET_DATABASE_URL),
 * which several fleet service instances may share.
 *
 * Times go in as ISO 8601 strings with any offset and come back in UTC
 * `toISOString()` form ("2026-11-22T12:00:00.000Z"); a time that does not
 * parse is a StoreInputError (fleet/store/errors.ts). docs/store.md.
 */

export interface DeviceRecord {
  id: DeviceId;
  name: string;
  enrolledAt: string;
  /** The box's MQTT password, hashed (fleet/credentials.ts); null once revoked. */
  passwordHash: string | null;
  /** Newest status message: online, offline (clean stop) or lost (last will). */
  status: Status | null;
  statusAt: string | null;
  /** When anything was last heard from the box (status, reported, health). */
  lastSeen: string | null;
  /** The newest desired config; version 0 and {} until the fleet sets one. */
  desiredVersion: number;
  /** Desired config values, stream keys in full: only the box may ever read them back. */
  desiredConfig: Record<string, string>;
  reported: ReportedState | null;
  reportedAt: string | null;
  health: Health | null;
  healthAt: string | null;
}

export interface HealthSample {
  at: string;
  health: Health;
}

export interface FleetStore {
  /** Creates the tables when missing (idempotent, safe with several instances starting at once). */
  migrate(): Promise<void>;
  close(): Promise<void>;

  /** A setting kept by the service (the generated admin and enrolment tokens). */
  getSetting(name: string): Promise<string | null>;
  /** Stores `value` unless the setting exists; returns the stored value either way (first writer wins). */
  setSettingIfAbsent(name: string, value: string): Promise<string>;
  setSetting(name: string, value: string): Promise<void>;

  /**
   * Enrols a box, or re-enrols it with new credentials (a reflashed box),
   * keeping its desired config and history. Names are kept unless given.
   */
  enrolDevice(id: DeviceId, passwordHash: string, name: string | null, at: string): Promise<DeviceRecord>;
  /** Clears the box's credentials; returns false for an unknown box. */
  revokeDevice(id: DeviceId): Promise<boolean>;
  renameDevice(id: DeviceId, name: string): Promise<boolean>;
  getDevice(id: DeviceId): Promise<DeviceRecord | null>;
  /** Every box, by id. */
  listDevices(): Promise<DeviceRecord[]>;

  /**
   * Sets the desired config with the next version, atomically: two instances
   * writing at once get distinct, increasing versions. Null for an unknown box.
   */
  putDesiredConfig(id: DeviceId, config: Record<string, string>): Promise<number | null>;

  /**
   * Each ignores unknown boxes (a message from a deleted box); a revoked box
   * is still known, so its last will is still recorded. A record older than
   * the stored one (by `at`) does not replace it; lastSeen only moves forward.
   */
  recordStatus(id: DeviceId, status: Status, at: string): Promise<void>;
  recordReported(id: DeviceId, reported: ReportedState, at: string): Promise<void>;
  /**
   * Keeps the sample in the history and, unless a newer one is stored, as the
   * box's latest health. Samples are written in batches (about every 100 ms):
   * the promise settles when this one's batch is written, and every read
   * (getDevice, listDevices, healthHistory, pruneHealth) and close() first
   * writes what is waiting.
   */
  recordHealth(id: DeviceId, health: Health, at: string): Promise<void>;
  /** Samples with from <= at < to, oldest first, at most `limit`. */
  healthHistory(id: DeviceId, from: string, to: string, limit: number): Promise<HealthSample[]>;
  /** Deletes samples older than `before`; returns how many. */
  pruneHealth(before: string): Promise<number>;

  /** Stores a staged rollout (fleet/balena/rollout-plan.ts), replacing the stored one with its id. */
  saveRollout(rollout: Rollout): Promise<void>;
  /** The rollout started last (running or finished), or null: a restarted service resumes it. */
  latestRollout(): Promise<Rollout | null>;

  /** Appends events to a box's timeline (fleet/timeline.ts), in order; an unknown box's are not kept. */
  recordTimeline(id: DeviceId, events: readonly TimelineEvent[]): Promise<void>;
  /** The newest events first, at most `limit`; with `before`, only those older than it. */
  timeline(id: DeviceId, limit: number, before?: string): Promise<TimelineEvent[]>;
  /** Deletes events older than `before` (kept as long as health); returns how many. */
  pruneTimeline(before: string): Promise<number>;
}
