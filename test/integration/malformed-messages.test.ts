import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MAX_PAYLOAD_BYTES, topicOf, type DeviceId } from '../../common/protocol.js';
import { NginxRtmp } from '../../testbed/nginx-rtmp.js';
import { BareBox } from '../helpers/bare-box.js';
import { sleep } from '../helpers/env.js';
import { ENROLL_TOKEN, FleetProcess } from '../helpers/fleet-process.js';
import { closeAll, connectClient, waitUntil, type TestClient } from '../helpers/mqtt.js';

const BOX = 'box-m' as DeviceId;
const GARBLER = 'box-g' as DeviceId;
const OVERSIZED = 'x'.repeat(MAX_PAYLOAD_BYTES + 1);

/** Garbage where a box expects a desired config or a command: dropped, counted, logged; the box streams on and still obeys what is valid. */
describe('malformed messages to a box (real box, real Mosquitto, the test as the fleet)', () => {
  let dir: string;
  let ingest: NginxRtmp;
  let bare: BareBox;
  const opened: TestClient[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roomcast-malformed-'));
    ingest = new NginxRtmp(join(dir, 'ingest'));
    await ingest.start();
    bare = await BareBox.start(dir, BOX, { ROOMCAST_VIDEO_SIZE: '320x180', ROOMCAST_FRAMERATE: '15', ROOMCAST_VIDEO_BITRATE: '300', ROOMCAST_DESTINATIONS: ingest.url('live', 'malformed-1234') }, opened);
    await bare.box.waitForPhase('live');
  });

  after(async () => {
    await closeAll(opened);
    await bare?.stop();
    await ingest?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('garbage desired configs and commands are dropped and counted; a bad config is refused and reported; valid ones still work', async () => {
    const { box, fleet } = bare;
    const sessions = (await ingest.sessionsOf('malformed-1234')).length;
    const garbage: ['desired' | 'commandRequest', string][] = [
      ['desired', 'not json'],
      ['desired', '{"version":"1","config":{}}'],
      ['desired', '{"version":1,"config":{"ROOMCAST_FRAMERATE":30}}'],
      ['desired', '{"version":1}'],
      ['commandRequest', '\u0000\u00ff'],
      ['commandRequest', '{"id":"t1","name":"format-disk"}'],
      ['commandRequest', '{"id":"t2","name":"identify","args":{"seconds":-5}}'],
    ];
    for (const [kind, payload] of garbage) await bare.send(kind, payload);
    await box.waitFor((l) => l.msg === 'fleet: message dropped' && l['dropped'] === garbage.length, 5000, `${garbage.length} drops counted`);
    // A readable id gets an answer even when the rest is refused: the caller is not left waiting.
    const responses = (): { id: string; ok: boolean }[] => fleet.received.filter((m) => m.topic.endsWith('/command/response')).map((m) => JSON.parse(m.payload) as { id: string; ok: boolean });
    await waitUntil(() => ['t1', 't2'].every((id) => responses().some((r) => r.id === id)), 5000, 'refusals answered');
    assert.ok(responses().every((r) => !r.ok), JSON.stringify(responses()));

    // Well formed but invalid for the schema: refused whole, reported, nothing applied.
    await bare.send('desired', JSON.stringify({ version: 2, config: { ROOMCAST_FRAMERATE: '999', ROOMCAST_VIDEO_SIZE: 'big' } }));
    await waitUntil(() => bare.lastReported()?.refused?.version === 2, 5000, 'the refusal reported');
    assert.equal(bare.lastReported()?.refused?.errors.length, 2, JSON.stringify(bare.lastReported()));
    assert.equal(bare.lastReported()?.appliedVersion, 0);

    // After all that, a valid config and a valid command still work; a new room name does not interrupt the stream.
    await bare.apply(3, { ROOMCAST_ROOM_NAME: 'Room 3' });
    assert.equal(bare.lastReported()?.refused, undefined);
    await bare.send('commandRequest', JSON.stringify({ id: 'ok1', name: 'identify', args: { seconds: 5 } }));
    await waitUntil(() => responses().some((r) => r.id === 'ok1' && r.ok), 5000, 'identify answered');

    assert.ok(box.proc.running, 'the box died');
    await sleep(500);
    assert.equal((await ingest.sessionsOf('malformed-1234')).length, sessions, 'the stream was interrupted');
  });
});

/** Garbage from a box with real credentials: the fleet drops and counts it, and its API and the box's record stay sound. */
describe('malformed messages to the fleet service (real fleet, embedded broker, a real client with a box\'s credentials)', () => {
  let dir: string;
  let fleet: FleetProcess;
  const opened: TestClient[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roomcast-malformed-fleet-'));
    fleet = await FleetProcess.start(join(dir, 'fleet'));
  });

  after(async () => {
    await closeAll(opened);
    await fleet?.proc.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('bad status, reported, health and command responses are dropped and counted; oversized ones are refused by the broker', async () => {
    const enrolled = await fleet.api<{ username: string; password: string }>('POST', '/api/enrol', { token: ENROLL_TOKEN, deviceId: 'box-g' }, null);
    assert.equal(enrolled.status, 201);
    const { username, password } = enrolled.body;
    const tc = await connectClient(`mqtt://127.0.0.1:${fleet.mqttPort ?? 0}`, { clientId: username, username, password, protocolVersion: 4 }, opened);
    tc.client.on('error', () => undefined);
    const send = (kind: 'status' | 'reported' | 'health' | 'commandResponse', payload: string): Promise<unknown> => tc.client.publishAsync(topicOf(GARBLER, kind), payload, { qos: 1 });
    await send('status', 'online');
    await fleet.waitForDevice('box-g', (d) => d['online'] === true, 5000, 'box-g online');

    const garbage: ['status' | 'reported' | 'health' | 'commandResponse', string][] = [
      ['status', 'exploded'],
      ['reported', '{"appliedVersion":-1}'],
      ['reported', '[1,2,3]'],
      ['health', 'NaN'],
      ['health', '{"at":"yesterday","cpuLoadPercent":"lots"}'],
      ['commandResponse', '{"ok":true}'],
    ];
    for (const [kind, payload] of garbage) await send(kind, payload);
    await waitUntil(() => fleet.lines().some((l) => l.msg === 'message dropped' && l['dropped'] === garbage.length), 5000, `${garbage.length} drops counted by the fleet`);
    // QoS 0: MQTT 3.1.1 has no negative PUBACK, so a QoS 1 refusal would look like a lost packet.
    tc.client.publish(topicOf(GARBLER, 'health'), OVERSIZED, { qos: 0 });
    await waitUntil(() => fleet.lines().some((l) => l.msg === 'publish refused' && l['reason'] === 'payload too large'), 5000, 'the oversized publish refused and logged');

    const d = await fleet.api('GET', '/api/devices/box-g');
    assert.equal(d.status, 200);
    assert.equal(d.body['status'], 'online', 'a bad status overwrote the good one');
    assert.equal(d.body['health'], null, 'a bad health sample was stored');
    assert.ok(fleet.proc.running);
  });
});
