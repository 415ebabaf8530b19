import pg from 'pg';
import { createLogger, type Logger } from '../../common/log.js';
import type { Rollout } from '../balena/rollout-plan.js';
import type { DeviceId, Health, ReportedState, Status } from '../../common/protocol.js';
import { checkedLimit, storedTime } from './checks.js';
import { deviceFromRow, jsonColumn, sampleFromRow, timelineFromRow, type DeviceRow, type HealthRow, type TimelineRow } from './device-row.js';
import { StoreClosedError, StoreError } from './errors.js';
import { DEFAULT_BATCH, HealthBatcher, type BatchOptions, type PendingHealth } from './health-batcher.js';
import { latestRolloutSql, rolloutColumns, rolloutFromRow, type RolloutRow } from './rollout-row.js';
import { MIGRATE_LOCK_KEY, POSTGRES_SCHEMA } from './postgres-schema.js';
import type { TimelineEvent } from '../timeline.js';
import type { DeviceRecord, FleetStore, HealthSample } from './types.js';

export interface PostgresStoreOptions {
  healthBatch?: BatchOptions;
  /** Connections this instance may hold; several instances share the server's max_connections. */
  maxConnections?: number;
  logger?: Logger;
}

const DEVICE_COLUMNS = `id, name, enrolled_at, password_hash, status, status_at, last_seen, desired_version,
  desired_config::text AS desired_config, reported::text AS reported, reported_at, health::text AS health, health_at`;

// As in SQLite: a record older than the stored one does not replace it, and
// last_seen only moves forward (GREATEST ignores NULL).
const newer = (col: string, at: string): string => `(${col} IS NULL OR ${col} <= ${at})`;
// The time parameter of the status and reported updates.
const AT = '$3::timestamptz';

const HEALTH_BATCH = `
WITH batch AS (
  SELECT b.device_id, b.at, b.health, b.ord
  FROM unnest($1::text[], $2::timestamptz[], $3::jsonb[]) WITH ORDINALITY AS b (device_id, at, health, ord)
  JOIN devices d ON d.id = b.device_id
), kept AS (
  INSERT INTO health_samples (device_id, at, health) SELECT device_id, at, health FROM batch ORDER BY ord
), newest AS (
  SELECT DISTINCT ON (device_id) device_id, at, health FROM batch ORDER BY device_id, at DESC, ord DESC
)
UPDATE devices d SET
  health = CASE WHEN ${newer('d.health_at', 'n.at')} THEN n.health ELSE d.health END,
  health_at = CASE WHEN ${newer('d.health_at', 'n.at')} THEN n.at ELSE d.health_at END,
  last_seen = GREATEST(d.last_seen, n.at)
FROM newest n WHERE d.id = n.device_id`;

/**
 * The shared store: several fleet service instances on one PostgreSQL
 * database. Every write that others may race is one atomic statement (the
 * desired version, first-writer-wins settings); the schema is created under
 * an advisory lock; health batches lock their boxes' rows in id order, so two
 * instances writing overlapping batches queue instead of deadlocking.
 */
export class PostgresStore implements FleetStore {
  private readonly pool: pg.Pool;
  private readonly batcher: HealthBatcher;
  private closed = false;

  constructor(url: string, options: PostgresStoreOptions = {}) {
    const log = options.logger ?? createLogger('fleet.store');
    this.pool = new pg.Pool({ connectionString: url, max: options.maxConnections ?? 10 });
    // An idle connection that breaks (server restart) is reported here; without
    // a listener the pool's 'error' event would end the process. pool.end()
    // resolves before its sockets close, so a server stopping right after
    // close() still reaches this: nothing to report once the store is closed.
    this.pool.on('error', (err) => {
      if (!this.closed) log.warn('idle database connection failed', { error: err.message });
    });
    this.batcher = new HealthBatcher((batch) => this.writeHealth(batch), options.healthBatch ?? DEFAULT_BATCH);
  }

