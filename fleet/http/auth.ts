import { createHash, randomBytes } from 'node:crypto';
import { hashMosquittoPassword, verifyMosquittoPassword } from '../credentials.js';
import type { FleetStore } from '../store/types.js';
import type { Token } from '../tokens.js';
import { ApiError, badRequest, forbidden, unauthorised } from './errors.js';
import type { LoginLimiter } from './login-limiter.js';
import type { Request } from './router.js';
import { clearedSessionCookie, sessionCookie, Sessions, type Session } from './sessions.js';

const PASSWORD_SETTING = 'admin-password-hash';
const SESSION_KEY_SETTING = 'session-key';
/** A logged-out cookie, by its hash: a copy of it (another tab, a stolen value) must not work on. */
const ENDED_PREFIX = 'session-ended:';
export const MIN_PASSWORD_LENGTH = 10;

export interface AuthDeps {
  admin: Token;
  store: FleetStore;
  limiter: LoginLimiter;
  /** Cookies marked Secure when the public URL is https. */
  secureCookies: boolean;
}

/**
 * Who may use the API: a script with `Authorization: Bearer <admin token>`,
 * or the dashboard with a session cookie from POST /api/login, whose every
 * change must carry the session's CSRF token (X-CSRF-Token).
 */
export class Auth {
  private constructor(
    private readonly deps: AuthDeps,
    private readonly sessions: Sessions,
  ) {}

  /** The session key is shared through the store, so every instance accepts every session. */
  static async create(deps: AuthDeps, now?: () => number): Promise<Auth> {
    const key = await deps.store.setSettingIfAbsent(SESSION_KEY_SETTING, randomBytes(32).toString('base64'));
    return new Auth(deps, new Sessions(Buffer.from(key, 'base64'), now));
  }

  async require(req: Request): Promise<void> {
    if (req.bearer !== null) {
      if (await this.deps.admin.matches(req.bearer)) return;
      throw unauthorised();
    }
    const session = await this.valid(req.session);
    if (!session) throw unauthorised();
    // A page on another site can make the browser send the cookie, but cannot read the token.
    if (req.method !== 'GET' && req.csrf !== session.csrf) throw forbidden('the X-CSRF-Token header is missing or wrong; reload the page');
  }

  /** With the admin token or the admin password; five failures per address per five minutes. */
  async login(req: Request): Promise<{ status: number; body: unknown; headers: Record<string, string> }> {
    const wait = this.deps.limiter.retryAfter(req.remote);
    if (wait !== null) throw new ApiError(429, `too many failed logins; try again in ${wait} s`, undefined, { 'retry-after': String(wait) });
    const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
    const token = body['token'];
    const password = body['password'];
    let ok = false;
    if (typeof token === 'string' && token !== '') ok = await this.deps.admin.matches(token);
    else if (typeof password === 'string' && password !== '') {
      const hash = await this.deps.store.getSetting(PASSWORD_SETTING);
      ok = hash !== null && verifyMosquittoPassword(password, hash);
    } else throw badRequest('send {"token": ...} or {"password": ...}');
    if (!ok) {
      this.deps.limiter.failed(req.remote);
      throw new ApiError(401, 'wrong token or password');
    }
    this.deps.limiter.succeeded(req.remote);
    const { value, session } = this.sessions.issue();
    return { status: 200, body: sessionBody(session), headers: { 'set-cookie': sessionCookie(value, this.deps.secureCookies) } };
  }

  /** Clears the cookie, and ends its session for good (a copy of the value is refused from now on). */
  async logout(req: Request): Promise<{ status: number; body: unknown; headers: Record<string, string> }> {
    if (await this.valid(req.session)) await this.deps.store.setSetting(endedSetting(req.session ?? ''), 'ended');
    return { status: 200, body: { loggedOut: true }, headers: { 'set-cookie': clearedSessionCookie(this.deps.secureCookies) } };
  }

  /** The page asks on load: its CSRF token, or 401 (show the login form). */
  async session(req: Request): Promise<{ csrf: string; expires: string }> {
    const session = await this.valid(req.session);
    if (!session) throw unauthorised();
    return sessionBody(session);
  }

  private async valid(cookie: string | null): Promise<Session | null> {
    const session = this.sessions.verify(cookie);
    if (!session || cookie === null) return null;
    return (await this.deps.store.getSetting(endedSetting(cookie))) === null ? session : null;
  }

  async passwordSet(): Promise<boolean> {
    return (await this.deps.store.getSetting(PASSWORD_SETTING)) !== null;
  }

  /** Sets (or changes) the admin password; the admin token keeps working. */
  async setPassword(body: unknown): Promise<{ passwordSet: true }> {
    const password = (typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['password'] : undefined) ?? null;
    if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH) throw badRequest(`the password must be at least ${MIN_PASSWORD_LENGTH} characters`);
    if (password.length > 200) throw badRequest('the password must be at most 200 characters');
    await this.deps.store.setSetting(PASSWORD_SETTING, hashMosquittoPassword(password));
    return { passwordSet: true };
  }
}

function endedSetting(cookie: string): string {
  return ENDED_PREFIX + createHash('sha256').update(cookie).digest('base64url');
}

function sessionBody(session: Session): { csrf: string; expires: string } {
  return { csrf: session.csrf, expires: new Date(session.expires * 1000).toISOString() };
}
