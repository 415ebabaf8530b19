import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Aedes } from 'aedes';
import { saveCredentials } from '../../device/fleet/credentials-file.js';
import { AgentProcess } from '../helpers/agent-process.js';
import { boxEnv } from '../helpers/env.js';

const BOX = 'box-r';
const PASSWORD = 'box-r-password-1234';
const REFUSALS = 2;

/**
 * A broker that answers a box's first logins with "server unavailable"
 * (CONNACK 3), as one starting up or overloaded does. MQTT.js would give up
 * for good after the first; the box must retry with its backoff and connect.
 */
describe('a broker that refuses a box for a while (real box, aedes answering CONNACK 3)', () => {
  let dir: string;
  let broker: Aedes;
  let server: Server;
  let box: AgentProcess;
  const attempts: { at: number; refused: boolean }[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roomcast-refusal-'));
    broker = await Aedes.createBroker({
      authenticate: (_client, username, password, done) => {
        const refused = attempts.length < REFUSALS;
        attempts.push({ at: Date.now(), refused });
        if (refused) return done(Object.assign(new Error('server unavailable'), { returnCode: 3 as const }), false);
        done(null, username === BOX && password?.toString() === PASSWORD);
      },
    });
    server = createServer(broker.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const fleetUrl = 'http://127.0.0.1:9';
    await saveCredentials(dir, { fleetUrl, deviceId: BOX, mqttUrl: `mqtt://127.0.0.1:${port}`, username: BOX, password: PASSWORD, ca: null });
    box = AgentProcess.start(boxEnv(dir, { ROOMCAST_FLEET_URL: fleetUrl, BALENA_DEVICE_UUID: BOX, ROOMCAST_AUTOSTART: 'false' }));
  });

  after(async () => {
    await box?.proc.stop();
    server?.close();
    await new Promise<void>((resolve) => (broker ? broker.close(() => resolve()) : resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  test('the box retries after each refusal, with a growing delay, and connects', async () => {
    await box.waitFor((l) => l.msg === 'fleet: connected', 20_000, 'the box connected after the refusals');
    assert.equal(attempts.length, REFUSALS + 1, JSON.stringify(attempts));
    const gaps = attempts.slice(1).map((a, i) => a.at - attempts[i]!.at);
    // Backoff: the first retry within about a second (jitter), then longer.
    assert.ok(gaps[0]! >= 200 && gaps[0]! < 2500, `gaps ${JSON.stringify(gaps)}`);
    assert.ok(box.lines().some((l) => l.msg === 'fleet: broker error' && String(l['error']).includes('Server unavailable')), 'the refusal is logged');
    // The password is never logged, whatever the refusal.
    assert.ok(!box.lines().some((l) => JSON.stringify(l).includes(PASSWORD)));
  });
});
