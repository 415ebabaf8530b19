import Database from 'better-sqlite3';
import type { Rollout } from '../balena/rollout-plan.js';
import type { DeviceId, Health, ReportedState, Status } from '../../common/protocol.js';
import { checkedLimit, storedTime } from './checks.js';
import { deviceFromRow, jsonColumn, sampleFromRow, timelineFromRow, type DeviceRow, type HealthRow, type TimelineRow } from './device-row.js';
import { StoreClosedError, StoreError } from './errors.js';
import { DEFAULT_BATCH, HealthBatcher, type BatchOptions, type PendingHealth } from './health-batcher.js';
import { latestRolloutSql, rolloutColumns, rolloutFromRow, type RolloutRow } from './rollout-row.js';
import { SQLITE_SCHEMA } from './sqlite-schema.js';
import type { TimelineEvent } from '../timeline.js';
import type { DeviceRecord, FleetStore, HealthSample } from './types.js';

export interface SqliteStoreOptions {
  healthBatch?: BatchOptions;
  /** How long a statement waits for another connection's write lock (a CLI reading the same file). */
  busyTimeoutMs?: number;
}

type Statements = ReturnType<typeof prepare>;

// A record for `at` replaces the stored one only if it is not older: two
// fleet instances, or a batch written late, cannot roll a box's status back.
// last_seen only moves forward.
const NEWER = (col: string): string => `(${col} IS NULL OR ${col} <= @at)`;
const LAST_SEEN = `last_seen = CASE WHEN last_seen IS NULL OR last_seen < @at THEN @at ELSE last_seen END`;

function prepare(db: Database.Database) {
  return {
    getSetting: db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE name = ?'),
    insertSetting: db.prepare<[string, string]>('INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING'),
    setSetting: db.prepare<[string, string]>('INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value'),
    enrol: db.prepare<[{ id: string; hash: string; name: string | null; at: string }], DeviceRow>(
      `INSERT INTO devices (id, name, enrolled_at, password_hash) VALUES (@id, COALESCE(@name, @id), @at, @hash)
       ON CONFLICT (id) DO UPDATE SET password_hash = excluded.password_hash, enrolled_at = excluded.enrolled_at, name = COALESCE(@name, devices.name)
       RETURNING *`,
    ),
    revoke: db.prepare<[string]>('UPDATE devices SET password_hash = NULL WHERE id = ?'),
    rename: db.prepare<[string, string]>('UPDATE devices SET name = ? WHERE id = ?'),
    device: db.prepare<[string], DeviceRow>('SELECT * FROM devices WHERE id = ?'),
    devices: db.prepare<[], DeviceRow>('SELECT * FROM devices ORDER BY id'),
    putDesired: db.prepare<[{ id: string; config: string }], { desired_version: number }>(
      'UPDATE devices SET desired_version = desired_version + 1, desired_config = @config WHERE id = @id RETURNING desired_version',
    ),
    status: db.prepare<[{ id: string; status: Status; at: string }]>(
      `UPDATE devices SET status = CASE WHEN ${NEWER('status_at')} THEN @status ELSE status END,
         status_at = CASE WHEN ${NEWER('status_at')} THEN @at ELSE status_at END, ${LAST_SEEN}
       WHERE id = @id`,
    ),
    reported: db.prepare<[{ id: string; reported: string; at: string }]>(
      `UPDATE devices SET reported = CASE WHEN ${NEWER('reported_at')} THEN @reported ELSE reported END,
         reported_at = CASE WHEN ${NEWER('reported_at')} THEN @at ELSE reported_at END, ${LAST_SEEN}
       WHERE id = @id`,
    ),
    latestHealth: db.prepare<[{ id: string; health: string; at: string }]>(
      `UPDATE devices SET health = CASE WHEN ${NEWER('health_at')} THEN @health ELSE health END,
         health_at = CASE WHEN ${NEWER('health_at')} THEN @at ELSE health_at END, ${LAST_SEEN}
       WHERE id = @id`,
    ),
    insertHealth: db.prepare<[{ id: string; health: string; at: string }]>('INSERT INTO health_samples (device_id, at, health) VALUES (@id, @at, @health)'),
    history: db.prepare<[string, string, string, number], HealthRow>(
      'SELECT at, health FROM health_samples WHERE device_id = ? AND at >= ? AND at < ? ORDER BY at, rowid LIMIT ?',
    ),
    prune: db.prepare<[string]>('DELETE FROM health_samples WHERE at < ?'),
    saveRollout: db.prepare<[{ id: string; phase: string; startedAt: string; doc: string }]>(
      `INSERT INTO rollouts (id, phase, started_at, doc) VALUES (@id, @phase, @startedAt, @doc)
       ON CONFLICT (id) DO UPDATE SET phase = excluded.phase, started_at = excluded.started_at, doc = excluded.doc`,
    ),
    latestRollout: db.prepare<[], RolloutRow>(latestRolloutSql('doc')),
    insertEvent: db.prepare<[{ id: string; at: string; kind: string; message: string }]>(
      'INSERT INTO timeline_events (device_id, at, kind, message) SELECT @id, @at, @kind, @message WHERE EXISTS (SELECT 1 FROM devices WHERE id = @id)',
    ),
    timeline: db.prepare<[{ id: string; before: string | null; limit: number }], TimelineRow>(
      'SELECT at, kind, message FROM timeline_events WHERE device_id = @id AND (@before IS NULL OR at < @before) ORDER BY at DESC, rowid DESC LIMIT @limit',
    ),
    pruneTimeline: db.prepare<[string]>('DELETE FROM timeline_events WHERE at < ?'),
  };
}

