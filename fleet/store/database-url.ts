import { registerSecret } from '../../common/secret.js';
import { DatabaseUrlError } from './errors.js';

/** Which backend a ROOMCAST_FLEET_DATABASE_URL value selects. */
export type DatabaseChoice = { kind: 'sqlite' } | { kind: 'postgres'; url: string };

const SCHEMES = ['postgres:', 'postgresql:'];

/**
 * Null or blank: SQLite in the data dir. Otherwise a postgres:// or
 * postgresql:// URL with a host, or a DatabaseUrlError that shows the URL
 * with its password masked. A password that parses is registered with the
 * log scrubber, so a driver message that quotes the URL is masked too.
 */
export function chooseDatabase(raw: string | null): DatabaseChoice {
  if (raw === null || raw.trim() === '') return { kind: 'sqlite' };
  const url = raw.trim();
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DatabaseUrlError(`database URL ${maskDatabaseUrl(url)} is not a URL`);
  }
  if (parsed.password !== '') {
    registerSecret(parsed.password);
    registerSecret(decodeURIComponent(parsed.password));
  }
  if (!SCHEMES.includes(parsed.protocol)) {
    throw new DatabaseUrlError(`database URL ${maskDatabaseUrl(url)} must start with postgres:// or postgresql:// (leave it empty for SQLite in the data dir)`);
  }
  if (parsed.hostname === '') throw new DatabaseUrlError(`database URL ${maskDatabaseUrl(url)} has no host`);
  return { kind: 'postgres', url };
}

/**
 * The URL with everything from the user's colon to the last @ replaced.
 * Textual, not through URL: it must also mask a URL that does not parse,
 * which is exactly when it is shown. The last @ anywhere, not only before
 * the first slash, so a password with an unescaped / or @ is masked whole;
 * an @ in the query hides more than needed, never less.
 */
export function maskDatabaseUrl(url: string): string {
  const scheme = url.indexOf('://');
  const authorityStart = scheme < 0 ? 0 : scheme + 3;
  const at = url.lastIndexOf('@');
  if (at < authorityStart) return url;
  const colon = url.indexOf(':', authorityStart);
  if (colon < 0 || colon > at) return url;
  return `${url.slice(0, colon + 1)}****${url.slice(at)}`;
}
