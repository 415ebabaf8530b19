import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { IClientOptions } from 'mqtt';
import { fleetSubscriptions, lastWill, MAX_PAYLOAD_BYTES, outgoing, topicOf, type DeviceId } from '../../common/protocol.js';
import { initialState } from '../../device/state.js';
import { FLEET_USERNAME } from '../../common/protocol.js';
import { hashMosquittoPassword, newBoxPassword, verifyMosquittoPassword } from '../../fleet/credentials.js';
import { MAX_PACKET_BYTES } from '../../fleet/mosquitto/broker-config.js';
import type { PasswordEntry } from '../../fleet/mosquitto/password-file.js';
import { ensureFleetTls, type FleetTls } from '../../fleet/tls.js';
import { MosquittoBroker, mosquittoOwner } from '../../testbed/mosquitto.js';
import { sleep } from '../helpers/env.js';
import { closeAll, connectClient, refusal, waitUntil, type TestClient } from '../helpers/mqtt.js';

const run = promisify(execFile);
const A = 'box-a' as DeviceId;
const B = 'box-b' as DeviceId;
const C = 'box-c' as DeviceId;
/** How long "nothing arrives" is watched for: Mosquitto on loopback delivers in well under 50 ms. */
const QUIET_MS = 1500;
const STREAM_KEY = 'live_b_secret_stream_key_0042';

/**
 * The fleet's generated Mosquitto files in a real Mosquitto 2.0, with real
 * MQTT.js clients: what a box may do, what it may not, the client id bound
 * to the username, revocation by rewriting the password file and SIGHUP, and
 * the TLS listener with the fleet's private CA. Every check is on what a
 * client actually receives, not only on the broker's acknowledgements.
 */
