/**
 * The SQLite tables. Times are TEXT in toISOString() form (checks.ts), which
 * sorts as time does; JSON columns are TEXT. The same column names as
 * postgres-schema.ts, so device-row.ts maps both.
 */
export const SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS settings (
  name  TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS devices (
  id              TEXT PRIMARY KEY,
  name            TEXT NOT NULL,
  enrolled_at     TEXT NOT NULL,
  password_hash   TEXT,
  status          TEXT CHECK (status IN ('online', 'offline', 'lost')),
  status_at       TEXT,
  last_seen       TEXT,
  desired_version INTEGER NOT NULL DEFAULT 0,
  desired_config  TEXT NOT NULL DEFAULT '{}',
  reported        TEXT,
  reported_at     TEXT,
  health          TEXT,
  health_at       TEXT
) STRICT;

CREATE TABLE IF NOT EXISTS health_samples (
  device_id TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  at        TEXT NOT NULL,
  health    TEXT NOT NULL
) STRICT;

CREATE INDEX IF NOT EXISTS health_samples_device_at ON health_samples (device_id, at);
CREATE INDEX IF NOT EXISTS health_samples_at ON health_samples (at);

CREATE TABLE IF NOT EXISTS rollouts (
  id         TEXT PRIMARY KEY,
  phase      TEXT NOT NULL,
  started_at TEXT NOT NULL,
  doc        TEXT NOT NULL
) STRICT;

CREATE INDEX IF NOT EXISTS rollouts_started_at ON rollouts (started_at);

CREATE TABLE IF NOT EXISTS timeline_events (
  device_id TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  at        TEXT NOT NULL,
  kind      TEXT NOT NULL,
  message   TEXT NOT NULL
) STRICT;

CREATE INDEX IF NOT EXISTS timeline_events_device_at ON timeline_events (device_id, at);
CREATE INDEX IF NOT EXISTS timeline_events_at ON timeline_events (at);
`;
