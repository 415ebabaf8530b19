import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import mqtt from 'mqtt';
import { NginxRtmp } from '../../testbed/nginx-rtmp.js';
import { AgentProcess } from '../helpers/agent-process.js';
import { sleep } from '../helpers/env.js';
import { ENROLL_TOKEN, FleetProcess, fleetBoxEnv } from '../helpers/fleet-process.js';

/**
 * A fleet service and two real boxes (test sources, streaming to a loopback
 * nginx-rtmp) over the embedded broker: enrolment, state and health, a
 * config push that changes one destination, commands, the last will, the
 * broker going down while live, a config changed while a box was away, the
 * ACL seen by a real MQTT client, and revocation.
 */
/** The QoS granted per filter (128: refused); MQTT.js rejects the whole call when any is refused. */
async function granted_(client: mqtt.MqttClient, filters: Record<string, 0 | 1>): Promise<number[]> {
  return new Promise((resolve, reject) => {
    client.subscribe(Object.fromEntries(Object.entries(filters).map(([f, qos]) => [f, { qos }])), (err, granted, packet) => {
      const codes = (packet as { granted?: number[] } | undefined)?.granted ?? granted?.map((g) => g.qos);
      if (codes) resolve(codes);
      else reject(err ?? new Error('no SUBACK'));
    });
  });
}

// Above the box's 4 s stop deadline: a loaded machine must not turn a slow 'stop' into a timeout.
const FLEET_ENV = { ROOMCAST_FLEET_COMMAND_TIMEOUT_MS: '5000' };

