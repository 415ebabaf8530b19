import { StoreInputError } from './errors.js';

/**
 * Every time is kept in one form, `Date.prototype.toISOString()` (UTC,
 * milliseconds, 24 characters): SQLite keeps it as TEXT and compares it
 * lexically, so "2026-01-01T10:00:00+01:00" must become "...T09:00:00.000Z"
 * before it is stored or compared. Years past 9999 would gain a sign and
 * break that order, so they are refused.
 */
export function storedTime(at: string, field: string): string {
  const ms = Date.parse(at);
  if (!Number.isFinite(ms)) throw new StoreInputError(`${field} is not an ISO 8601 time`);
  const iso = new Date(ms).toISOString();
  if (iso.length !== 24) throw new StoreInputError(`${field} is outside the years 0000-9999`);
  return iso;
}

/** A limit on rows returned: a whole number, 0 included (an empty answer). */
export function checkedLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new StoreInputError('limit must be a whole number, 0 or more');
  return limit;
}
