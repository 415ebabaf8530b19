import { registerSecret } from '../common/secret.js';
import { newSecret, sameToken, tokenHash } from './credentials.js';
import type { FleetStore } from './store/types.js';

export type TokenName = 'admin' | 'enrollment';

const VARIABLE: Record<TokenName, string> = { admin: 'ROOMCAST_ADMIN_TOKEN', enrollment: 'ROOMCAST_ENROLL_TOKEN' };

/**
 * The admin and enrolment tokens. Given as a variable, that value is used.
 * Otherwise one is generated at first start, only its hash is stored, and it
 * is printed once, by the instance whose write won (several instances may
 * start together on one database).
 */
export class Token {
  private constructor(
    readonly name: TokenName,
    private hash: string,
    /** Set by a variable: cannot be rotated from the API. */
    readonly fixed: boolean,
    private readonly store: FleetStore,
  ) {}

  static async load(name: TokenName, fromEnv: string | null, store: FleetStore, announce: (line: string) => void): Promise<Token> {
    if (fromEnv !== null) {
      registerSecret(fromEnv);
      return new Token(name, tokenHash(fromEnv), true, store);
    }
    const key = `${name}-token-sha256`;
    const existing = await store.getSetting(key);
    if (existing !== null) return new Token(name, existing, false, store);
    const token = newSecret();
    const hash = tokenHash(token);
    const stored = await store.setSettingIfAbsent(key, hash);
    if (stored === hash) announce(`${VARIABLE[name]} (${name} token, shown once; it is stored only as a hash): ${token}`);
    return new Token(name, stored, false, store);
  }

  /** Read from the store each time: another instance may have rotated it. */
  async matches(candidate: string): Promise<boolean> {
    if (!this.fixed) this.hash = (await this.store.getSetting(`${this.name}-token-sha256`)) ?? this.hash;
    return sameToken(candidate, this.hash);
  }

  /** A new token; the old one stops working at once. Returned once, never stored. */
  async rotate(): Promise<string> {
    const token = newSecret();
    this.hash = tokenHash(token);
    await this.store.setSetting(`${this.name}-token-sha256`, this.hash);
    return token;
  }
}
