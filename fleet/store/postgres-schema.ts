/**
 * The PostgreSQL tables: the same columns as sqlite-schema.ts, with
 * timestamptz times and jsonb documents (so an operator can query health in
 * SQL). `seq` orders samples that share a time, as rowid does in SQLite.
 */
export const POSTGRES_SCHEMA = `
CREATE TABLE IF NOT EXISTS settings (
  name  text PRIMARY KEY,
  value text NOT NULL
);

CREATE TABLE IF NOT EXISTS devices (
  id              text PRIMARY KEY,
  name            text NOT NULL,
  enrolled_at     timestamptz NOT NULL,
  password_hash   text,
  status          text CHECK (status IN ('online', 'offline', 'lost')),
  status_at       timestamptz,
  last_seen       timestamptz,
  desired_version integer NOT NULL DEFAULT 0,
  desired_config  jsonb NOT NULL DEFAULT '{}',
  reported        jsonb,
  reported_at     timestamptz,
  health          jsonb,
  health_at       timestamptz
);

CREATE TABLE IF NOT EXISTS health_samples (
  seq       bigint GENERATED ALWAYS AS IDENTITY,
  device_id text NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  at        timestamptz NOT NULL,
  health    jsonb NOT NULL
);

CREATE INDEX IF NOT EXISTS health_samples_device_at ON health_samples (device_id, at, seq);
CREATE INDEX IF NOT EXISTS health_samples_at ON health_samples (at);

CREATE TABLE IF NOT EXISTS rollouts (
  id         text PRIMARY KEY,
  phase      text NOT NULL,
  started_at timestamptz NOT NULL,
  doc        jsonb NOT NULL
);

CREATE INDEX IF NOT EXISTS rollouts_started_at ON rollouts (started_at);

CREATE TABLE IF NOT EXISTS timeline_events (
  seq       bigint GENERATED ALWAYS AS IDENTITY,
  device_id text NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
  at        timestamptz NOT NULL,
  kind      text NOT NULL,
  message   text NOT NULL
);

CREATE INDEX IF NOT EXISTS timeline_events_device_at ON timeline_events (device_id, at, seq);
CREATE INDEX IF NOT EXISTS timeline_events_at ON timeline_events (at);
`;

/**
 * Held (per transaction) around the schema: CREATE TABLE IF NOT EXISTS is
 * not safe against itself, and two instances starting at once would
 * otherwise fail on a duplicate pg_type row. The key is "roomcast" in ASCII.
 */
export const MIGRATE_LOCK_KEY = '8245935277855761268';
