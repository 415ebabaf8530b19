import { createHash, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { FLEET_USERNAME, isDeviceId } from '../common/protocol.js';

/**
 * Broker credentials, one hash format for both brokers: Mosquitto's own
 * PBKDF2-SHA512 line (`$7$<iterations>$<salt>$<hash>`, as mosquitto_passwd
 * 2.0 writes it). The fleet stores this hash per box, renders Mosquitto's
 * password file from it without knowing any password, and the embedded broker
 * verifies against the same string.
 */


/**
 * mosquitto_passwd 2.0's count. Box passwords are random (passwordBytes), so
 * stretching adds nothing against guessing; a low count keeps a reconnect
 * storm of a whole fleet cheap for the broker, which hashes on every CONNECT.
 */
export const DEFAULT_ITERATIONS = 101;
const SALT_BYTES = 12;
const HASH_BYTES = 64;
const PBKDF2 = /^\$7\$([1-9][0-9]{0,8})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

export interface HashOptions {
  iterations?: number;
  /** Fixed salt for reproducible tests; random otherwise. */
  salt?: Buffer;
}

export class CredentialError extends Error {
  override readonly name = 'CredentialError';
}

export function hashMosquittoPassword(password: string, options: HashOptions = {}): string {
  const iterations = options.iterations ?? DEFAULT_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > 999_999_999) throw new CredentialError(`iterations must be a whole number from 1, not ${iterations}`);
  const salt = options.salt ?? randomBytes(SALT_BYTES);
  if (salt.length === 0) throw new CredentialError('the salt is empty');
  const hash = pbkdf2Sync(password, salt, iterations, HASH_BYTES, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Whether `hash` is a PBKDF2-SHA512 line this module (and Mosquitto 2.0) can check. */
export function isMosquittoHash(hash: string): boolean {
  const m = PBKDF2.exec(hash);
  return m !== null && Buffer.from(m[3] ?? '', 'base64').length === HASH_BYTES && Buffer.from(m[2] ?? '', 'base64').length > 0;
}

/** False for a wrong password and for anything that is not a $7$ hash; never throws. */
export function verifyMosquittoPassword(password: string | Buffer, hash: string): boolean {
  if (!isMosquittoHash(hash)) return false;
  const [, iterations = '', salt = '', expected = ''] = PBKDF2.exec(hash) ?? [];
  const want = Buffer.from(expected, 'base64');
  const got = pbkdf2Sync(password, Buffer.from(salt, 'base64'), Number(iterations), want.length, 'sha512');
  return timingSafeEqual(got, want);
}

/** A new box password: 192 random bits, URL- and shell-safe, never logged. */
export function newBoxPassword(): string {
  return randomBytes(24).toString('base64url');
}

/** A username the broker files accept: a box's device id or the fleet's account. */
export function isBrokerUsername(username: string): boolean {
  return username === FLEET_USERNAME || isDeviceId(username);
}

/** A new random token (admin, enrolment) or in-process password: 256 bits, URL-safe. */
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
