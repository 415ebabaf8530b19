import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { SdkFleet } from '../../fleet/balena/sdk-fleet.js';
import { BalenaError } from '../../fleet/balena/types.js';
import { BalenaStandin, commit, sampleDevice, sampleRelease, type StandinOptions } from '../helpers/balena-standin.js';

const TOKEN = 'standin-token-0123456789abcdef';
const C = commit;

function fleetState(): StandinOptions {
  return {
    token: TOKEN,
    app: { id: 7, slug: 'myorg/roomcast', target: 10 },
    releases: [sampleRelease(11), sampleRelease(10)],
    devices: [
      sampleDevice(21, 'c0ffee01', { device_name: 'hall', tags: { ring: 'early' } }),
      sampleDevice(22, 'c0ffee02', { is_online: false, pinned: 11, update_status: 'downloading' }),
      sampleDevice(23, 'c0ffee03', { tags: { ring: 'early' } }),
    ],
  };
}

/** The balena adapter against a local stand-in of the balena API: the requests balena-sdk 22 makes, and what comes back. */
describe('SdkFleet (balena-sdk 22 against a local stand-in)', () => {
  let standin: BalenaStandin;
  let url: string;
  const fleet = (token = TOKEN, slug: string | number = 'myorg/roomcast'): SdkFleet => new SdkFleet({ apiUrl: url, token, fleet: slug });

  before(async () => {
    standin = new BalenaStandin(fleetState());
    url = await standin.start();
  });
  afterEach(() => {
    assert.deepEqual(standin.errors, [], 'the stand-in got requests it does not understand');
    standin.requests.splice(0);
    Object.assign(standin.state, fleetState());
  });
  after(() => standin.stop());

  test('lists releases newest first, with the token, by the fleet\'s slug', async () => {
    const releases = await fleet().releases();
    assert.deepEqual(releases[0], { id: 11, commit: C('b'), version: '1.1.0', status: 'success', createdAt: '2026-11-15T10:00:00.000Z', isFinal: true, invalidated: false });
    assert.equal(releases.length, 2);
    const [app, list] = standin.requests;
    assert.equal(app?.method, 'GET');
    assert.equal(app?.path, '/v7/application');
    assert.equal(app?.query['$filter'], "slug eq 'myorg/roomcast' or uuid eq 'myorg/roomcast'");
    assert.equal(list?.path, '/v7/release');
    assert.equal(list?.query['$filter'], 'belongs_to__application eq 7');
    assert.equal(list?.query['$orderby'], 'created_at desc');
    assert.deepEqual(list?.query['$select']?.split(',').sort(), ['commit', 'created_at', 'id', 'is_final', 'is_invalidated', 'raw_version', 'semver', 'status']);
    assert.ok(standin.requests.every((r) => r.authorization === `Bearer ${TOKEN}`));
  });

  test('lists devices with running, target and pinned releases, update status and tags', async () => {
    const devices = await fleet().devices();
    const hall = devices.find((d) => d.deviceId === 'c0ffee01');
    const room2 = devices.find((d) => d.deviceId === 'c0ffee02');
    assert.deepEqual(hall, { deviceId: 'c0ffee01', balenaId: 21, name: 'hall', online: true, running: { id: 10, commit: C('a'), version: '1.0.0' }, target: { id: 10, commit: C('a'), version: '1.0.0' }, pinned: null, updateStatus: null, overallStatus: 'idle', progress: null, tags: { ring: 'early' } });
    assert.equal(room2?.pinned?.id, 11);
    assert.equal(room2?.target?.id, 11);
    assert.equal(room2?.updateStatus, 'downloading');
    const list = standin.requests.find((r) => r.path === '/v7/device');
    assert.equal(list?.query['$filter'], 'belongs_to__application eq 7');
    assert.match(list?.query['$expand'] ?? '', /is_running__release\(\$select=id,commit,raw_version\)/);
    assert.match(list?.query['$expand'] ?? '', /should_be_running__release/);
    const tags = standin.requests.find((r) => r.path === '/v7/device_tag');
    assert.equal(tags?.query['$filter'], 'device/any(d:d/belongs_to__application eq 7)');
  });

  test('pins one device by its numeric id, with a successful release of this fleet', async () => {
    const pinned = await fleet().pin({ kind: 'device', deviceId: 'c0ffee01' }, { id: 11, commit: C('b'), version: '1.1.0' });
    assert.deepEqual(pinned, ['c0ffee01']);
    const check = standin.requests.find((r) => r.path === '/v7/release(11)');
    assert.match(check?.query['$filter'] ?? '', /status eq 'success' and belongs_to__application eq 7/);
    const patch = standin.requests.filter((r) => r.method === 'PATCH');
    assert.deepEqual(patch.map((r) => [r.path, r.query['$filter'], r.body]), [['/v7/device', 'id in (21)', { is_pinned_on__release: 11 }]]);
    assert.equal(standin.device('c0ffee01').pinned, 11);
    assert.equal(standin.device('c0ffee03').pinned, null);
  });

  test('pins a tag group: exactly the tagged devices', async () => {
    const pinned = await fleet().pin({ kind: 'tag', key: 'ring', value: 'early' }, { id: 11, commit: C('b'), version: null });
    assert.deepEqual(pinned.sort(), ['c0ffee01', 'c0ffee03']);
    const patch = standin.requests.filter((r) => r.method === 'PATCH');
    assert.deepEqual(patch.map((r) => [r.path, r.query['$filter'], r.body]), [['/v7/device', 'id in (21,23)', { is_pinned_on__release: 11 }]]);
    await assert.rejects(fleet().pin({ kind: 'tag', key: 'ring', value: 'late' }, { id: 11, commit: C('b'), version: null }), (e: unknown) => e instanceof BalenaError && e.kind === 'not-found');
  });

  test('pins the whole fleet by commit and stops it following the latest release; reads it back by id', async () => {
    assert.deepEqual(await fleet().pin({ kind: 'fleet' }, { id: 11, commit: C('b'), version: null }), []);
    const patch = standin.requests.filter((r) => r.method === 'PATCH');
    assert.deepEqual(patch.map((r) => [r.path, r.body]), [['/v7/application(7)', { should_be_running__release: 11, should_track_latest_release: false }]]);
    const lookup = standin.requests.find((r) => r.path === '/v7/release');
    assert.match(lookup?.query['$filter'] ?? '', new RegExp(`startswith\\(commit,'${C('b')}'\\) and belongs_to__application eq 7 and status eq 'success'`));
    standin.requests.splice(0);
    assert.deepEqual(await fleet(TOKEN, 7).fleetRelease(), { id: 11, commit: C('b'), version: '1.1.0' });
    assert.equal(standin.requests[0]?.path, '/v7/application(7)');
  });

  test('a refused token and an unreachable API become plain errors that never show the token', async () => {
    const wrong = 'wrong-token-abcdef0123456789';
    const refused = await fleet(wrong).releases().then(() => null, (e: unknown) => e);
    assert.ok(refused instanceof BalenaError);
    assert.equal(refused.kind, 'refused');
    assert.match(refused.message, /refused ROOMCAST_BALENA_API_TOKEN \(status 401\)/);
    assert.ok(!refused.message.includes(wrong) && !refused.message.includes(TOKEN));
    const down = new BalenaStandin(fleetState());
    const downUrl = await down.start();
    await down.stop();
    const unreachable = await new SdkFleet({ apiUrl: downUrl, token: TOKEN, fleet: 'myorg/roomcast' }).devices().then(() => null, (e: unknown) => e);
    assert.ok(unreachable instanceof BalenaError, String(unreachable));
    assert.equal(unreachable.kind, 'unreachable', unreachable.message);
    assert.ok(!unreachable.message.includes(TOKEN));
  });
});
