import assert from 'node:assert/strict';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { openStore } from '../../fleet/store/open-store.js';
import { PostgresStore } from '../../fleet/store/postgres-store.js';
import type { FleetStore } from '../../fleet/store/types.js';
import { startPostgres, type TestPostgres } from '../../testbed/postgres.js';
import { deviceId, healthAt, storeContract, T } from '../helpers/store-contract.js';

/** The PostgreSQL store against a real server (Debian's postgresql, started by the testbed). */
describe('PostgresStore', { timeout: 120_000 }, () => {
  let server: TestPostgres;
  let databases = 0;
  const opened: FleetStore[] = [];

  const newDatabase = (): Promise<string> => server.createDatabase(`fleet_${++databases}`);
  const instance = (url: string): PostgresStore => {
    const store = new PostgresStore(url);
    opened.push(store);
    return store;
  };

  before(async () => {
    server = await startPostgres();
  });

  after(async () => {
    for (const store of opened) await store.close();
    await server?.stop();
  });

  describe('the store contract', () => {
    storeContract(async () => {
      const url = await newDatabase();
      return async (healthBatch) => {
        const store = new PostgresStore(url, healthBatch === undefined ? {} : { healthBatch });
        await store.migrate();
        return store;
      };
    });
  });

  describe('several instances on one database', () => {
    test('four instances migrating at once all succeed and see one schema', async () => {
      const url = await newDatabase();
      const stores = [1, 2, 3, 4].map(() => instance(url));
      await Promise.all(stores.map((s) => s.migrate()));
      const [first, second] = stores;
      assert.ok(first && second);
      await first.enrolDevice(deviceId('box-a'), 'h', null, T(0));
      assert.deepEqual((await second.listDevices()).map((d) => d.id), ['box-a']);
    });

    test('desired configs from two instances get distinct, increasing versions', async () => {
      const url = await newDatabase();
      const [a, b] = [instance(url), instance(url)];
      await Promise.all([a.migrate(), b.migrate()]);
      const id = deviceId('box-a');
      await a.enrolDevice(id, 'h', null, T(0));
      const racing = await Promise.all(Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? a : b).putDesiredConfig(id, { ROOMCAST_FRAMERATE: String(i) })));
      assert.deepEqual([...racing].sort((x, y) => (x ?? 0) - (y ?? 0)), Array.from({ length: 60 }, (_, i) => i + 1));
      const interleaved: (number | null)[] = [];
      for (let i = 0; i < 10; i++) interleaved.push(await (i % 2 === 0 ? a : b).putDesiredConfig(id, {}));
      assert.deepEqual(interleaved, Array.from({ length: 10 }, (_, i) => 61 + i));
    });

    test('health batches from two instances over the same boxes are all kept (no deadlock)', async () => {
      const url = await newDatabase();
      const [a, b] = [instance(url), instance(url)];
      await Promise.all([a.migrate(), b.migrate()]);
      const boxes = Array.from({ length: 40 }, (_, i) => deviceId(`box-${i}`));
      for (const id of boxes) await a.enrolDevice(id, 'h', null, T(0));
      // Each instance walks the boxes in a different order, so unordered row locks would cross.
      const forward = boxes.flatMap((id) => [0, 2, 4, 6, 8].map((n) => a.recordHealth(id, healthAt(n), T(n))));
      const backward = [...boxes].reverse().flatMap((id) => [1, 3, 5, 7, 9].map((n) => b.recordHealth(id, healthAt(n), T(n))));
      await Promise.all([...forward, ...backward]);
      for (const id of boxes) {
        assert.equal((await a.healthHistory(id, T(0), T(10), 100)).length, 10);
        assert.equal((await b.getDevice(id))?.healthAt, T(9));
      }
    });
  });

  describe('openStore', () => {
    test('a postgres:// URL opens a migrated PostgresStore; the data dir stays empty', async () => {
      const url = await newDatabase();
      const dataDir = await mkdtemp(join(tmpdir(), 'roomcast-open-'));
      try {
        const store = await openStore({ databaseUrl: url.replace(/^postgres:/, 'postgresql:'), dataDir });
        opened.push(store);
        assert.ok(store instanceof PostgresStore);
        await store.enrolDevice(deviceId('box-a'), 'h', null, T(0));
        await assert.rejects(access(join(dataDir, 'fleet.sqlite')));
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    });

    test('a database that is not there is an error that does not show the password', async () => {
      const url = `postgres://fleet:s3cret-passw0rd@127.0.0.1:${server.port}/no_such_database`;
      const err = await openStore({ databaseUrl: url, dataDir: '/nonexistent' }).then(
        () => null,
        (e: unknown) => e,
      );
      assert.ok(err instanceof Error);
      assert.doesNotMatch(`${err.message} ${err.stack ?? ''}`, /s3cret-passw0rd/);
    });
  });

  describe('the testbed', () => {
    test('a second server in the same process is independent and leaves nothing behind', async () => {
      const second = await startPostgres();
      try {
        assert.notEqual(second.port, server.port);
        assert.equal((await readFile(`/proc/${second.pid}/comm`, 'utf8')).trim(), 'postgres');
        const client = new pg.Client({ connectionString: second.url });
        await client.connect();
        try {
          await client.query('CREATE TABLE only_here (x int)');
          const { rows } = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'only_here'");
          assert.equal(rows[0]?.n, 1);
        } finally {
          await client.end();
        }
        const first = new pg.Client({ connectionString: server.url });
        await first.connect();
        try {
          const { rows } = await first.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'only_here'");
          assert.equal(rows[0]?.n, 0);
        } finally {
          await first.end();
        }
      } finally {
        await second.stop();
      }
      await assert.rejects(access(second.dir));
      assert.throws(() => process.kill(second.pid, 0), /ESRCH/);
    });
  });
});
