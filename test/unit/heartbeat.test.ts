import assert from 'node:assert/strict';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HEARTBEAT_STALE_MS, heartbeatPath, heartbeatProblem } from '../../device/heartbeat.js';

describe('the container healthcheck\'s heartbeat', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roomcast-heartbeat-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('is healthy while fresh, and says why not when missing, stale or in error', async () => {
    const path = heartbeatPath({ ROOMCAST_HOST_SHM: dir });
    assert.match((await heartbeatProblem(path)) ?? '', /has not started/);
    await writeFile(path, 'live\n');
    assert.equal(await heartbeatProblem(path), null);
    await writeFile(path, 'error\n');
    assert.match((await heartbeatProblem(path)) ?? '', /reports an error/);
    await writeFile(path, 'idle\n');
    const old = (Date.now() - HEARTBEAT_STALE_MS - 5000) / 1000;
    await utimes(path, old, old);
    assert.match((await heartbeatProblem(path)) ?? '', /s old/);
  });
});
