import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { FLEET_USERNAME, topicOf, type DeviceId } from '../../common/protocol.js';
import { loadCredentials, saveCredentials } from '../../device/fleet/credentials-file.js';
import { ensureFleetTls, type FleetTls } from '../../fleet/tls.js';
import { probeStreams } from '../../testbed/ffprobe.js';
import { MosquittoBroker, mosquittoOwner } from '../../testbed/mosquitto.js';
import { NginxRtmp } from '../../testbed/nginx-rtmp.js';
import { startPostgres, type TestPostgres } from '../../testbed/postgres.js';
import { TcpRecorder } from '../../testbed/tcp-recorder.js';
import { AgentProcess } from '../helpers/agent-process.js';
import { sleep } from '../helpers/env.js';
import { ENROLL_TOKEN, FleetProcess, fleetBoxEnv } from '../helpers/fleet-process.js';
import { closeAll, connectClient, refusal, waitUntil, type TestClient } from '../helpers/mqtt.js';

type BoxName = 'a' | 'b';
interface Box {
  agent: AgentProcess;
  dir: string;
  id: DeviceId;
  stream: string;
}

/**
 * Two `roomcast fleet` instances sharing one real Mosquitto (boxes on its
 * TLS listener, with a throwaway CA; the instances on its service listener)
 * and one real PostgreSQL, with two real boxes streaming test sources to a
 * loopback nginx-rtmp: enrolment, the last will, a config push and commands
 * through either instance, health stored once, the broker going down while
 * live, a box given the wrong CA, and revocation.
 */
