import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FleetSimulator } from '../../sim/fleet-simulator.js';
import { ENROLL_TOKEN, FleetProcess } from '../helpers/fleet-process.js';
import { waitUntil } from '../helpers/mqtt.js';

const BOXES = 20;

/**
 * The fleet simulator against a real fleet service (embedded broker, mqtts
 * as enrolment hands out): so that the benchmark's virtual boxes keep
 * speaking the protocol the fleet expects. Enrolment, online, a config push
 * applied, a command answered, health stored.
 */
describe('fleet simulator: 20 virtual boxes and a real fleet service', () => {
  let dir: string;
  let fleet: FleetProcess;
  let sim: FleetSimulator;
  const seen = new Map<string, number>();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roomcast-fleet-sim-'));
    fleet = await FleetProcess.start(join(dir, 'fleet'));
    sim = new FleetSimulator(
      { fleetUrl: fleet.url, enrolToken: ENROLL_TOKEN, boxes: BOXES, idPrefix: 'sim', workers: 2, healthSeconds: 1, connectsPerSecond: 200, enrolConcurrency: 4 },
      { desiredSeen: (id, version) => seen.set(id, version), applied: () => undefined },
    );
    const creds = await sim.enrol();
    assert.ok(creds.every((c) => c.mqttUrl.startsWith('mqtts://') && c.ca !== null), 'boxes get the mqtts address and the fleet CA');
    sim.start(creds);
  });

  after(async () => {
    await sim.stop();
    await fleet.proc.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('every box shows online through the API', async () => {
    await waitUntil(() => sim.connected.size === BOXES, 10_000, 'every virtual box connected');
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { body } = await fleet.api<{ devices: { online: boolean }[] }>('GET', '/api/devices');
      if (body.devices.length === BOXES && body.devices.every((d) => d.online)) break;
      assert.ok(Date.now() < deadline, `not all online: ${JSON.stringify(body.devices).slice(0, 500)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  test('a config push reaches the box and comes back applied', async () => {
    const put = await fleet.api<{ version: number }>('PUT', '/api/devices/sim-7/config', { config: { ROOMCAST_ROOM_NAME: 'Hall 7' } });
    assert.equal(put.status, 200);
    await fleet.waitForDevice('sim-7', (d) => d['appliedVersion'] === put.body.version, 5000, 'sim-7 to report the version applied');
    assert.equal(seen.get('sim-7'), put.body.version);
    const d = await fleet.api<{ refused: unknown }>('GET', '/api/devices/sim-7');
    assert.equal(d.body.refused, null);
  });

  test('a command is answered', async () => {
    const r = await fleet.api<{ response: { ok: boolean; result?: { seconds?: number } } }>('POST', '/api/devices/sim-3/commands/identify', { args: { seconds: 5 } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.response.result, { seconds: 5 });
  });

  test('health is stored, about one sample per box per second', async () => {
    await new Promise((r) => setTimeout(r, 2500));
    const { body } = await fleet.api<{ samples: unknown[] }>('GET', '/api/devices/sim-0/health');
    assert.ok(body.samples.length >= 2, `sim-0 has ${body.samples.length} samples`);
    const stats = await sim.stats();
    assert.equal(stats.errors, 0, stats.firstErrors.join('\n'));
    assert.ok(stats.healthSent >= BOXES * 2, `only ${stats.healthSent} health samples sent`);
  });
});
