import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../common/log.js';
import { UpdateLockKeeper } from '../../device/updates/lock-keeper.js';
import { isOurLeftover, ownerLine, wantsLock } from '../../device/updates/lock-rule.js';
import { chooseUpdateLock, FileUpdateLock, NullUpdateLock, type UpdateLock } from '../../device/updates/update-lock.js';

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);
const quiet = createLogger('test', process.stdout, 'error');

/** A hand-written lock: records calls; `busyFor` acquisitions answer busy first. */
class FakeLock implements UpdateLock {
  readonly description = 'fake';
  calls: string[] = [];
  constructor(public busyFor = 0) {}
  reclaimStale(): Promise<boolean> {
    this.calls.push('reclaim');
    return Promise.resolve(false);
  }
  acquire(): Promise<'held' | 'busy'> {
    this.calls.push('acquire');
    if (this.busyFor > 0) {
      this.busyFor -= 1;
      return Promise.resolve('busy');
    }
    return Promise.resolve('held');
  }
  release(): Promise<void> {
    this.calls.push('release');
    return Promise.resolve();
  }
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('update lock rules', () => {
  it('is wanted from starting to stopping, not when idle or in error', () => {
    assert.deepEqual((['idle', 'starting', 'live', 'stopping', 'error'] as const).filter(wantsLock), ['starting', 'live', 'stopping']);
  });
  it('a leftover is ours only when it names roomcast-agent', () => {
    assert.equal(isOurLeftover(ownerLine(1, new Date(0))), true);
    assert.equal(isOurLeftover(''), false);
    assert.equal(isOurLeftover('roomcast-agentx'), false);
    assert.equal(isOurLeftover('supervisor'), false);
  });
});

describe('FileUpdateLock', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roomcast-lock-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('creates the file exclusively, names itself in it, and removes it', async () => {
    const lock = new FileUpdateLock(join(dir, 'a.lock'));
    assert.equal(await lock.acquire(), 'held');
    assert.match(await readFile(join(dir, 'a.lock'), 'utf8'), /^roomcast-agent pid=\d+ since=\d{4}-/);
    assert.equal(await lock.acquire(), 'busy', 'O_EXCL: a second create fails');
    await lock.release();
    assert.equal(await exists(join(dir, 'a.lock')), false);
  });

  it('reclaims a leftover of ours, never anyone else\'s; releases only its own', async () => {
    const path = join(dir, 'b.lock');
    const lock = new FileUpdateLock(path);
    assert.equal(await lock.reclaimStale(), false, 'nothing there');
    await writeFile(path, ownerLine(4242, new Date(0)));
    assert.equal(await lock.reclaimStale(), true);
    assert.equal(await exists(path), false);
    await writeFile(path, '');
    assert.equal(await lock.reclaimStale(), false);
    assert.equal(await lock.acquire(), 'busy');
    await lock.release();
    assert.equal(await exists(path), true, 'someone else\'s lock removed');
  });

  it('is the null lock when its folder does not exist', async () => {
    assert.ok((await chooseUpdateLock(join(dir, 'no-such-folder', 'updates.lock'))) instanceof NullUpdateLock);
    assert.ok((await chooseUpdateLock(join(dir, 'updates.lock'))) instanceof FileUpdateLock);
  });
});

describe('UpdateLockKeeper', () => {
  it('acquires on going live, holds through live and stopping, releases when idle; stop releases', async () => {
    const lock = new FakeLock();
    let changes = 0;
    const keeper = new UpdateLockKeeper({ lock, logger: quiet, onChange: () => (changes += 1) });
    await keeper.start();
    for (const phase of ['idle', 'starting', 'live', 'stopping'] as const) keeper.onPhase(phase);
    await until(() => keeper.held);
    keeper.onPhase('idle');
    await until(() => !keeper.held);
    keeper.onPhase('live');
    await until(() => keeper.held);
    await keeper.stop();
    assert.deepEqual(lock.calls, ['reclaim', 'acquire', 'release', 'acquire', 'release']);
    assert.equal(keeper.held, false);
    assert.equal(changes, 4);
    keeper.onPhase('live');
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(keeper.held, false, 'a stopped keeper takes no lock');
  });

  it('retries while another holder\'s lock is in the way', async () => {
    const lock = new FakeLock(2);
    const keeper = new UpdateLockKeeper({ lock, logger: quiet, retryMs: 10 });
    keeper.onPhase('live');
    await until(() => keeper.held);
    assert.deepEqual(lock.calls, ['acquire', 'acquire', 'acquire']);
    keeper.onPhase('error');
    await keeper.stop();
    assert.equal(lock.calls.at(-1), 'release');
  });
});
