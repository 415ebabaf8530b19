import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import { SqliteStore } from '../../fleet/store/sqlite-store.js';
import { storeContract } from '../helpers/store-contract.js';

/** A real SQLite file in a temp dir: fast enough for the unit tests. */
describe('SqliteStore', { timeout: 60_000 }, () => {
  let dir: string;
  let databases = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roomcast-sqlite-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  storeContract(() => {
    const path = join(dir, `fleet-${++databases}.sqlite`);
    return Promise.resolve(async (healthBatch) => {
      const store = new SqliteStore(path, healthBatch === undefined ? {} : { healthBatch });
      await store.migrate();
      return store;
    });
  });
});
