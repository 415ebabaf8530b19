import { createHash, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * One password hash for both brokers: Mosquitto 2.0's PBKDF2-SHA512 form
 * ($7$iterations$salt$hash, as mosquitto_passwd writes it). The fleet keeps
 * only this hash per box; the embedded broker verifies against it, and the
 * password file for an external Mosquitto is written from it.
 */
const ITERATIONS = 101;
const SALT_BYTES = 12;
const HASH_BYTES = 64;

export function hashPassword(password: string, salt: Buffer = randomBytes(SALT_BYTES), iterations = ITERATIONS): string {
  const hash = pbkdf2Sync(password, salt, iterations, HASH_BYTES, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export function verifyPassword(password: string | Buffer, stored: string): boolean {
  const m = /^\$7\$(\d{1,7})\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored);
  if (!m) return false;
  const expected = Buffer.from(m[3] ?? '', 'base64');
  const actual = pbkdf2Sync(password, Buffer.from(m[2] ?? '', 'base64'), Number(m[1]), expected.length, 'sha512');
  return expected.length === HASH_BYTES && timingSafeEqual(actual, expected);
}

/** A new random secret: 32 bytes, URL-safe. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** Tokens are random and long, so one SHA-256 is enough to keep them out of the database. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function sameToken(candidate: string, hash: string): boolean {
  const a = Buffer.from(tokenHash(candidate), 'hex');
  const b = Buffer.from(hash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