/**
 * The embedded store: one SQLite file in the fleet data dir, for a single
 * fleet service instance. better-sqlite3 is synchronous; every method still
 * returns a promise, and its errors arrive as rejections.
 */
export class SqliteStore implements FleetStore {
  private readonly db: Database.Database;
  private statements: Statements | null = null;
  private readonly batcher: HealthBatcher;
  private closed = false;

  constructor(path: string, options: SqliteStoreOptions = {}) {
    this.db = new Database(path);
    // WAL lets readers (a backup, the CLI) run beside the writer. FULL
    // syncs each commit: a desired version lost to a power cut would be
    // handed out again, and a box that applied the first would ignore the second.
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    this.db.pragma('foreign_keys = ON');
    this.batcher = new HealthBatcher((batch) => Promise.resolve().then(() => this.writeHealth(batch)), options.healthBatch ?? DEFAULT_BATCH);
  }

  migrate(): Promise<void> {
    return this.sync(() => {
      if (this.closed) throw new StoreClosedError();
      this.db.transaction(() => this.db.exec(SQLITE_SCHEMA)).immediate();
      this.statements ??= prepare(this.db);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.batcher.flush();
    this.db.close();
  }

  getSetting(name: string): Promise<string | null> {
    return this.sync(() => this.ready().getSetting.get(name)?.value ?? null);
  }

  setSettingIfAbsent(name: string, value: string): Promise<string> {
    return this.sync(() => {
      const st = this.ready();
      st.insertSetting.run(name, value);
      const stored = st.getSetting.get(name);
      if (stored === undefined) throw new StoreError(`setting ${name} vanished after it was written`);
      return stored.value;
    });
  }

  setSetting(name: string, value: string): Promise<void> {
    return this.sync(() => void this.ready().setSetting.run(name, value));
  }

  enrolDevice(id: DeviceId, passwordHash: string, name: string | null, at: string): Promise<DeviceRecord> {
    return this.sync(() => {
      const row = this.ready().enrol.get({ id, hash: passwordHash, name, at: storedTime(at, 'enrolment time') });
      if (row === undefined) throw new StoreError(`enrolling ${id} returned no row`);
      return deviceFromRow(row);
    });
  }

  revokeDevice(id: DeviceId): Promise<boolean> {
    return this.sync(() => this.ready().revoke.run(id).changes > 0);
  }

  renameDevice(id: DeviceId, name: string): Promise<boolean> {
    return this.sync(() => this.ready().rename.run(name, id).changes > 0);
  }

  async getDevice(id: DeviceId): Promise<DeviceRecord | null> {
    await this.batcher.flush();
    return this.sync(() => {
      const row = this.ready().device.get(id);
      return row === undefined ? null : deviceFromRow(row);
    });
  }

  async listDevices(): Promise<DeviceRecord[]> {
    await this.batcher.flush();
    return this.sync(() => this.ready().devices.all().map(deviceFromRow));
  }

  putDesiredConfig(id: DeviceId, config: Record<string, string>): Promise<number | null> {
    return this.sync(() => this.ready().putDesired.get({ id, config: jsonColumn(config) })?.desired_version ?? null);
  }

  recordStatus(id: DeviceId, status: Status, at: string): Promise<void> {
    return this.sync(() => void this.ready().status.run({ id, status, at: storedTime(at, 'status time') }));
  }

  recordReported(id: DeviceId, reported: ReportedState, at: string): Promise<void> {
    return this.sync(() => void this.ready().reported.run({ id, reported: jsonColumn(reported), at: storedTime(at, 'reported time') }));
  }

  // Async for its rejections, but the sample joins the batch before the first
  // await: a read called right after this call must see it.
  async recordHealth(id: DeviceId, health: Health, at: string): Promise<void> {
    this.ready();
    await this.batcher.add({ id, health, at: storedTime(at, 'health time') });
  }

  async healthHistory(id: DeviceId, from: string, to: string, limit: number): Promise<HealthSample[]> {
    await this.batcher.flush();
    return this.sync(() =>
      this.ready()
        .history.all(id, storedTime(from, 'from'), storedTime(to, 'to'), checkedLimit(limit))
        .map((row) => sampleFromRow(row, id)),
    );
  }

  async pruneHealth(before: string): Promise<number> {
    await this.batcher.flush();
    return this.sync(() => this.ready().prune.run(storedTime(before, 'before')).changes);
  }

  saveRollout(rollout: Rollout): Promise<void> {
    return this.sync(() => void this.ready().saveRollout.run(rolloutColumns(rollout, storedTime(rollout.startedAt, 'rollout start'))));
  }

  latestRollout(): Promise<Rollout | null> {
    return this.sync(() => {
      const row = this.ready().latestRollout.get();
      return row === undefined ? null : rolloutFromRow(row);
    });
  }

  recordTimeline(id: DeviceId, events: readonly TimelineEvent[]): Promise<void> {
    return this.sync(() => {
      const st = this.ready();
      const rows = events.map((e) => ({ id, at: storedTime(e.at, 'event time'), kind: e.kind, message: e.message }));
      this.db.transaction(() => rows.forEach((row) => st.insertEvent.run(row)))();
    });
  }

  timeline(id: DeviceId, limit: number, before?: string): Promise<TimelineEvent[]> {
    return this.sync(() =>
      this.ready()
        .timeline.all({ id, before: before === undefined ? null : storedTime(before, 'before'), limit: checkedLimit(limit) })
        .map((row) => timelineFromRow(row, id)),
    );
  }

  pruneTimeline(before: string): Promise<number> {
    return this.sync(() => this.ready().pruneTimeline.run(storedTime(before, 'before')).changes);
  }

  private ready(): Statements {
    if (this.closed) throw new StoreClosedError();
    if (this.statements === null) throw new StoreError('the fleet store is not migrated: call migrate() first');
    return this.statements;
  }

  // One transaction per batch; a sample of an unknown box updates no row and is not kept.
  private writeHealth(batch: readonly PendingHealth[]): void {
    // Not ready(): close() writes the last batch after it has marked the store closed.
    const st = this.statements;
    if (!this.db.open) throw new StoreClosedError();
    if (st === null) throw new StoreError('the fleet store is not migrated: call migrate() first');
    this.db.transaction(() => {
      for (const sample of batch) {
        const row = { id: sample.id, at: sample.at, health: jsonColumn(sample.health) };
        if (st.latestHealth.run(row).changes > 0) st.insertHealth.run(row);
      }
    })();
  }

  /** Runs synchronous database work so that a throw becomes a rejection. */
  private sync<T>(work: () => T): Promise<T> {
    return new Promise((resolve) => resolve(work()));
  }
}
