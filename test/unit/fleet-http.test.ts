import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashMosquittoPassword, newSecret, sameToken, tokenHash, verifyMosquittoPassword } from '../../fleet/credentials.js';
import { loadFleetConfig } from '../../fleet/config.js';
import type { DeviceEvents } from '../../fleet/device-events.js';
import type { BalenaOperations } from '../../fleet/balena/balena-operations.js';
import { buildApi } from '../../fleet/http/api.js';
import type { Auth } from '../../fleet/http/auth.js';
import { OPENAPI } from '../../fleet/http/openapi.js';
import { Router } from '../../fleet/http/router.js';
import type { FleetOperations } from '../../fleet/operations.js';

describe('the HTTP API description', () => {
  it('names exactly the routes the router serves', () => {
    const served = buildApi({ ops: null as unknown as FleetOperations, auth: null as unknown as Auth, events: null as unknown as DeviceEvents, balena: null as unknown as BalenaOperations }).described.sort();
    const described = Object.entries(OPENAPI.paths)
      .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    assert.deepEqual(served, described);
  });
});

describe('Router', () => {
  const ok = () => Promise.resolve({ status: 200, body: null });
  const router = new Router().add('GET', '/api/devices/:id', ok).add('POST', '/api/devices/:id/commands/:name', ok);
  it('captures parameters', () => {
    assert.deepEqual(router.match('POST', '/api/devices/box-1/commands/start').params, { id: 'box-1', name: 'start' });
  });
  it('answers 405 for a known path with another method, 404 for an unknown one', () => {
    assert.throws(() => router.match('DELETE', '/api/devices/box-1'), { status: 405 });
    assert.throws(() => router.match('GET', '/api/nothing'), { status: 404 });
    assert.throws(() => router.match('GET', '/api/devices/%E0%A4%A'), { status: 404 });
  });
});

describe('credentials', () => {
  it('hashes in Mosquitto\'s PBKDF2-SHA512 form and verifies', () => {
    const hash = hashMosquittoPassword('correct horse');
    assert.match(hash, /^\$7\$101\$[A-Za-z0-9+/=]{16}\$[A-Za-z0-9+/=]{88}$/);
    assert.equal(verifyMosquittoPassword('correct horse', hash), true);
    assert.equal(verifyMosquittoPassword('wrong horse', hash), false);
    assert.equal(verifyMosquittoPassword('correct horse', 'garbage'), false);
    assert.notEqual(hashMosquittoPassword('correct horse'), hash, 'salted');
  });
  it('compares tokens by hash', () => {
    const t = newSecret();
    assert.equal(sameToken(t, tokenHash(t)), true);
    assert.equal(sameToken(`${t}x`, tokenHash(t)), false);
  });
});

describe('fleet config', () => {
  it('has defaults and reports every bad variable, never echoing a password', () => {
    const ok = loadFleetConfig({});
    assert.ok(ok.ok);
    if (ok.ok) assert.equal(ok.config.httpPort, 8080);
    const bad = loadFleetConfig({ ROOMCAST_FLEET_HTTP_PORT: 'x', ROOMCAST_FLEET_DATABASE_URL: 'mysql://u:hunter2hunter2@h/db', ROOMCAST_ADMIN_TOKEN: 'short' });
    assert.equal(bad.ok, false);
    if (!bad.ok) {
      assert.deepEqual(bad.error.issues.map((i) => i.variable).sort(), ['ROOMCAST_ADMIN_TOKEN', 'ROOMCAST_FLEET_DATABASE_URL', 'ROOMCAST_FLEET_HTTP_PORT']);
      assert.ok(!bad.error.message.includes('hunter2'));
    }
  });
});
