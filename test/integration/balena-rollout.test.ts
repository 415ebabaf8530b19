import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { outgoing, type DeviceId, type ReportedState } from '../../common/protocol.js';
import { initialState } from '../../device/state.js';
import type { Rollout } from '../../fleet/balena/rollout-plan.js';
import { BalenaStandin, commit, sampleDevice, sampleRelease, type StandinOptions } from '../helpers/balena-standin.js';
import { sleep } from '../helpers/env.js';
import { ENROLL_TOKEN, FleetProcess } from '../helpers/fleet-process.js';
import { closeAll, connectClient, type TestClient } from '../helpers/mqtt.js';

const TOKEN = 'rollout-standin-token-0123456789';
const CANARY = 'c0ffee01' as DeviceId;
const C = commit;

function standinState(): StandinOptions {
  return {
    token: TOKEN,
    app: { id: 7, slug: 'myorg/roomcast', target: 10 },
    releases: [sampleRelease(12), sampleRelease(11), sampleRelease(10)],
    devices: [sampleDevice(21, CANARY), sampleDevice(22, 'c0ffee02')],
    followPinsMs: 300,
  };
}

/** A box's reported state as the protocol carries it: one YouTube destination, in the given phase. */
function reported(phase: 'idle' | 'live', destinationState: 'idle' | 'live'): ReportedState {
  const state = initialState([{ id: 'youtube', platform: 'youtube', protocol: 'rtmp', url: 'rtmp://a.rtmp.youtube.com/live2/key-0123456789', display: 'youtube:****6789' }], null, new Date(), 'test');
  return { appliedVersion: 0, config: {}, state: { ...state, phase, destinations: state.destinations.map((d) => ({ ...d, state: destinationState })) } };
}

