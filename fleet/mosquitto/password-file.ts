import { isBrokerUsername, isMosquittoHash } from '../credentials.js';
import { MosquittoFileError } from './errors.js';

export interface PasswordEntry {
  username: string;
  /** A `$7$` PBKDF2-SHA512 hash (fleet/credentials.ts); never a password. */
  passwordHash: string;
}

/**
 * Mosquitto 2.0's password_file: one `username:hash` line per account, sorted
 * so that the same accounts always give the same bytes (a reload can be
 * skipped when nothing changed, and a diff shows what did).
 *
 * Only device ids and the fleet's account are written: any other name could
 * hold a colon (splitting the line), a newline (adding an account) or `+`/`#`
 * (turning the ACL's %u patterns into wildcards).
 */
export function renderPasswordFile(entries: readonly PasswordEntry[]): string {
  const problems: string[] = [];
  const seen = new Set<string>();
  entries.forEach((entry, i) => {
    // The position, not the name: a name that fails the check may be garbage.
    if (!isBrokerUsername(entry.username)) problems.push(`account ${i + 1} has a username that is neither a device id nor the fleet's`);
    else if (seen.has(entry.username)) problems.push(`${entry.username} appears twice`);
    else seen.add(entry.username);
    if (!isMosquittoHash(entry.passwordHash)) problems.push(`account ${i + 1} has no $7$ PBKDF2-SHA512 hash`);
  });
  if (problems.length > 0) throw new MosquittoFileError('password file', problems);
  const lines = [...entries].sort((a, b) => (a.username < b.username ? -1 : 1)).map((e) => `${e.username}:${e.passwordHash}\n`);
  return lines.join('');
}