  async migrate(): Promise<void> {
    if (this.closed) throw new StoreClosedError();
    await this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATE_LOCK_KEY]);
      await client.query(POSTGRES_SCHEMA);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.batcher.flush();
    await this.pool.end();
  }

  async getSetting(name: string): Promise<string | null> {
    const { rows } = await this.query<{ value: string }>('SELECT value FROM settings WHERE name = $1', [name]);
    return rows[0]?.value ?? null;
  }

  async setSettingIfAbsent(name: string, value: string): Promise<string> {
    // Two statements on purpose: one statement's snapshot would not see a row
    // that a concurrent writer committed while ON CONFLICT waited for it.
    await this.query('INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [name, value]);
    const stored = await this.getSetting(name);
    if (stored === null) throw new StoreError(`setting ${name} vanished after it was written`);
    return stored;
  }

  async setSetting(name: string, value: string): Promise<void> {
    await this.query('INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value', [name, value]);
  }

  async enrolDevice(id: DeviceId, passwordHash: string, name: string | null, at: string): Promise<DeviceRecord> {
    const { rows } = await this.query<DeviceRow>(
      `INSERT INTO devices (id, name, enrolled_at, password_hash) VALUES ($1, COALESCE($3, $1), $4::timestamptz, $2)
       ON CONFLICT (id) DO UPDATE SET password_hash = excluded.password_hash, enrolled_at = excluded.enrolled_at, name = COALESCE($3, devices.name)
       RETURNING ${DEVICE_COLUMNS}`,
      [id, passwordHash, name, storedTime(at, 'enrolment time')],
    );
    const row = rows[0];
    if (row === undefined) throw new StoreError(`enrolling ${id} returned no row`);
    return deviceFromRow(row);
  }

  async revokeDevice(id: DeviceId): Promise<boolean> {
    const { rowCount } = await this.query('UPDATE devices SET password_hash = NULL WHERE id = $1', [id]);
    return rowCount !== null && rowCount > 0;
  }

  async renameDevice(id: DeviceId, name: string): Promise<boolean> {
    const { rowCount } = await this.query('UPDATE devices SET name = $2 WHERE id = $1', [id, name]);
    return rowCount !== null && rowCount > 0;
  }

  async getDevice(id: DeviceId): Promise<DeviceRecord | null> {
    await this.batcher.flush();
    const { rows } = await this.query<DeviceRow>(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE id = $1`, [id]);
    const row = rows[0];
    return row === undefined ? null : deviceFromRow(row);
  }

  async listDevices(): Promise<DeviceRecord[]> {
    await this.batcher.flush();
    const { rows } = await this.query<DeviceRow>(`SELECT ${DEVICE_COLUMNS} FROM devices ORDER BY id`, []);
    return rows.map(deviceFromRow);
  }

  async putDesiredConfig(id: DeviceId, config: Record<string, string>): Promise<number | null> {
    // One statement: the row lock orders concurrent writers, and each reads the version the previous one wrote.
    const { rows } = await this.query<{ desired_version: number }>(
      'UPDATE devices SET desired_version = desired_version + 1, desired_config = $2::jsonb WHERE id = $1 RETURNING desired_version',
      [id, jsonColumn(config)],
    );
    return rows[0]?.desired_version ?? null;
  }

  async recordStatus(id: DeviceId, status: Status, at: string): Promise<void> {
    await this.query(
      `UPDATE devices SET status = CASE WHEN ${newer('status_at', AT)} THEN $2 ELSE status END,
         status_at = CASE WHEN ${newer('status_at', AT)} THEN ${AT} ELSE status_at END, last_seen = GREATEST(last_seen, ${AT})
       WHERE id = $1`,
      [id, status, storedTime(at, 'status time')],
    );
  }

  async recordReported(id: DeviceId, reported: ReportedState, at: string): Promise<void> {
    await this.query(
      `UPDATE devices SET reported = CASE WHEN ${newer('reported_at', AT)} THEN $2::jsonb ELSE reported END,
         reported_at = CASE WHEN ${newer('reported_at', AT)} THEN ${AT} ELSE reported_at END, last_seen = GREATEST(last_seen, ${AT})
       WHERE id = $1`,
      [id, jsonColumn(reported), storedTime(at, 'reported time')],
    );
  }

  // The sample joins the batch before the first await: a read called right after this call must see it.
  async recordHealth(id: DeviceId, health: Health, at: string): Promise<void> {
    if (this.closed) throw new StoreClosedError();
    await this.batcher.add({ id, health, at: storedTime(at, 'health time') });
  }

  async healthHistory(id: DeviceId, from: string, to: string, limit: number): Promise<HealthSample[]> {
    await this.batcher.flush();
    const { rows } = await this.query<HealthRow>(
      'SELECT at, health::text AS health FROM health_samples WHERE device_id = $1 AND at >= $2::timestamptz AND at < $3::timestamptz ORDER BY at, seq LIMIT $4',
      [id, storedTime(from, 'from'), storedTime(to, 'to'), checkedLimit(limit)],
    );
    return rows.map((row) => sampleFromRow(row, id));
  }

  async pruneHealth(before: string): Promise<number> {
    await this.batcher.flush();
    const { rowCount } = await this.query('DELETE FROM health_samples WHERE at < $1::timestamptz', [storedTime(before, 'before')]);
    return rowCount ?? 0;
  }

  async saveRollout(rollout: Rollout): Promise<void> {
    const c = rolloutColumns(rollout, storedTime(rollout.startedAt, 'rollout start'));
    await this.query(
      `INSERT INTO rollouts (id, phase, started_at, doc) VALUES ($1, $2, $3::timestamptz, $4::jsonb)
       ON CONFLICT (id) DO UPDATE SET phase = excluded.phase, started_at = excluded.started_at, doc = excluded.doc`,
      [c.id, c.phase, c.startedAt, c.doc],
    );
  }

  async latestRollout(): Promise<Rollout | null> {
    const { rows } = await this.query<RolloutRow>(latestRolloutSql('doc::text'), []);
    const row = rows[0];
    return row === undefined ? null : rolloutFromRow(row);
  }

  async recordTimeline(id: DeviceId, events: readonly TimelineEvent[]): Promise<void> {
    if (events.length === 0) return;
    const times = events.map((e) => storedTime(e.at, 'event time'));
    // One statement, in the given order (seq follows ORDINALITY); nothing for an unknown box.
    await this.query(
      `INSERT INTO timeline_events (device_id, at, kind, message)
       SELECT $1, e.at, e.kind, e.message FROM unnest($2::timestamptz[], $3::text[], $4::text[]) WITH ORDINALITY AS e (at, kind, message, ord)
       WHERE EXISTS (SELECT 1 FROM devices WHERE id = $1) ORDER BY e.ord`,
      [id, times, events.map((e) => e.kind), events.map((e) => e.message)],
    );
  }

  async timeline(id: DeviceId, limit: number, before?: string): Promise<TimelineEvent[]> {
    const { rows } = await this.query<TimelineRow>(
      'SELECT at, kind, message FROM timeline_events WHERE device_id = $1 AND ($2::timestamptz IS NULL OR at < $2::timestamptz) ORDER BY at DESC, seq DESC LIMIT $3',
      [id, before === undefined ? null : storedTime(before, 'before'), checkedLimit(limit)],
    );
    return rows.map((row) => timelineFromRow(row, id));
  }

  async pruneTimeline(before: string): Promise<number> {
    const { rowCount } = await this.query('DELETE FROM timeline_events WHERE at < $1::timestamptz', [storedTime(before, 'before')]);
    return rowCount ?? 0;
  }

  private async query<R extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params: unknown[]): Promise<pg.QueryResult<R>> {
    if (this.closed) throw new StoreClosedError();
    return this.pool.query<R>(sql, params);
  }

  private async writeHealth(batch: readonly PendingHealth[]): Promise<void> {
    const ids = [...new Set(batch.map((s) => s.id))].sort();
    await this.transaction(async (client) => {
      await client.query('SELECT 1 FROM devices WHERE id = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE', [ids]);
      await client.query(HEALTH_BATCH, [batch.map((s) => s.id), batch.map((s) => s.at), batch.map((s) => jsonColumn(s.health))]);
    });
  }

  // Not through query(): close() writes the last health batch after marking the store closed.
  private async transaction(work: (client: pg.PoolClient) => Promise<void>): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await work(client);
      await client.query('COMMIT');
      client.release();
    } catch (err) {
      // A connection that cannot even roll back is discarded, not returned to the pool.
      const broken = await client.query('ROLLBACK').then(
        () => undefined,
        (rollbackErr: unknown) => (rollbackErr instanceof Error ? rollbackErr : new StoreError('rollback failed')),
      );
      client.release(broken);
      throw err;
    }
  }
}
