import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Auth } from '../../fleet/http/auth.js';
import { LoginLimiter, MAX_FAILURES, WINDOW_MS } from '../../fleet/http/login-limiter.js';
import type { Request } from '../../fleet/http/router.js';
import { cookieValue, SESSION_SECONDS, Sessions } from '../../fleet/http/sessions.js';
import { openStore } from '../../fleet/store/open-store.js';
import type { FleetStore } from '../../fleet/store/types.js';
import { Token } from '../../fleet/tokens.js';

const ADMIN = 'unit-admin-token-0123456789abcdef';

function request(over: Partial<Request>): Request {
  return { method: 'GET', params: {}, query: new URLSearchParams(), body: undefined, bearer: null, session: null, csrf: null, remote: '127.0.0.1', ...over };
}

describe('Sessions', () => {
  let clock = 1_800_000_000_000;
  const sessions = new Sessions(Buffer.alloc(32, 7), () => clock);

  it('verifies what it issued, until it expires', () => {
    const { value, session } = sessions.issue();
    assert.deepEqual(sessions.verify(value), session);
    clock += (SESSION_SECONDS - 1) * 1000;
    assert.ok(sessions.verify(value));
    clock += 2000;
    assert.equal(sessions.verify(value), null);
  });

  it('refuses forged, altered and malformed values without throwing', () => {
    const { value } = sessions.issue();
    const [payload, signature] = value.split('.') as [string, string];
    const longer = Buffer.from(JSON.stringify({ csrf: 'x', expires: 9_999_999_999 })).toString('base64url');
    for (const bad of [`${longer}.${signature}`, `${payload}.${signature.slice(1)}`, `${payload}`, `${value}.x`, '', 'a.b', '..', '\u0000']) assert.equal(sessions.verify(bad), null, bad);
    assert.equal(new Sessions(Buffer.alloc(32, 8), () => clock).verify(value), null, 'another key');
  });

  it('reads one cookie out of a Cookie header', () => {
    assert.equal(cookieValue('a=1; roomcast_session=abc.def; b=2', 'roomcast_session'), 'abc.def');
    assert.equal(cookieValue('roomcast_sessionx=1', 'roomcast_session'), null);
    assert.equal(cookieValue(undefined, 'roomcast_session'), null);
  });
});

describe('LoginLimiter', () => {
  it('lets five failures through per five minutes per address, then says how long to wait', () => {
    let clock = 0;
    const limiter = new LoginLimiter(() => clock);
    for (let i = 0; i < MAX_FAILURES; i += 1) {
      assert.equal(limiter.retryAfter('10.0.0.1'), null);
      limiter.failed('10.0.0.1');
      clock += 1000;
    }
    assert.equal(limiter.retryAfter('10.0.0.1'), Math.ceil((WINDOW_MS - MAX_FAILURES * 1000) / 1000));
    assert.equal(limiter.retryAfter('10.0.0.2'), null, 'another address is not held up');
    clock = WINDOW_MS + 1;
    assert.equal(limiter.retryAfter('10.0.0.1'), null, 'the oldest failure aged out');
  });

  it('forgets the failures of an address that logs in', () => {
    const limiter = new LoginLimiter(() => 0);
    for (let i = 0; i < MAX_FAILURES; i += 1) limiter.failed('a');
    limiter.succeeded('a');
    assert.equal(limiter.retryAfter('a'), null);
  });
});

describe('Auth (with a real SQLite store)', () => {
  let dir: string;
  let store: FleetStore;
  let clock = 1_800_000_000_000;
  let auth: Auth;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roomcast-auth-'));
    store = await openStore({ databaseUrl: null, dataDir: dir });
    const admin = await Token.load('admin', ADMIN, store, () => undefined);
    auth = await Auth.create({ admin, store, limiter: new LoginLimiter(() => clock), secureCookies: true }, () => clock);
  });
  after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const login = async (body: unknown, remote = '192.0.2.1'): Promise<{ cookie: string; csrf: string }> => {
    const out = await auth.login(request({ method: 'POST', body, remote }));
    const setCookie = out.headers['set-cookie'] ?? '';
    assert.match(setCookie, /HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/);
    return { cookie: cookieValue(setCookie, 'roomcast_session') ?? '', csrf: (out.body as { csrf: string }).csrf };
  };

  it('takes the bearer token, or a session with its CSRF token on changes', async () => {
    await auth.require(request({ bearer: ADMIN }));
    await assert.rejects(auth.require(request({ bearer: 'wrong' })), { status: 401 });
    await assert.rejects(auth.require(request({})), { status: 401 });
    const { cookie, csrf } = await login({ token: ADMIN });
    await auth.require(request({ session: cookie }));
    await auth.require(request({ method: 'PUT', session: cookie, csrf }));
    await assert.rejects(auth.require(request({ method: 'PUT', session: cookie })), { status: 403 });
    await assert.rejects(auth.require(request({ method: 'POST', session: cookie, csrf: 'guessed' })), { status: 403 });
  });

  it('ends a session when it expires', async () => {
    const { cookie } = await login({ token: ADMIN });
    clock += SESSION_SECONDS * 1000 + 1000;
    await assert.rejects(auth.require(request({ session: cookie })), { status: 401 });
    await assert.rejects(auth.session(request({ session: cookie })), { status: 401 });
  });

  it('ends a session for good at logout, leaving the others', async () => {
    const mine = await login({ token: ADMIN });
    const other = await login({ token: ADMIN });
    const out = await auth.logout(request({ method: 'POST', session: mine.cookie }));
    assert.match(out.headers['set-cookie'] ?? '', /Max-Age=0/);
    await assert.rejects(auth.require(request({ session: mine.cookie })), { status: 401 });
    await assert.rejects(auth.session(request({ session: mine.cookie })), { status: 401 });
    await auth.require(request({ session: other.cookie }));
  });

  it('logs in with a password once one is set, and limits failures', async () => {
    await assert.rejects(auth.login(request({ method: 'POST', body: { password: 'not set yet at all' }, remote: '192.0.2.9' })), { status: 401 });
    await assert.rejects(auth.setPassword({ password: 'short' }), { status: 400 });
    assert.equal(await auth.passwordSet(), false);
    await auth.setPassword({ password: 'a long enough password' });
    assert.equal(await auth.passwordSet(), true);
    assert.ok((await login({ password: 'a long enough password' })).csrf);
    for (let i = 0; i < MAX_FAILURES - 1; i += 1) await assert.rejects(auth.login(request({ method: 'POST', body: { password: 'wrong guess here' }, remote: '192.0.2.9' })), { status: 401 });
    await assert.rejects(auth.login(request({ method: 'POST', body: { token: ADMIN }, remote: '192.0.2.9' })), (err: { status: number; headers?: Record<string, string> }) => err.status === 429 && Number(err.headers?.['retry-after']) > 0);
    assert.ok((await login({ token: ADMIN }, '192.0.2.10')).csrf, 'another address logs in');
  });

  it('gives every instance on the same store the same session key', async () => {
    const { cookie } = await login({ token: ADMIN });
    const other = await Auth.create({ admin: await Token.load('admin', ADMIN, store, () => undefined), store, limiter: new LoginLimiter(), secureCookies: true }, () => clock);
    await other.require(request({ session: cookie }));
  });
});