describe('fleet: service, embedded broker and two boxes', () => {
  let dir: string;
  let ingest: NginxRtmp;
  let fleet: FleetProcess;
  const boxes: Record<'a' | 'b', { agent: AgentProcess; dir: string; id: string; stream: string }> = {} as never;
  const KEY_A2 = 'fleet-second-key-a2-7788';

  const startBox = (name: 'a' | 'b', extra: Record<string, string> = {}): AgentProcess =>
    AgentProcess.start(fleetBoxEnv(join(dir, name), name, ingest.url('live', `fleet-first-key-${name}-1234`), fleet.url, extra));

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roomcast-fleet-'));
    ingest = new NginxRtmp(join(dir, 'ingest'));
    await ingest.start();
    fleet = await FleetProcess.start(join(dir, 'fleet'), FLEET_ENV);
    for (const name of ['a', 'b'] as const) boxes[name] = { agent: startBox(name), dir: join(dir, name), id: `box-${name}`, stream: `fleet-first-key-${name}-1234` };
  });

  after(async () => {
    await Promise.all(Object.values(boxes).map((b) => b.agent.proc.stop()));
    await fleet?.proc.stop();
    await ingest?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('boxes enrol, keep their credentials private, and show online and live with health', async () => {
    for (const box of Object.values(boxes)) {
      const d = await fleet.waitForDevice(box.id, (x) => x['online'] === true && x['state'] === 'live' && (x['health'] as { phase?: string } | null)?.phase === 'live', 20_000, `${box.id} live with health`);
      assert.equal(d['appliedVersion'], 0);
      const creds = await stat(join(box.dir, 'fleet-credentials.json'));
      assert.equal(creds.mode & 0o777, 0o600);
      const health = d['health'] as Record<string, unknown>;
      assert.equal(typeof health['uptimeSeconds'], 'number');
      assert.equal(typeof health['memTotalBytes'], 'number');
    }
    const list = await fleet.api<{ devices: { id: string }[] }>('GET', '/api/devices');
    assert.deepEqual(list.body.devices.map((d) => d.id).sort(), ['box-a', 'box-b']);
  });

  test('the API needs the admin token; enrolment needs the enrolment token and cannot take over an enrolled id', async () => {
    assert.equal((await fleet.api('GET', '/api/devices', undefined, null)).status, 401);
    assert.equal((await fleet.api('GET', '/api/devices', undefined, 'wrong-token-wrong-token')).status, 401);
    assert.equal((await fleet.api('POST', '/api/enrol', { token: 'nope-nope-nope-nope', deviceId: 'box-x' }, null)).status, 403);
    assert.equal((await fleet.api('POST', '/api/enrol', { token: ENROLL_TOKEN, deviceId: 'box-a' }, null)).status, 409);
    assert.equal((await fleet.api('POST', '/api/enrol', { token: ENROLL_TOKEN, deviceId: 'Bad/Id' }, null)).status, 400);
  });

  test('health history over a time range', async () => {
    await sleep(2500);
    const to = new Date(Date.now() + 1000).toISOString();
    const from = new Date(Date.now() - 120_000).toISOString();
    const r = await fleet.api<{ samples: { at: string; health: Record<string, unknown> }[] }>('GET', `/api/devices/box-a/health?from=${from}&to=${to}`);
    assert.equal(r.status, 200);
    assert.ok(r.body.samples.length >= 2, `${r.body.samples.length} samples`);
    const times = r.body.samples.map((s) => s.at);
    assert.deepEqual([...times].sort(), times, 'oldest first');
    assert.equal((await fleet.api('GET', `/api/devices/box-a/health?from=${to}&to=${from}`)).status, 400);
  });

  test('an invalid config is refused whole, naming each variable, and nothing changes', async () => {
    const r = await fleet.api<{ error: string; details: string[] }>('PUT', '/api/devices/box-a/config', { config: { ROOMCAST_FRAMERATE: '500', ROOMCAST_DESTINATIONS: 'ftp://nope/key-123456789', ROOMCAST_FLEET_URL: 'http://elsewhere' } });
    assert.equal(r.status, 400);
    assert.equal(r.body.details.length, 3, r.body.details.join(' | '));
    assert.ok(r.body.details.every((e) => !e.includes('key-123456789')));
    const d = await fleet.api('GET', '/api/devices/box-a');
    assert.equal(d.body['desiredVersion'], 0);
  });

  test('a config push that adds a destination starts it within seconds and leaves the running one alone', async () => {
    const a = boxes.a;
    const pushed = Date.now();
    const r = await fleet.api<{ version: number; device: { config: Record<string, string> } }>('PUT', '/api/devices/box-a/config', {
      config: { ROOMCAST_DESTINATIONS: `${ingest.url('live', a.stream)} ${ingest.url('live', KEY_A2)}` },
    });
    assert.equal(r.status, 200);
    assert.equal(r.body.version, 1);
    const shown = r.body.device.config['ROOMCAST_DESTINATIONS'] ?? '';
    assert.ok(!shown.includes(KEY_A2) && shown.includes(KEY_A2.slice(-4)), shown);
    await fleet.waitForDevice('box-a', (d) => d['appliedVersion'] === 1, 5000, 'version 1 applied');
    const applyMs = Date.now() - pushed;
    await fleet.waitForDevice('box-a', (d) => (d['destinations'] as { state: string }[]).filter((x) => x.state === 'live').length === 2, 10_000, 'both destinations live');
    assert.ok(applyMs < 5000, `applied after ${applyMs} ms`);
    const change = await a.agent.waitFor((l) => l.msg === 'config changed', 1000, 'config changed');
    assert.equal(change['restartCore'], false);
    assert.deepEqual(change['stop'], []);
    await sleep(2000);
    // The first destination kept its one RTMP session; the new one has its own.
    assert.equal((await ingest.sessionsOf(a.stream)).length, 1);
    assert.equal((await ingest.sessionsOf(KEY_A2)).length, 1);
    // Persisted for a reboot without network, mode 0600.
    assert.equal((await stat(join(a.dir, 'applied-config.json'))).mode & 0o777, 0o600);
    // The key is never in the fleet's log or the box's.
    assert.ok(!fleet.proc.log.includes(KEY_A2), 'fleet log holds the key');
    assert.ok(!a.agent.proc.log.includes(KEY_A2), 'agent log holds the key');
  });

  test('commands: stop and start reach the box and answer; bad ones are refused', async () => {
    const stop = await fleet.api<{ response: { ok: boolean } }>('POST', '/api/devices/box-b/commands/stop');
    assert.equal(stop.status, 200);
    assert.equal(stop.body.response.ok, true);
    await fleet.waitForDevice('box-b', (d) => d['state'] === 'idle', 5000, 'box-b idle');
    const start = await fleet.api<{ response: { ok: boolean } }>('POST', '/api/devices/box-b/commands/start');
    assert.equal(start.body.response.ok, true);
    await fleet.waitForDevice('box-b', (d) => d['state'] === 'live', 15_000, 'box-b live again');
    const identify = await fleet.api<{ response: { ok: boolean; result: { seconds: number } } }>('POST', '/api/devices/box-b/commands/identify', { args: { seconds: 5 } });
    assert.deepEqual(identify.body.response.result, { seconds: 5 });
    assert.equal((await fleet.api('POST', '/api/devices/box-b/commands/selfdestruct')).status, 400);
    assert.equal((await fleet.api('POST', '/api/devices/box-b/commands/identify', { args: { seconds: 9999 } })).status, 400);
  });

  test('a box that does not answer gives a timeout, not a hang', async () => {
    const b = boxes.b;
    process.kill(b.agent.proc.pid, 'SIGSTOP');
    try {
      const t0 = Date.now();
      const r = await fleet.api('POST', '/api/devices/box-b/commands/identify');
      assert.equal(r.status, 504);
      const waited = Date.now() - t0;
      const timeout = Number(FLEET_ENV.ROOMCAST_FLEET_COMMAND_TIMEOUT_MS);
      assert.ok(waited >= timeout - 50 && waited < timeout + 2000, `answered after ${waited} ms`);
    } finally {
      process.kill(b.agent.proc.pid, 'SIGCONT');
    }
  });

  test('a box that vanishes is marked lost by its last will; a clean stop says offline', async () => {
    const b = boxes.b;
    process.kill(b.agent.proc.pid, 'SIGKILL');
    await b.agent.proc.exited;
    await fleet.waitForDevice('box-b', (d) => d['online'] === false && d['status'] === 'lost', 5000, 'box-b lost');
    b.agent = startBox('b');
    await fleet.waitForDevice('box-b', (d) => d['online'] === true, 20_000, 'box-b back');
    await b.agent.proc.stop();
    await fleet.waitForDevice('box-b', (d) => d['status'] === 'offline', 5000, 'box-b offline');
  });

  test('a config changed while a box was away is applied once when it returns', async () => {
    const b = boxes.b;
    const r = await fleet.api<{ version: number }>('PUT', '/api/devices/box-b/config', { config: { ROOMCAST_ROOM_NAME: 'Room B', ROOMCAST_FRAMERATE: '10' } });
    assert.equal(r.body.version, 1);
    b.agent = startBox('b');
    await fleet.waitForDevice('box-b', (d) => d['online'] === true && d['appliedVersion'] === 1, 20_000, 'box-b applied version 1');
    // The box reports the version as soon as it has saved it; the log line follows its pipeline's restart.
    await b.agent.waitFor((l) => l.msg === 'fleet: desired config applied', 20_000, 'box-b applied the config');
    await sleep(1000);
    const applied = b.agent.lines().filter((l) => l.msg === 'fleet: desired config applied');
    assert.equal(applied.length, 1);
  });

  test('with the broker down the boxes stream on; they reconnect and apply nothing twice', async () => {
    const a = boxes.a;
    const before = (await ingest.sessionsOf(a.stream)).length;
    const previous = fleet;
    await fleet.proc.stop();
    await a.agent.waitFor((l) => l.msg === 'fleet: broker connection lost; streaming goes on', 5000, 'link lost');
    await sleep(4000);
    const mark = a.agent.lines().length;
    const restartedAt = Date.now();
    fleet = await FleetProcess.start(join(dir, 'fleet'), FLEET_ENV, previous);
    // The new broker has no sessions: a box shows online only from its reconnection, never from the store
    // (its backoff may land as the broker opens, so it can already be back).
    const seen = (await fleet.api('GET', '/api/devices/box-a')).body;
    if (seen['online'] === true) assert.ok(Date.parse(String(seen['lastSeen'])) >= restartedAt, `box-a shown online from before the restart: ${JSON.stringify(seen)}`);
    await a.agent.waitFor((l) => l.msg === 'fleet: connected', 40_000, 'box-a reconnected', mark);
    await fleet.waitForDevice('box-a', (d) => d['online'] === true, 5000, 'box-a online again');
    assert.equal((await ingest.sessionsOf(a.stream)).length, before, 'the stream was never cut');
    assert.equal(a.agent.lines().filter((l) => l.msg === 'fleet: desired config applied').length, 1);
  });

  test('a reboot without the fleet comes back with the applied config', async () => {
    const b = boxes.b;
    await b.agent.proc.stop();
    b.agent = startBox('b', { ROOMCAST_FLEET_URL: 'http://127.0.0.1:9' });
    const restored = await b.agent.waitFor((l) => l.msg === 'restored the fleet config', 5000, 'restored');
    assert.equal(restored['version'], 1);
    await b.agent.waitForPhase('live');
    await b.agent.proc.stop();
  });

  test('a box\'s credentials reach only its own topics (real MQTT client)', async () => {
    // A third box, enrolled by hand: its credentials, a real MQTT client.
    const enrolled = await fleet.api<{ username: string; password: string }>('POST', '/api/enrol', { token: ENROLL_TOKEN, deviceId: 'box-c' }, null);
    assert.equal(enrolled.status, 201);
    const { username, password } = enrolled.body;
    const url = `mqtt://127.0.0.1:${fleet.mqttPort ?? 0}`;
    // Another box's client id with box-c's credentials: refused.
    const impostor = mqtt.connect(url, { clientId: 'box-a', username, password, reconnectPeriod: 0 });
    const refused = await new Promise<boolean>((resolve) => {
      impostor.once('connect', () => resolve(false));
      impostor.on('error', () => resolve(true));
    });
    impostor.end(true);
    assert.equal(refused, true, 'connected with another box\'s client id');
    assert.equal((await fleet.api('GET', '/api/devices/box-a')).body['online'], true, 'the impostor took box-a\'s session');
    const client = await mqtt.connectAsync(url, { clientId: username, username, password, reconnectPeriod: 0 });
    client.on('error', () => undefined);
    const got: string[] = [];
    client.on('message', (topic) => got.push(topic));
    // box-a's retained desired config holds stream keys: it must never arrive.
    const granted = await granted_(client, { 'roomcast/box-a/desired': 1, '#': 0, 'roomcast/+/desired': 1, 'roomcast/box-c/command/request': 0 });
    assert.deepEqual(granted, [128, 128, 128, 0]);
    await sleep(1000);
    assert.deepEqual(got, []);
    // Publishing as another box is refused (and logged); the message goes nowhere.
    client.publish('roomcast/box-a/status', 'lost', { qos: 0 });
    await sleep(1000);
    client.end(true);
    assert.ok(fleet.lines().some((l) => l.msg === 'publish refused' && l['topic'] === 'roomcast/box-a/status'));
    assert.equal((await fleet.api('GET', '/api/devices/box-a')).body['status'], 'online');
  });

  test('a revoked box is cut off at once and cannot come back, while it streams on', async () => {
    const a = boxes.a;
    const sessions = (await ingest.sessionsOf(a.stream)).length;
    const r = await fleet.api('POST', '/api/devices/box-a/revoke');
    assert.equal(r.status, 200);
    assert.equal(r.body['revoked'], true);
    await fleet.waitForDevice('box-a', (d) => d['online'] === false, 3000, 'box-a offline after revocation');
    await sleep(3000);
    const d = await fleet.api('GET', '/api/devices/box-a');
    assert.equal(d.body['online'], false, 'a revoked box reconnected');
    assert.equal((await fleet.api('POST', '/api/enrol', { token: ENROLL_TOKEN, deviceId: 'box-a' }, null)).status, 403);
    assert.equal((await ingest.sessionsOf(a.stream)).length, sessions, 'the stream went on');
    assert.ok(fleet.lines().some((l) => l.msg === 'connection refused' && l['username'] === 'box-a'));
    // The box tried to enrol again once, was refused, and gave up: it does not knock forever.
    await a.agent.waitFor((l) => l.msg.startsWith('fleet: the broker refuses this box\'s credentials and the fleet will not enrol it again'), 5000, 'gave up');
    assert.ok(a.agent.proc.running);
  });

  test('a fleet service that lost its store gets its boxes back by itself', async () => {
    const b = boxes.b;
    b.agent = startBox('b');
    await fleet.waitForDevice('box-b', (d) => d['online'] === true, 20_000, 'box-b online');
    const previous = fleet;
    await fleet.proc.stop();
    // The database gone (a reinstall that kept only the certificates): box-b's credentials mean nothing now.
    for (const f of await readdir(join(dir, 'fleet'))) if (f.startsWith('fleet.sqlite')) await rm(join(dir, 'fleet', f));
    fleet = await FleetProcess.start(join(dir, 'fleet'), FLEET_ENV, previous);
    // The box may enrol again before this test can look, so it checks the order in the logs instead:
    // the new fleet refused box-b's old credentials, then the box enrolled again.
    await b.agent.waitFor((l) => l.msg === 'fleet: enrolled again', 40_000, 'enrolled again');
    assert.ok(fleet.lines().some((l) => l.msg === 'connection refused' && l['username'] === 'box-b'), 'the old credentials were refused');
    await fleet.waitForDevice('box-b', (d) => d['online'] === true && d['state'] === 'live', 10_000, 'box-b back');
  });
});
