import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ADMIN_TOKEN, ENROLL_TOKEN, FleetProcess } from '../helpers/fleet-process.js';
import { closeAll, connectClient, type TestClient } from '../helpers/mqtt.js';

/** The printed-once tokens of a fleet started without them: rotation, and what a restart keeps. */
describe('fleet tokens: generated once, rotated, kept over a restart (real fleet processes)', () => {
  let dir: string;
  const fleets: FleetProcess[] = [];
  const opened: TestClient[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roomcast-tokens-'));
  });
  after(async () => {
    await closeAll(opened);
    for (const f of fleets) await f.proc.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const enrol = (fleet: FleetProcess, token: string, deviceId: string): Promise<{ status: number; body: { username: string; password: string } }> =>
    fleet.api<{ username: string; password: string }>('POST', '/api/enrol', { token, deviceId }, null);

  test('a generated enrolment token is printed once; rotating it stops the old one at once, enrolled boxes stay', async () => {
    // An empty variable means "unset": the fleet generates the token and prints it once, on the console only.
    let fleet = await FleetProcess.start(join(dir, 'fleet'), { ROOMCAST_ENROLL_TOKEN: '' });
    fleets.push(fleet);
    const printed = /ROOMCAST_ENROLL_TOKEN \(enrollment token, shown once; it is stored only as a hash\): (\S+)/.exec(fleet.proc.log)?.[1];
    assert.ok(printed, fleet.proc.log);
    assert.ok(!fleet.lines().some((l) => JSON.stringify(l).includes(printed)), 'the token went into the JSON log');
    const first = await enrol(fleet, printed, 'box-1');
    assert.equal(first.status, 201);

    const rotated = await fleet.api<{ token: string }>('POST', '/api/enrollment-token');
    assert.equal(rotated.status, 200);
    const fresh = rotated.body.token;
    assert.notEqual(fresh, printed);
    assert.equal((await enrol(fleet, printed, 'box-2')).status, 403, 'the old token still enrols');
    assert.equal((await enrol(fleet, fresh, 'box-2')).status, 201);
    // box-1's credentials did not depend on the token.
    const url = `mqtt://127.0.0.1:${fleet.mqttPort ?? 0}`;
    await connectClient(url, { clientId: 'box-1', username: first.body.username, password: first.body.password, protocolVersion: 4 }, opened);

    // A restart prints nothing new and keeps the rotated token (only its hash is stored).
    await closeAll(opened);
    await fleet.proc.stop();
    fleet = await FleetProcess.start(join(dir, 'fleet'), { ROOMCAST_ENROLL_TOKEN: '' });
    fleets.push(fleet);
    assert.doesNotMatch(fleet.proc.log, /shown once/);
    assert.equal((await enrol(fleet, fresh, 'box-3')).status, 201);
    assert.equal((await enrol(fleet, printed, 'box-4')).status, 403);
  });

  test('a token set by its variable cannot be rotated from the API', async () => {
    const fleet = await FleetProcess.start(join(dir, 'fixed'));
    fleets.push(fleet);
    const r = await fleet.api<{ error: string }>('POST', '/api/enrollment-token');
    assert.equal(r.status, 409);
    assert.match(r.body.error, /ROOMCAST_ENROLL_TOKEN/);
    assert.equal((await enrol(fleet, ENROLL_TOKEN, 'box-9')).status, 201);
    assert.equal((await fleet.api('POST', '/api/enrollment-token', undefined, `${ADMIN_TOKEN}x`)).status, 401);
  });
});
