import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { hashMosquittoPassword } from '../../fleet/credentials.js';
import { Managed } from '../../testbed/process.js';
import { freePort } from '../../testbed/ports.js';
import { sleep } from '../helpers/env.js';

const SCRIPT = fileURLToPath(new URL('../../../mosquitto/reload-on-change.sh', import.meta.url));

let broker: Managed | null = null;
let dir = '';
after(async () => {
  await broker?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function until(what: string, done: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    assert.ok(broker?.running, broker?.log);
    assert.ok(Date.now() < deadline, `${what}\n${broker?.log ?? ''}`);
    await sleep(100);
  }
}

/** The compose file's Mosquitto entrypoint with Debian's Mosquitto: it waits for the fleet's files, reloads on their change, stops on SIGTERM. */
test('mosquitto/reload-on-change.sh starts Mosquitto once the password file exists and sends it SIGHUP when the fleet rewrites it', async () => {
  dir = await mkdtemp(join(tmpdir(), 'roomcast-reload-'));
  const conf = join(dir, 'mosquitto.conf');
  // user root: this test may run as root, and Mosquitto would otherwise drop to an account that cannot read the 0600 file.
  await writeFile(conf, `user root\nallow_anonymous false\npassword_file ${dir}/passwords\nacl_file ${dir}/acl\nlistener ${await freePort()} 127.0.0.1\n`);
  broker = new Managed(spawn(SCRIPT, ['mosquitto', '-c', conf], { env: { PATH: `/usr/sbin:${process.env['PATH'] ?? ''}`, ROOMCAST_FLEET_MOSQUITTO_DIR: dir }, stdio: ['ignore', 'pipe', 'pipe'] }));
  await until('waits for the password file', () => broker?.log.includes('waiting for the fleet') ?? false);
  await writeFile(join(dir, 'acl'), 'user _fleet\ntopic readwrite roomcast/#\n');
  await writeFile(join(dir, 'passwords'), `_fleet:${hashMosquittoPassword('one')}\n`, { mode: 0o600 });
  await until('Mosquitto starts', () => / running$/m.test(broker?.log ?? ''));
  await sleep(2500);
  assert.doesNotMatch(broker.log, /Reloading config/, 'reloaded with nothing changed');
  await writeFile(join(dir, 'passwords'), `_fleet:${hashMosquittoPassword('two')}\n`, { mode: 0o600 });
  await until('reloads within 2 s of the change', () => broker?.log.includes('Reloading config') ?? false, 5000);
  const exit = await broker.stop();
  assert.equal(exit.code, 0, broker.log);
});
