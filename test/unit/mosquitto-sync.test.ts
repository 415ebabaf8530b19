import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseDeviceId, type DeviceId } from '../../common/protocol.js';
import { MosquittoSync } from '../../fleet/broker/mosquitto-sync.js';
import { hashMosquittoPassword } from '../../fleet/credentials.js';
import { mosquittoPaths } from '../../fleet/mosquitto/write-files.js';
import { SqliteStore } from '../../fleet/store/sqlite-store.js';
import { LogLines } from '../helpers/log-lines.js';

const id = (raw: string): DeviceId => parseDeviceId(raw) ?? assert.fail(raw);

describe('MosquittoSync', () => {
  let dir: string;
  let store: SqliteStore;
  const log = new LogLines();
  let sync: MosquittoSync;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roomcast-mosquitto-sync-'));
    store = new SqliteStore(join(dir, 'fleet.sqlite'));
    await store.migrate();
    sync = new MosquittoSync({ store, dir: join(dir, 'mosquitto'), pidFile: null, fleetHash: hashMosquittoPassword('fleet'), logger: log.logger });
    await sync.start();
  });

  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('joins a burst of enrolments into a few rewrites, each caller settling once its box is in the file', async () => {
    const hash = hashMosquittoPassword('box');
    const before = log.lines.filter((l) => l.msg === 'Mosquitto accounts written').length;
    await Promise.all(
      Array.from({ length: 20 }, async (_, n) => {
        await store.enrolDevice(id(`burst-${n}`), hash, null, new Date().toISOString());
        await sync.credentialsChanged();
        assert.match(await readFile(mosquittoPaths(join(dir, 'mosquitto')).passwordFile, 'utf8'), new RegExp(`^burst-${n}:`, 'm'));
      }),
    );
    const rewrites = log.lines.filter((l) => l.msg === 'Mosquitto accounts written').length - before;
    assert.ok(rewrites >= 1 && rewrites <= 2, `${rewrites} rewrites for 20 enrolments`);
  });
});