describe('Mosquitto with the fleet-generated config', () => {
  let dir: string;
  let tls: FleetTls;
  let broker: MosquittoBroker;
  const opened: TestClient[] = [];
  const pw = new Map<string, string>([A, B, C, FLEET_USERNAME].map((u) => [u, newBoxPassword()]));
  const password = (username: string): string => {
    const p = pw.get(username);
    if (p === undefined) throw new Error(`no password for ${username}`);
    return p;
  };
  let accounts: PasswordEntry[];

  const login = (username: string): IClientOptions => ({ username, password: password(username), clientId: username });
  const box = (id: DeviceId, extra: IClientOptions = {}): Promise<TestClient> => connectClient(broker.url, { ...login(id), clean: true, ...extra }, opened);
  const fleet = async (): Promise<TestClient> => {
    const f = await connectClient(broker.url, login(FLEET_USERNAME), opened);
    // roomcast/# as well as the fleet's own filters: anything a box slips anywhere under roomcast/ is seen.
    await f.client.subscribeAsync([...fleetSubscriptions().map((s) => s.filter), 'roomcast/#'], { qos: 1 });
    return f;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roomcast-mosquitto-acl-'));
    // The broker drops root to the mosquitto account, which must reach the server certificate in here.
    await chmod(dir, 0o711);
    const owner = await mosquittoOwner();
    tls = await ensureFleetTls({ dir: join(dir, 'tls'), hosts: ['localhost', '127.0.0.1'], ...(owner === undefined ? {} : { serverOwner: owner }) });

    // box-c's line is mosquitto_passwd's own (a throwaway password on its command line, for this check only).
    const passwd = join(dir, 'passwd-c');
    await run('mosquitto_passwd', ['-c', '-b', passwd, C, password(C)]);
    const line = (await readFile(passwd, 'utf8')).trim();
    assert.ok(line.startsWith(`${C}:$7$101$`), 'mosquitto_passwd writes $7$ with 101 iterations');
    const cHash = line.slice(C.length + 1);
    assert.ok(verifyMosquittoPassword(password(C), cHash), 'our verifier accepts mosquitto_passwd output');

    accounts = [
      { username: A, passwordHash: hashMosquittoPassword(password(A)) },
      { username: B, passwordHash: hashMosquittoPassword(password(B)) },
      { username: C, passwordHash: cHash },
      // Not mosquitto_passwd's 101: shows Mosquitto reads the count from the hash.
      { username: FLEET_USERNAME, passwordHash: hashMosquittoPassword(password(FLEET_USERNAME), { iterations: 1000 }) },
    ];
    broker = new MosquittoBroker(accounts, tls);
    await broker.start();
  });

  after(async () => {
    await closeAll(opened);
    await broker?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('accounts with our hashes and with mosquitto_passwd hashes log in; wrong ones are refused', async () => {
    for (const user of [A, B, C, FLEET_USERNAME]) assert.equal(await refusal(broker.url, login(user)), null, user);
    const refusals = [
      await refusal(broker.url, { ...login(A), password: `${password(A)}x` }),
      await refusal(broker.url, { ...login(A), password: '' }),
      await refusal(broker.url, { username: 'box-unknown', password: password(A), clientId: 'box-unknown' }),
      // A box's password does not open the fleet's account.
      await refusal(broker.url, { username: FLEET_USERNAME, password: password(A), clientId: 'x' }),
      await refusal(broker.url, { clientId: 'anonymous' }),
    ];
    for (const r of refusals) assert.match(String(r?.message), /Bad User Name or Password|Not authorized/i);
    assert.ok(!broker.log.includes(password(A)), 'no password in the broker log');
  });

  test('box A publishes its own topics and reads its desired config and commands; the fleet receives everything', async () => {
    const f = await fleet();
    const a = await box(A);
    const subs = await a.client.subscribeAsync([topicOf(A, 'desired'), topicOf(A, 'commandRequest')], { qos: 1 });
    assert.deepEqual(subs.map((s) => s.qos), [1, 1]);

    const sent = [
      outgoing(A, 'status', 'online'),
      outgoing(A, 'health', { uptimeSeconds: 5 }),
      outgoing(A, 'reported', { appliedVersion: 0, config: {}, state: initialState([], null, new Date()) }),
      outgoing(A, 'commandResponse', { id: 't1', ok: true }),
    ];
    for (const m of sent) await a.client.publishAsync(m.topic, m.payload, { qos: m.qos, retain: m.retain });
    await waitUntil(() => sent.every((m) => f.received.some((r) => r.topic === m.topic && r.payload === m.payload)), 3000, "the fleet to receive A's four topics");

    await f.client.publishAsync(topicOf(A, 'desired'), '{"version":1,"config":{}}', { qos: 1, retain: true });
    await f.client.publishAsync(topicOf(A, 'commandRequest'), '{"id":"t2","name":"identify"}', { qos: 1 });
    await waitUntil(() => a.received.length >= 2, 3000, 'A to receive its desired config and a command');
    assert.deepEqual(a.received.map((r) => r.topic).sort(), [topicOf(A, 'commandRequest'), topicOf(A, 'desired')]);
    // Retained messages outlive the test: clear A's desired config for the next ones.
    await f.client.publishAsync(topicOf(A, 'desired'), '', { qos: 1, retain: true });
    await closeAll(opened);
  });

  test("box A cannot publish into B's namespace nor to the fleet's topics", async (t) => {
    const f = await fleet();
    const a = await box(A);
    const denied = [topicOf(B, 'status'), topicOf(B, 'desired'), topicOf(B, 'commandResponse'), topicOf(A, 'desired'), topicOf(A, 'commandRequest'), 'roomcast/box-a/other', 'elsewhere'];
    for (const topic of denied) {
      // Mosquitto answers MQTT 5 with a PUBACK; what matters is below: nothing is delivered.
      const outcome = await a.client.publishAsync(topic, 'forged', { qos: 1 }).then(
        () => 'acked',
        (e: unknown) => (e instanceof Error ? e.message : String(e)),
      );
      t.diagnostic(`A publishes ${topic}: ${outcome}`);
    }
    // The marker goes last on the same connection: once it arrives, anything sent before it would have.
    await a.client.publishAsync(topicOf(A, 'commandResponse'), '{"id":"marker","ok":true}', { qos: 1 });
    await waitUntil(() => f.received.some((r) => r.payload.includes('marker')), 3000, 'the marker');
    await sleep(300);
    assert.deepEqual(f.received.filter((r) => r.payload === 'forged'), []);
    assert.ok(a.closedAt === null, 'a denied publish does not cost the box its connection');
    await closeAll(opened);
  });

  test("box A cannot read B's retained desired config, by name or through any wildcard", async (t) => {
    const f = await fleet();
    await f.client.publishAsync(topicOf(B, 'desired'), JSON.stringify({ version: 3, config: { ROOMCAST_DESTINATIONS: `twitch:${STREAM_KEY}` } }), { qos: 1, retain: true });
    const a = await box(A);
    const filters = [topicOf(B, 'desired'), '#', 'roomcast/+/desired', 'roomcast/#', 'roomcast/box-b/#', 'roomcast/+/+', '$SYS/#'];
    for (const filter of filters) {
      const [grant] = await a.client.subscribeAsync(filter, { qos: 1 });
      t.diagnostic(`A subscribes ${filter}: SUBACK ${grant?.qos ?? 'none'}`);
    }
    // Live messages too, not only the retained one.
    await f.client.publishAsync(topicOf(B, 'desired'), JSON.stringify({ version: 4, config: { ROOMCAST_DESTINATIONS: `twitch:${STREAM_KEY}` } }), { qos: 1, retain: true });
    await f.client.publishAsync(topicOf(B, 'commandRequest'), '{"id":"t3","name":"stop"}', { qos: 1 });
    await sleep(QUIET_MS);
    t.diagnostic(`A received: ${JSON.stringify(a.received.map((r) => r.topic))}`);
    assert.deepEqual(a.received.filter((r) => !r.topic.startsWith(`roomcast/${A}/`)), []);
    assert.ok(!a.received.some((r) => r.payload.includes(STREAM_KEY)));
    // Control: the same retained message reaches B, so the silence above is the ACL, not a lost message.
    const b = await box(B);
    await b.client.subscribeAsync(topicOf(B, 'desired'), { qos: 1 });
    await waitUntil(() => b.received.some((r) => r.payload.includes(STREAM_KEY)), 3000, 'B to receive its desired config');
    await f.client.publishAsync(topicOf(B, 'desired'), '', { qos: 1, retain: true });
    await closeAll(opened);
  });

  test("the client id is the username: claiming B's client id neither takes B's session nor fires B's will", async (t) => {
    const f = await fleet();
    const will = (id: DeviceId): IClientOptions => {
      const w = lastWill(id);
      return { will: { topic: w.topic, payload: Buffer.from(w.payload), qos: w.qos, retain: w.retain } };
    };
    const b = await box(B, will(B));
    // Username A, client id B: without use_username_as_clientid this would kick B off and fire its will.
    const impostor = await connectClient(broker.url, { ...login(A), clientId: B, ...will(A) }, opened);
    await sleep(500);
    assert.equal(b.closedAt, null, 'B is still connected');
    // The impostor's session is A's: a second login as A, with yet another client id, takes it over.
    const second = await connectClient(broker.url, { ...login(A), clientId: 'something-else' }, opened);
    await waitUntil(() => impostor.closedAt !== null, 3000, 'the second login as A to take over the first');
    assert.equal(second.closedAt, null);
    // The taken-over connection's will is A's, as the broker sees it under A's id.
    await waitUntil(() => f.received.some((r) => r.topic === topicOf(A, 'status') && r.payload === 'lost'), 3000, "A's will");
    assert.equal(b.closedAt, null, 'B is still connected');
    assert.ok(!f.received.some((r) => r.topic === topicOf(B, 'status')), "B's will never fired");

    // A will on another box's topic is the ACL's business too.
    const forged = await refusal(broker.url, { ...login(A), will: { topic: topicOf(B, 'status'), payload: Buffer.from('lost'), qos: 1, retain: true } });
    t.diagnostic(`A with a will on B's status: ${forged === null ? 'connected' : forged.message}`);
    await sleep(300);
    assert.ok(!f.received.some((r) => r.topic === topicOf(B, 'status')), "no will of A's lands on B's status");
    await closeAll(opened);
  });

  test('a packet larger than the protocol allows is refused and costs the sender its connection', async () => {
    const f = await fleet();
    const a = await box(A);
    const biggest = JSON.stringify({ probeMs: 1, pad: 'x'.repeat(MAX_PAYLOAD_BYTES - 30) });
    assert.ok(Buffer.byteLength(biggest) <= MAX_PAYLOAD_BYTES);
    await a.client.publishAsync(topicOf(A, 'health'), biggest, { qos: 1 });
    await waitUntil(() => f.received.some((r) => r.payload === biggest), 3000, 'the largest allowed payload');
    a.client.publish(topicOf(A, 'health'), 'y'.repeat(MAX_PACKET_BYTES), { qos: 0 });
    await waitUntil(() => a.closedAt !== null, 3000, 'the broker to drop the oversized sender');
    await sleep(300);
    assert.ok(!f.received.some((r) => r.payload.startsWith('yyyy')));
    await closeAll(opened);
  });

  test("mqtts: a box trusting the fleet's CA connects; one trusting another CA is refused", async () => {
    const f = await fleet();
    const b = await connectClient(broker.tlsUrl, { ...login(B), ca: tls.caPem }, opened);
    await b.client.publishAsync(topicOf(B, 'status'), 'online', { qos: 1 });
    await waitUntil(() => f.received.some((r) => r.topic === topicOf(B, 'status') && r.payload === 'online'), 3000, 'a status over TLS');
    await b.client.publishAsync(topicOf(B, 'status'), '', { qos: 1, retain: true });

    const other = await ensureFleetTls({ dir: join(dir, 'other-ca'), hosts: ['localhost', '127.0.0.1'] });
    assert.notEqual(other.caPem, tls.caPem);
    const refused = await refusal(broker.tlsUrl, { ...login(B), ca: other.caPem });
    assert.match(String(refused?.message), /certificate|self.signed|verify/i);
    // Nor does the system's trust store vouch for a private CA.
    const noCa = await refusal(broker.tlsUrl, login(B));
    assert.match(String(noCa?.message), /certificate|self.signed|verify/i);
    await closeAll(opened);
  });

  test('revocation: a rewritten password file and SIGHUP cut box A off at once; box B stays connected', async () => {
    const f = await fleet();
    const a = await box(A);
    const b = await box(B);
    const aOverTls = await connectClient(broker.tlsUrl, { ...login(A), clientId: A, ca: tls.caPem }, opened);
    // The TLS login as A took over the plain one (same client id): reconnect plainly for the check below.
    await waitUntil(() => a.closedAt !== null, 3000, 'the TLS login to take over');
    await aOverTls.client.endAsync();
    const a2 = await box(A);

    const reloadAt = Date.now();
    await broker.setAccounts(accounts.filter((e) => e.username !== A));
    await waitUntil(() => a2.closedAt !== null, 2000, 'A to be disconnected after the reload');
    const cutAfter = (a2.closedAt ?? 0) - reloadAt;
    assert.ok(cutAfter < 2000, `cut after ${cutAfter} ms`);
    assert.match(String((await refusal(broker.url, login(A)))?.message), /Bad User Name or Password|Not authorized/i);
    assert.match(String((await refusal(broker.tlsUrl, { ...login(A), ca: tls.caPem }))?.message), /Bad User Name or Password|Not authorized/i);

    await sleep(300);
    assert.equal(b.closedAt, null, 'B is still connected');
    assert.equal(f.closedAt, null, 'the fleet is still connected');
    await b.client.publishAsync(topicOf(B, 'commandResponse'), '{"id":"after-reload","ok":true}', { qos: 1 });
    await waitUntil(() => f.received.some((r) => r.payload.includes('after-reload')), 3000, "B's message after the reload");

    // Re-enrolment (a new hash) lets A back in after another reload.
    pw.set(A, newBoxPassword());
    await broker.setAccounts([...accounts.filter((e) => e.username !== A), { username: A, passwordHash: hashMosquittoPassword(password(A)) }]);
    assert.equal(await refusal(broker.url, login(A)), null);
  });
});