/** A staged rollout through a real `roomcast fleet` pointed at the balena stand-in, with a protocol-level canary box (real MQTT client, enrolled credentials). */
describe('staged rollout through balena (real fleet service, balena stand-in, protocol-level box)', { timeout: 120_000 }, () => {
  let dir: string;
  let standin: BalenaStandin;
  let fleet: FleetProcess;
  let env: Record<string, string>;
  let creds: { username: string; password: string };
  const opened: TestClient[] = [];

  const connectBox = async (): Promise<TestClient> => {
    const tc = await connectClient(`mqtt://127.0.0.1:${fleet.mqttPort ?? 0}`, { clientId: creds.username, ...creds, protocolVersion: 4 }, opened);
    tc.client.on('error', () => undefined);
    const status = outgoing(CANARY, 'status', 'online');
    await tc.client.publishAsync(status.topic, status.payload, { qos: status.qos, retain: status.retain });
    return tc;
  };
  const report = async (tc: TestClient, r: ReportedState): Promise<void> => {
    const msg = outgoing(CANARY, 'reported', r);
    await tc.client.publishAsync(msg.topic, msg.payload, { qos: msg.qos, retain: msg.retain });
  };
  const current = async (): Promise<Rollout> => {
    const r = await fleet.api<{ rollout: Rollout | null }>('GET', '/api/rollouts/current');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(r.body.rollout);
    return r.body.rollout;
  };
  const waitForPhase = async (phase: Rollout['phase'], timeoutMs = 15_000): Promise<Rollout> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await current();
      if (r.phase === phase) return r;
      if (Date.now() > deadline) throw new Error(`rollout still ${r.phase} (${r.reason ?? ''}), not ${phase}; stand-in errors: ${standin.errors.join('; ')}`);
      await sleep(200);
    }
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roomcast-rollout-'));
    standin = new BalenaStandin(standinState());
    const apiUrl = await standin.start();
    env = { ROOMCAST_BALENA_API_TOKEN: TOKEN, ROOMCAST_BALENA_FLEET: 'myorg/roomcast', ROOMCAST_BALENA_API_URL: apiUrl, ROOMCAST_BALENA_POLL_SECONDS: '1' };
    fleet = await FleetProcess.start(join(dir, 'fleet'), env);
    const enrolled = await fleet.api<{ username: string; password: string }>('POST', '/api/enrol', { token: ENROLL_TOKEN, deviceId: CANARY }, null);
    assert.equal(enrolled.status, 201);
    creds = { username: enrolled.body.username, password: enrolled.body.password };
  });

  after(async () => {
    await closeAll(opened);
    await fleet?.proc.stop();
    await standin?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('canary pinned, updated, live on the test destination, then the whole fleet; resumed across a fleet restart', async () => {
    assert.deepEqual((await fleet.api('GET', '/api/balena')).body['configured'], true);
    const releases = await fleet.api<{ releases: { id: number }[]; fleetRelease: { id: number } }>('GET', '/api/releases');
    assert.deepEqual(releases.body.releases.map((r) => r.id), [12, 11, 10]);
    assert.equal(releases.body.fleetRelease.id, 10);

    let box = await connectBox();
    // Before the canary has reported, it has no destination to test on.
    const early = await fleet.api('POST', '/api/rollouts', { release: C('b').slice(0, 7), canary: CANARY, testDestination: 'youtube' });
    assert.equal(early.status, 409, JSON.stringify(early.body));
    // Live on the old release: a report from before the update must not pass the canary.
    await report(box, reported('live', 'live'));
    await fleet.waitForDevice(CANARY, (d) => d['state'] === 'live', 5000, 'the canary live on the old release');

    const started = await fleet.api<Rollout>('POST', '/api/rollouts', { release: C('b').slice(0, 7), canary: CANARY, testDestination: 'youtube', timeouts: { canaryTestSeconds: 600 } });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    assert.equal(started.body.release.id, 11);
    assert.equal(started.body.previous?.id, 10);
    const again = await fleet.api('POST', '/api/rollouts', { release: 11, canary: CANARY, testDestination: 'youtube' });
    assert.equal(again.status, 409, 'a second rollout while one runs');

    const testing = await waitForPhase('canary-testing');
    assert.equal(standin.device(CANARY).pinned, 11, 'the canary pinned');
    assert.equal(standin.device('c0ffee02').pinned, null, 'nobody else pinned');
    assert.equal(standin.state.app.target, 10, 'the fleet not pinned yet');
    assert.ok(testing.canaryRunningAt);
    const deviceRelease = await fleet.api<{ running: { id: number } }>('GET', `/api/devices/${CANARY}/release`);
    assert.equal(deviceRelease.body.running.id, 11);
    await sleep(2500);
    assert.equal((await current()).phase, 'canary-testing', 'the old live report passed the canary');

    // The fleet restarts mid-rollout; the box comes back (its container restarted with the new release), goes live again.
    await closeAll(opened);
    await fleet.proc.stop();
    fleet = await FleetProcess.start(join(dir, 'fleet'), env, fleet);
    box = await connectBox();
    await report(box, reported('idle', 'idle'));
    await sleep(1500);
    assert.equal((await current()).phase, 'canary-testing');
    await report(box, reported('live', 'live'));

    const done = await waitForPhase('done');
    assert.equal(standin.state.app.target, 11, 'the whole fleet pinned');
    const appPatch = standin.requests.find((r) => r.method === 'PATCH' && r.path === '/v7/application(7)');
    assert.deepEqual(appPatch?.body, { should_be_running__release: 11, should_track_latest_release: false });
    assert.deepEqual(done.history.map((h) => h.phase), ['pinning-canary', 'canary-updating', 'canary-testing', 'pinning-rest', 'done']);
    assert.deepEqual(standin.errors, []);
  });

  test('abort keeps what was pinned; rollback pins the release before; the token is never logged nor answered', async () => {
    const started = await fleet.api<Rollout>('POST', '/api/rollouts', { release: 12, canary: CANARY, testDestination: 'youtube' });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    await waitForPhase('canary-testing');
    const aborted = await fleet.api<Rollout>('POST', '/api/rollouts/current/abort', { reason: 'the keynote starts' });
    assert.equal(aborted.status, 200);
    assert.equal(aborted.body.phase, 'aborted');
    assert.equal(aborted.body.reason, 'aborted: the keynote starts');
    await sleep(1500);
    assert.equal((await current()).phase, 'aborted', 'a poll overwrote the abort');
    assert.equal((await fleet.api('POST', '/api/rollouts/current/abort')).status, 409);
    assert.equal(standin.device(CANARY).pinned, 12);

    const back = await fleet.api<{ from: { id: number }; release: { id: number }; pinned: string[] }>('POST', '/api/releases/rollback', { target: { kind: 'device', deviceId: CANARY } });
    assert.equal(back.status, 200, JSON.stringify(back.body));
    assert.deepEqual([back.body.from.id, back.body.release.id, back.body.pinned], [12, 11, [CANARY]]);
    assert.equal(standin.device(CANARY).pinned, 11);

    const pin = await fleet.api('POST', '/api/releases/pin', { release: 10, target: { kind: 'device', deviceId: 'c0ffee02' } });
    assert.equal(pin.status, 200, JSON.stringify(pin.body));
    assert.equal(standin.device('c0ffee02').pinned, 10);
    assert.equal((await fleet.api('POST', '/api/releases/pin', { release: 10, target: { kind: 'box' } })).status, 400);

    assert.ok(!fleet.proc.log.includes(TOKEN), 'the balena token is in the fleet log');
    assert.ok(standin.requests.every((r) => r.authorization === `Bearer ${TOKEN}`));
  });
});

describe('balena not configured (real fleet service)', () => {
  let dir: string;
  let fleet: FleetProcess;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roomcast-nobalena-'));
    fleet = await FleetProcess.start(join(dir, 'fleet'));
  });
  after(async () => {
    await fleet?.proc.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('says how to configure it, answers 503 on balena paths, and everything else works', async () => {
    const status = await fleet.api<{ configured: boolean; message: string }>('GET', '/api/balena');
    assert.equal(status.status, 200);
    assert.equal(status.body.configured, false);
    assert.match(status.body.message, /set ROOMCAST_BALENA_API_TOKEN .* and ROOMCAST_BALENA_FLEET/);
    for (const [method, path] of [['GET', '/api/releases'], ['GET', '/api/rollouts/current'], ['POST', '/api/rollouts'], ['POST', '/api/releases/pin'], ['GET', '/api/devices/c0ffee01/release']]) {
      const r = await fleet.api<{ error: string }>(method ?? 'GET', path ?? '', method === 'POST' ? {} : undefined);
      assert.equal(r.status, 503, `${method} ${path}`);
      assert.match(r.body.error, /balena is not configured: set ROOMCAST_BALENA_API_TOKEN/);
    }
    assert.equal((await fleet.api('GET', '/api/releases', undefined, null)).status, 401, 'admin-protected first');
    assert.equal((await fleet.api('GET', '/api/devices')).status, 200);
  });
});
