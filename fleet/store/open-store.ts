import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../common/log.js';
import { chooseDatabase } from './database-url.js';
import { PostgresStore } from './postgres-store.js';
import { SqliteStore } from './sqlite-store.js';
import type { FleetStore } from './types.js';

export interface OpenStoreOptions {
  /** ROOMCAST_FLEET_DATABASE_URL: PostgreSQL when set, else SQLite in the data dir. */
  databaseUrl: string | null;
  dataDir: string;
  logger?: Logger;
}

export const SQLITE_FILE = 'fleet.sqlite';

/** Opens and migrates the fleet store; on failure nothing stays open. */
export async function openStore(opts: OpenStoreOptions): Promise<FleetStore> {
  const choice = chooseDatabase(opts.databaseUrl);
  let store: FleetStore;
  switch (choice.kind) {
    case 'postgres':
      store = new PostgresStore(choice.url, opts.logger === undefined ? {} : { logger: opts.logger });
      break;
    case 'sqlite':
      await mkdir(opts.dataDir, { recursive: true });
      store = new SqliteStore(join(opts.dataDir, SQLITE_FILE));
      break;
  }
  try {
    await store.migrate();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}
