import assert from 'node:assert/strict';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DatabaseUrlError } from '../../fleet/store/errors.js';
import { openStore } from '../../fleet/store/open-store.js';
import { SqliteStore } from '../../fleet/store/sqlite-store.js';
import { deviceId, T } from '../helpers/store-contract.js';

describe('openStore', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roomcast-open-store-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('without a URL: a migrated SQLite store at <dataDir>/fleet.sqlite, which outlives the store', async () => {
    const dataDir = join(dir, 'fleet-data');
    const store = await openStore({ databaseUrl: null, dataDir });
    assert.ok(store instanceof SqliteStore);
    await store.enrolDevice(deviceId('box-a'), 'h', null, T(0));
    await store.close();
    await access(join(dataDir, 'fleet.sqlite'));
    const again = await openStore({ databaseUrl: '', dataDir });
    assert.deepEqual((await again.listDevices()).map((d) => d.id), ['box-a']);
    await again.close();
  });

  test('a URL that is not PostgreSQL is a DatabaseUrlError that masks the password, and nothing is created', async () => {
    const dataDir = join(dir, 'untouched');
    await assert.rejects(openStore({ databaseUrl: 'mysql://fleet:do-not-print-me@db/fleet', dataDir }), (err: unknown) => {
      assert.ok(err instanceof DatabaseUrlError);
      assert.doesNotMatch(err.message, /do-not-print-me/);
      assert.match(err.message, /mysql:\/\/fleet:\*\*\*\*@db\/fleet/);
      return true;
    });
    await assert.rejects(access(dataDir));
  });
});
