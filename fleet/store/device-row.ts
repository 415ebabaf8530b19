import { decodePayload, parseDeviceId, type Health, type ReportedState, type Status } from '../../common/protocol.js';
import { StoredValueError } from './errors.js';
import { TIMELINE_KINDS, type TimelineEvent } from '../timeline.js';
import type { DeviceRecord, HealthSample } from './types.js';

/**
 * A devices row as both backends return it: the same column names, JSON
 * columns as text (PostgreSQL selects its jsonb columns ::text), times as
 * the stored ISO text (SQLite) or a Date (pg's timestamptz). Type aliases,
 * not interfaces: pg's row type wants an index signature.
 */
export type DeviceRow = {
  id: string;
  name: string;
  enrolled_at: StoredTime;
  password_hash: string | null;
  status: string | null;
  status_at: StoredTime | null;
  last_seen: StoredTime | null;
  desired_version: number | string;
  desired_config: string;
  reported: string | null;
  reported_at: StoredTime | null;
  health: string | null;
  health_at: StoredTime | null;
};

export type HealthRow = {
  at: StoredTime;
  health: string;
};

export type TimelineRow = {
  at: StoredTime;
  kind: string;
  message: string;
};

type StoredTime = string | Date;

const STATUSES: readonly Status[] = ['online', 'offline', 'lost'];

export function deviceFromRow(row: DeviceRow): DeviceRecord {
  const id = parseDeviceId(row.id);
  if (id === null) throw new StoredValueError('a stored device id is not a valid device id');
  const where = `device ${id}`;
  return {
    id,
    name: row.name,
    enrolledAt: isoOf(row.enrolled_at),
    passwordHash: row.password_hash,
    status: row.status === null ? null : statusOf(row.status, where),
    statusAt: optionalIso(row.status_at),
    lastSeen: optionalIso(row.last_seen),
    desiredVersion: versionOf(row.desired_version, where),
    desiredConfig: configOf(row.desired_config, where),
    reported: row.reported === null ? null : reportedOf(row.reported, where),
    reportedAt: optionalIso(row.reported_at),
    health: row.health === null ? null : healthOf(row.health, where),
    healthAt: optionalIso(row.health_at),
  };
}

export function sampleFromRow(row: HealthRow, id: string): HealthSample {
  return { at: isoOf(row.at), health: healthOf(row.health, `health sample of ${id}`) };
}

export function timelineFromRow(row: TimelineRow, id: string): TimelineEvent {
  const kind = TIMELINE_KINDS.find((k) => k === row.kind);
  if (kind === undefined) throw new StoredValueError(`timeline of ${id}: stored kind is not one this release knows`);
  return { at: isoOf(row.at), kind, message: row.message };
}

/** What goes into a JSON column; the same text both backends keep. */
export function jsonColumn(value: Health | ReportedState | Record<string, string>): string {
  return JSON.stringify(value);
}

function isoOf(value: StoredTime): string {
  return typeof value === 'string' ? value : value.toISOString();
}

function optionalIso(value: StoredTime | null): string | null {
  return value === null ? null : isoOf(value);
}

function statusOf(raw: string, where: string): Status {
  const status = STATUSES.find((s) => s === raw);
  if (status === undefined) throw new StoredValueError(`${where}: stored status is not one of ${STATUSES.join(', ')}`);
  return status;
}

// pg returns bigint columns as strings; the version is an integer column, but be exact either way.
function versionOf(raw: number | string, where: string): number {
  const version = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isSafeInteger(version) || version < 0) throw new StoredValueError(`${where}: stored desired version is not a whole number`);
  return version;
}

// The protocol's decoders check what is read back, as they check what arrives:
// a row written by hand or by a newer release fails here, by name, not later.
function reportedOf(text: string, where: string): ReportedState {
  const decoded = decodePayload('reported', text);
  if (!decoded.ok) throw new StoredValueError(`${where}: stored reported state does not decode (${decoded.error})`);
  return decoded.value;
}

function healthOf(text: string, where: string): Health {
  const decoded = decodePayload('health', text);
  if (!decoded.ok) throw new StoredValueError(`${where}: stored health does not decode (${decoded.error})`);
  return decoded.value;
}

// Never quotes the value: it holds stream keys.
function configOf(text: string, where: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new StoredValueError(`${where}: stored desired config is not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new StoredValueError(`${where}: stored desired config is not an object`);
  const config: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof value !== 'string') throw new StoredValueError(`${where}: stored desired config value ${name} is not a string`);
    config[name] = value;
  }
  return config;
}