describe('fleet: two instances, external Mosquitto and PostgreSQL, two boxes', () => {
  let dir: string;
  let tls: FleetTls;
  let postgres: TestPostgres;
  let broker: MosquittoBroker;
  let ingest: NginxRtmp;
  const fleets: FleetProcess[] = [];
  const boxes = {} as Record<BoxName, Box>;
  const opened: TestClient[] = [];
  const KEY_A2 = 'external-second-key-a2-5566';

  const fleetEnv = (): Record<string, string> => ({
    ROOMCAST_FLEET_MQTT_URL: broker.serviceUrl,
    ROOMCAST_FLEET_BOX_MQTT_URL: broker.tlsUrl,
    ROOMCAST_FLEET_MQTT_CA: tls.caPath,
    ROOMCAST_FLEET_MOSQUITTO_DIR: broker.dir,
    ROOMCAST_FLEET_MOSQUITTO_PID_FILE: broker.pidFile,
    ROOMCAST_FLEET_DATABASE_URL: postgres.url,
    // A stop answers once the stream has stopped, which may take the agent's whole stop deadline (4 s).
    ROOMCAST_FLEET_COMMAND_TIMEOUT_MS: '8000',
  });

  const fleet = (n: 1 | 2): FleetProcess => {
    const f = fleets[n - 1];
    if (f === undefined) throw new Error(`fleet instance ${n} is not running`);
    return f;
  };

  const startBox = (name: BoxName | 'c', fleetUrl: string): AgentProcess =>
    AgentProcess.start(fleetBoxEnv(join(dir, name), name, ingest.url('live', `external-first-key-${name}-1234`), fleetUrl));

  /** The same device as both instances show it. */
  const fromBoth = async (id: string): Promise<[Record<string, unknown>, Record<string, unknown>]> => {
    const [one, two] = await Promise.all([fleet(1).api('GET', `/api/devices/${id}`), fleet(2).api('GET', `/api/devices/${id}`)]);
    assert.equal(one.status, 200);
    assert.equal(two.status, 200);
    return [one.body, two.body];
  };

  const waitOnBoth = (id: string, predicate: (d: Record<string, unknown>) => boolean, timeoutMs: number, what: string): Promise<unknown> =>
    Promise.all([fleet(1).waitForDevice(id, predicate, timeoutMs, `${what} (instance 1)`), fleet(2).waitForDevice(id, predicate, timeoutMs, `${what} (instance 2)`)]);

  const query = async <T extends pg.QueryResultRow>(sql: string, values: unknown[] = []): Promise<T[]> => {
    const client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
    try {
      return (await client.query<T>(sql, values)).rows;
    } finally {
      await client.end();
    }
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roomcast-fleet-external-'));
    // The broker drops root to the mosquitto account, which must reach the server certificate in here.
    await chmod(dir, 0o711);
    const owner = await mosquittoOwner();
    tls = await ensureFleetTls({ dir: join(dir, 'broker-tls'), hosts: ['localhost', '127.0.0.1'], ...(owner === undefined ? {} : { serverOwner: owner }) });
    postgres = await startPostgres();
    // No accounts yet: the fleet service writes them (its own and the boxes') into the broker's directory.
    broker = new MosquittoBroker([], tls, { service: true, pidFile: true });
    await broker.start();
    ingest = new NginxRtmp(join(dir, 'ingest'));
    await ingest.start();
    // Both at once: the schema migration and the first writes of the broker files race.
    fleets.push(...(await Promise.all([FleetProcess.start(join(dir, 'fleet1'), fleetEnv()), FleetProcess.start(join(dir, 'fleet2'), fleetEnv())])));
    boxes.a = { agent: startBox('a', fleet(1).url), dir: join(dir, 'a'), id: 'box-a' as DeviceId, stream: 'external-first-key-a-1234' };
    boxes.b = { agent: startBox('b', fleet(2).url), dir: join(dir, 'b'), id: 'box-b' as DeviceId, stream: 'external-first-key-b-1234' };
  });

  after(async () => {
    await closeAll(opened);
    await Promise.all(Object.values(boxes).map((b) => b.agent.proc.stop()));
    await Promise.all(fleets.map((f) => f.proc.stop()));
    await ingest?.stop();
    await broker?.stop();
    await postgres?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('boxes enrol through either instance, connect over mqtts, and both instances show them live', async () => {
    for (const box of Object.values(boxes)) {
      const enrolled = await box.agent.waitFor((l) => l.msg === 'fleet: enrolled', 20_000, `${box.id} enrolled`);
      assert.equal(enrolled['mqtt'], broker.tlsUrl);
      await box.agent.waitFor((l) => l.msg === 'fleet: connected' && l['broker'] === broker.tlsUrl, 20_000, `${box.id} connected over mqtts`);
      await waitOnBoth(box.id, (d) => d['online'] === true && d['state'] === 'live' && (d['health'] as { phase?: string } | null)?.phase === 'live', 20_000, `${box.id} live with health`);
      const creds = await loadCredentials(box.dir);
      assert.ok(creds?.ca?.includes('BEGIN CERTIFICATE'), 'the box was given the broker\'s CA');
    }
    // The broker's own view: each box logged in as itself, and nobody in clear on its plain listener.
    assert.match(broker.log, /New client connected from 127\.0\.0\.1:\d+ as box-a \(/);
    assert.match(broker.log, /New client connected from 127\.0\.0\.1:\d+ as box-b \(/);
    // The instances share the _fleet account; neither throws the other off.
    assert.doesNotMatch(broker.log, /Client \S+ already connected, closing old connection/);
    for (const n of [1, 2] as const) assert.equal(fleet(n).lines().filter((l) => l.msg === 'connected to the broker').length, 1, `instance ${n} connected once`);
    const [one, two] = await Promise.all([fleet(1).api<{ devices: { id: string }[] }>('GET', '/api/devices'), fleet(2).api<{ devices: { id: string }[] }>('GET', '/api/devices')]);
    assert.deepEqual(one.body.devices.map((d) => d.id).sort(), ['box-a', 'box-b']);
    assert.deepEqual(two.body.devices.map((d) => d.id).sort(), ['box-a', 'box-b']);
  });

  test('each health sample is stored once in PostgreSQL, though two instances listen', async () => {
    await sleep(7000);
    const rows = await query<{ device_id: string; samples: string; distinct_samples: string }>(
      "SELECT device_id, count(*) AS samples, count(DISTINCT health->>'at') AS distinct_samples FROM health_samples GROUP BY device_id ORDER BY device_id",
    );
    assert.deepEqual(rows.map((r) => r.device_id), ['box-a', 'box-b']);
    for (const r of rows) {
      assert.ok(Number(r.samples) >= 3, `${r.device_id}: ${r.samples} samples`);
      assert.equal(r.samples, r.distinct_samples, `${r.device_id}: some samples were stored twice`);
    }
    // The history reads the same through either instance.
    const from = new Date(Date.now() - 120_000).toISOString();
    const to = new Date(Date.now() + 1000).toISOString();
    const [h1, h2] = await Promise.all(
      [1, 2].map((n) => fleet(n as 1 | 2).api<{ samples: { at: string }[] }>('GET', `/api/devices/box-a/health?from=${from}&to=${to}`)),
    );
    assert.deepEqual(h1?.body.samples.map((s) => s.at), h2?.body.samples.map((s) => s.at));
  });

  test('a config push through instance 2 changes a destination: applied, the new stream reaches the ingest, both instances agree', async () => {
    const a = boxes.a;
    const r = await fleet(2).api<{ version: number }>('PUT', '/api/devices/box-a/config', { config: { ROOMCAST_DESTINATIONS: ingest.url('live', KEY_A2) } });
    assert.equal(r.status, 200);
    assert.equal(r.body.version, 1);
    await waitOnBoth('box-a', (d) => d['appliedVersion'] === 1, 10_000, 'version 1 applied');
    await waitOnBoth(
      'box-a',
      (d) => {
        const live = (d['destinations'] as { state: string; url: string }[]).filter((x) => x.state === 'live');
        return live.length === 1 && live[0]?.url.endsWith(KEY_A2.slice(-4)) === true;
      },
      15_000,
      'the new destination live, alone',
    );
    await sleep(3000);
    const sessions = await ingest.sessionsOf(KEY_A2);
    assert.equal(sessions.length, 1);
    const { streams } = await probeStreams(sessions[0] ?? '');
    assert.deepEqual(streams.map((s) => s.codec_type).sort(), ['audio', 'video']);
    const [one, two] = await fromBoth('box-a');
    for (const field of ['desiredVersion', 'appliedVersion', 'config', 'desiredConfig']) assert.deepEqual(one[field], two[field], field);
    // Versions come from the one database: the next push, through the other instance, is 2.
    const again = await fleet(1).api<{ version: number }>('PUT', '/api/devices/box-a/config', { config: { ROOMCAST_DESTINATIONS: ingest.url('live', KEY_A2), ROOMCAST_ROOM_NAME: 'Hall A' } });
    assert.equal(again.body.version, 2);
    await waitOnBoth('box-a', (d) => d['appliedVersion'] === 2, 10_000, 'version 2 applied');
    for (const f of fleets) assert.ok(!f.proc.log.includes(KEY_A2), 'a fleet log holds the key');
    assert.ok(!a.agent.proc.log.includes(KEY_A2), 'the agent log holds the key');
  });

  test('commands are answered to whichever instance sent them, also many at once', async () => {
    for (const n of [1, 2] as const) {
      const r = await fleet(n).api<{ response: { ok: boolean; result: { seconds: number } } }>('POST', '/api/devices/box-b/commands/identify', { args: { seconds: n } });
      assert.equal(r.status, 200, `instance ${n}: ${JSON.stringify(r.body)}`);
      assert.deepEqual(r.body.response.result, { seconds: n });
    }
    const many = await Promise.all(
      [1, 2, 3, 4, 5, 6].map((i) => fleet(i % 2 === 0 ? 2 : 1).api<{ response: { ok: boolean; result: { seconds: number } } }>('POST', '/api/devices/box-b/commands/identify', { args: { seconds: 10 + i } })),
    );
    assert.deepEqual(many.map((r) => r.status), [200, 200, 200, 200, 200, 200]);
    assert.deepEqual(many.map((r) => r.body.response.result.seconds), [11, 12, 13, 14, 15, 16]);
    const stop = await fleet(2).api<{ response: { ok: boolean } }>('POST', '/api/devices/box-b/commands/stop');
    assert.equal(stop.status, 200, JSON.stringify(stop.body));
    assert.equal(stop.body.response.ok, true);
    await waitOnBoth('box-b', (d) => d['state'] === 'idle', 5000, 'box-b idle');
    const start = await fleet(1).api<{ response: { ok: boolean } }>('POST', '/api/devices/box-b/commands/start');
    assert.equal(start.status, 200, JSON.stringify(start.body));
    assert.equal(start.body.response.ok, true);
    await waitOnBoth('box-b', (d) => d['state'] === 'live', 15_000, 'box-b live again');
  });

  test('a box that vanishes is lost on both instances (its last will), and comes back online', async () => {
    const b = boxes.b;
    process.kill(b.agent.proc.pid, 'SIGKILL');
    await b.agent.proc.exited;
    // Mosquitto notices a dead TCP peer at once on loopback (the socket is closed by the kernel).
    await waitOnBoth('box-b', (d) => d['online'] === false && d['status'] === 'lost', 5000, 'box-b lost');
    b.agent = startBox('b', fleet(2).url);
    await waitOnBoth('box-b', (d) => d['online'] === true && d['state'] === 'live', 20_000, 'box-b back');
  });

  test('with Mosquitto down the boxes stream on; all reconnect when it is back on the same port', async () => {
    const streamOf = (b: Box): string => (b === boxes.a ? KEY_A2 : b.stream);
    const sessions = (): Promise<number[]> => Promise.all(Object.values(boxes).map(async (b) => (await ingest.sessionsOf(streamOf(b))).length));
    // box-b came back in the previous test: let its new session settle at the ingest first.
    await sleep(2000);
    const marks = Object.fromEntries(Object.entries(boxes).map(([k, b]) => [k, b.agent.lines().length])) as Record<BoxName, number>;
    const fleetMarks = fleets.map((f) => f.lines().length);
    const before = await sessions();
    await broker.halt();
    for (const [name, b] of Object.entries(boxes)) await b.agent.waitFor((l) => l.msg === 'fleet: broker connection lost; streaming goes on', 5000, `box-${name} lost the broker`, marks[name as BoxName]);
    await sleep(4000);
    await broker.restart();
    for (const [name, b] of Object.entries(boxes)) await b.agent.waitFor((l) => l.msg === 'fleet: connected', 40_000, `box-${name} reconnected`, marks[name as BoxName]);
    fleets.forEach((f, i) => assert.ok(f.proc.running, `instance ${i + 1} exited`));
    await waitUntil(() => fleets.every((f, i) => f.lines().slice(fleetMarks[i]).some((l) => l.msg === 'connected to the broker')), 15_000, 'both instances to reconnect');
    for (const id of ['box-a', 'box-b']) await waitOnBoth(id, (d) => d['online'] === true, 5000, `${id} online again`);
    assert.deepEqual(await sessions(), before, 'a new RTMP session at the ingest: a stream was cut');
    for (const [name, b] of Object.entries(boxes)) {
      const cuts = b.agent.lines().slice(marks[name as BoxName]).filter((l) => l.msg === 'destination cut' || l.msg === 'destination connecting');
      assert.deepEqual(cuts, [], `box-${name}'s destination was cut`);
    }
    // Both links subscribed again: each instance gets its answer.
    for (const n of [1, 2] as const) assert.equal((await fleet(n).api('POST', '/api/devices/box-a/commands/identify', { args: { seconds: 1 } })).status, 200, `instance ${n} after the restart`);
    assert.equal(boxes.a.agent.lines().filter((l) => l.msg === 'fleet: desired config applied').length, 2, 'a config applied twice');
  });

  test('a box given a CA that did not sign the broker\'s certificate refuses to connect, says why, streams on, and never sends its password', async () => {
    const enrolled = await fleet(1).api<{ username: string; password: string; mqttUrl: string; ca: string }>('POST', '/api/enrol', { token: ENROLL_TOKEN, deviceId: 'box-c' }, null);
    assert.equal(enrolled.status, 201);
    const other = await ensureFleetTls({ dir: join(dir, 'other-ca'), hosts: ['127.0.0.1'] });
    assert.notEqual(other.caPem, enrolled.body.ca);
    // An eavesdropper between the box and the broker's TLS port.
    const wire = new TcpRecorder(Number(new URL(broker.tlsUrl).port));
    await wire.start();
    const cDir = join(dir, 'c');
    await mkdir(cDir, { recursive: true });
    const creds = { fleetUrl: fleet(1).url, deviceId: 'box-c', mqttUrl: `mqtts://127.0.0.1:${wire.port}`, username: enrolled.body.username, password: enrolled.body.password };
    await saveCredentials(cDir, { ...creds, ca: other.caPem });
    let c = startBox('c', fleet(1).url);
    try {
      const refused = await c.waitFor((l) => l.msg === 'fleet: the broker\'s certificate is not trusted; not connecting', 15_000, 'box-c refusing the broker');
      assert.equal(refused['broker'], creds.mqttUrl);
      assert.match(String(refused['reason']), /certificate/i);
      await c.waitForPhase('live');
      await sleep(4000);
      assert.ok(wire.connectionCount >= 1, 'box-c never tried');
      assert.equal(wire.sent[0], 0x16, 'the box did not start with a TLS handshake');
      assert.ok(!wire.sent.includes(Buffer.from(creds.password)), 'the password crossed the wire in clear');
      assert.ok(!c.proc.log.includes(creds.password), 'the password is in the box log');
      assert.equal(c.lines().filter((l) => l.msg === 'fleet: the broker\'s certificate is not trusted; not connecting').length, 1, 'logged once, not once per attempt');
      assert.ok(!c.lines().some((l) => l.msg === 'fleet: connected'));
      assert.doesNotMatch(broker.log, /as box-c \(/);
      assert.equal((await ingest.sessionsOf('external-first-key-c-1234')).length, 1, 'box-c does not stream');
      const [one] = await fromBoth('box-c');
      assert.equal(one['online'], false);
      // The control: the same box with the right CA connects through the same wire, password still unseen.
      await c.proc.stop();
      await saveCredentials(cDir, { ...creds, ca: enrolled.body.ca });
      c = startBox('c', fleet(1).url);
      await c.waitFor((l) => l.msg === 'fleet: connected', 15_000, 'box-c connected with the right CA');
      await waitOnBoth('box-c', (d) => d['online'] === true, 5000, 'box-c online');
      assert.ok(!wire.sent.includes(Buffer.from(creds.password)), 'the password crossed the wire in clear');
    } finally {
      await c.proc.stop();
      await wire.stop();
    }
  });

  test('an instance told to log in as another user than the one it writes into the files refuses to start, saying why', async () => {
    const url = broker.serviceUrl.replace('mqtt://', 'mqtt://someone@');
    await assert.rejects(FleetProcess.start(join(dir, 'fleet3'), { ...fleetEnv(), ROOMCAST_FLEET_MQTT_URL: url }), /leave the user out of ROOMCAST_FLEET_MQTT_URL/);
  });

  test('revocation through instance 2 cuts the box off Mosquitto at once; it cannot log in again and streams on', async () => {
    const a = boxes.a;
    const creds = await loadCredentials(a.dir);
    assert.ok(creds);
    const sessions = (await ingest.sessionsOf(KEY_A2)).length;
    const mark = a.agent.lines().length;
    const t0 = Date.now();
    const r = await fleet(2).api('POST', '/api/devices/box-a/revoke');
    assert.equal(r.status, 200);
    assert.equal(r.body['revoked'], true);
    await a.agent.waitFor((l) => l.msg === 'fleet: broker connection lost; streaming goes on', 3000, 'box-a dropped by the broker', mark);
    const droppedAfter = Date.now() - t0;
    assert.ok(droppedAfter < 3000, `dropped after ${droppedAfter} ms`);
    await waitOnBoth('box-a', (d) => d['online'] === false && d['revoked'] === true, 3000, 'box-a offline and revoked');
    const login = await refusal(broker.tlsUrl, { username: creds.username, password: creds.password, clientId: creds.username, ca: creds.ca ?? '' });
    assert.match(String(login?.message), /Bad User Name or Password|Not authorized/i);
    await sleep(3000);
    const [one, two] = await fromBoth('box-a');
    assert.equal(one['online'], false, 'a revoked box reconnected');
    assert.equal(two['online'], false, 'a revoked box reconnected');
    assert.equal((await fleet(1).api('POST', '/api/enrol', { token: ENROLL_TOKEN, deviceId: 'box-a' }, null)).status, 403);
    assert.equal((await ingest.sessionsOf(KEY_A2)).length, sessions, 'the stream went on');
    // The other box was not touched.
    assert.equal((await fleet(1).api('POST', '/api/devices/box-b/commands/identify', { args: { seconds: 1 } })).status, 200);
    // Nothing of it stays retained on the broker: not its desired config (stream keys), not a status.
    const [row] = await query<{ value: string }>("SELECT value FROM settings WHERE name = 'fleet-mqtt-password'");
    const watcher = await connectClient(broker.serviceUrl, { username: FLEET_USERNAME, password: row?.value ?? '', clientId: 'test-watcher' }, opened);
    await watcher.client.subscribeAsync(['desired', 'status', 'reported'].map((k) => topicOf(a.id, k as 'desired' | 'status' | 'reported')), { qos: 1 });
    await sleep(1000);
    assert.deepEqual(watcher.received.map((m) => `${m.topic}=${m.payload}`), []);
  });
});
