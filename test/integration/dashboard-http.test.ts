import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ADMIN_TOKEN, FleetProcess } from '../helpers/fleet-process.js';

/**
 * The dashboard's HTTP side against a real fleet process: its files with
 * their types and security headers, and every way in refused: no token, a
 * wrong token, a change without the CSRF token, a logged-out cookie, too many
 * failed logins.
 */
describe('dashboard over HTTP', () => {
  let dir: string;
  let fleet: FleetProcess;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roomcast-dashboard-http-'));
    fleet = await FleetProcess.start(join(dir, 'fleet'));
  });

  after(async () => {
    await fleet?.proc.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const get = (path: string, headers: Record<string, string> = {}): Promise<Response> => fetch(`${fleet.url}${path}`, { headers });

  test('serves the page, scripts and styles with their types, a strict CSP and no caching without asking', async () => {
    const page = await get('/');
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(page.headers.get('cache-control'), 'no-cache');
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /^default-src 'self';/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.ok(!csp.includes('unsafe'), csp);
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    const html = await page.text();
    assert.match(html, /<script type="module" src="\/main.js">/);
    assert.ok(!/https?:\/\//.test(html.replace(/http:\/\/www\.w3\.org\/2000\/svg/g, '')), 'nothing from another site');
    assert.equal((await get('/main.js')).headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal((await get('/style.css')).headers.get('content-type'), 'text/css; charset=utf-8');
    const etag = page.headers.get('etag') ?? '';
    assert.equal((await get('/', { 'if-none-match': etag })).status, 304);
    for (const missing of ['/nope.js', '/main.js.map', '/../package.json', '/%2e%2e/package.json']) assert.equal((await get(missing)).status, 404, missing);
  });

  test('the API refuses no token and a wrong token, the event stream too', async () => {
    for (const path of ['/api/devices', '/api/events', '/api/session']) {
      assert.equal((await get(path)).status, 401, `${path} without anything`);
      assert.equal((await get(path, { authorization: 'Bearer wrong-token-wrong-token' })).status, 401, `${path} with a wrong token`);
      assert.equal((await get(path, { cookie: 'roomcast_session=forged.value' })).status, 401, `${path} with a forged cookie`);
    }
  });

  test('a session needs its CSRF token for changes, and a logged-out cookie is refused', async () => {
    const login = await fetch(`${fleet.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: ADMIN_TOKEN }) });
    assert.equal(login.status, 200);
    const { csrf } = (await login.json()) as { csrf: string };
    const setCookie = login.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /HttpOnly; SameSite=Strict/);
    const cookie = setCookie.split(';')[0] ?? '';
    assert.equal((await get('/api/devices', { cookie })).status, 200);
    const change = (headers: Record<string, string>): Promise<Response> =>
      fetch(`${fleet.url}/api/devices/no-such-box/name`, { method: 'PUT', headers: { cookie, 'content-type': 'application/json', ...headers }, body: JSON.stringify({ name: 'x' }) });
    assert.equal((await change({})).status, 403, 'no CSRF token');
    assert.equal((await change({ 'x-csrf-token': 'guessed' })).status, 403, 'a wrong CSRF token');
    assert.equal((await change({ 'x-csrf-token': csrf })).status, 404, 'with the token the request goes through (to an unknown box)');
    const logout = await fetch(`${fleet.url}/api/logout`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf } });
    assert.match(logout.headers.get('set-cookie') ?? '', /Max-Age=0/);
    assert.equal((await get('/api/devices', { cookie })).status, 401, 'the old cookie value no longer works');
    assert.equal((await get('/api/session', { cookie })).status, 401);
    assert.equal((await change({ 'x-csrf-token': csrf })).status, 401);
  });

  test('too many failed logins make the address wait', async () => {
    const attempt = (): Promise<Response> => fetch(`${fleet.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: 'wrong password guess' }) });
    for (let i = 0; i < 5; i += 1) assert.equal((await attempt()).status, 401);
    const refused = await attempt();
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    assert.match(((await refused.json()) as { error: string }).error, /try again in \d+ s/);
  });
});
