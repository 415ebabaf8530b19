import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'roomcast_session';
/** A conference day and its evening: a crew logs in once. */
export const SESSION_SECONDS = 14 * 3600;

export interface Session {
  /** Sent back by the page in X-CSRF-Token with every change; a cross-site form cannot know it. */
  csrf: string;
  /** Unix seconds. */
  expires: number;
}

/**
 * Dashboard sessions as signed cookies: nothing to store per session, so
 * every fleet service instance sharing the store (and so the key) accepts
 * them. A new key (POST /api/logout-everyone) ends every session at once.
 */
export class Sessions {
  constructor(
    private key: Buffer,
    private readonly now: () => number = () => Date.now(),
  ) {}

  issue(): { value: string; session: Session } {
    const session: Session = { csrf: randomBytes(24).toString('base64url'), expires: Math.floor(this.now() / 1000) + SESSION_SECONDS };
    const payload = Buffer.from(JSON.stringify(session)).toString('base64url');
    return { value: `${payload}.${this.sign(payload)}`, session };
  }

  /** The session a cookie value holds, or null when it is forged, malformed or expired. Never throws. */
  verify(value: string | null): Session | null {
    if (!value) return null;
    const [payload, signature, extra] = value.split('.');
    if (!payload || !signature || extra !== undefined) return null;
    const expected = Buffer.from(this.sign(payload));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    try {
      const s = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<Session>;
      if (typeof s.csrf !== 'string' || typeof s.expires !== 'number') return null;
      return s.expires > this.now() / 1000 ? { csrf: s.csrf, expires: s.expires } : null;
    } catch {
      return null;
    }
  }

  rekey(key: Buffer): void {
    this.key = key;
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }
}

export function sessionCookie(value: string, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_SECONDS}${secure ? '; Secure' : ''}`;
}

export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`;
}

/** One cookie's value from a Cookie header, or null. */
export function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}
