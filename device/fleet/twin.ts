import type { Env } from '../../common/config/load.js';
import { SCHEMA, type DeviceConfig } from '../../common/config/schema.js';
import { checkDesiredConfig, maskSecrets, shouldApply, type DesiredConfig, type Refusal } from '../../common/protocol.js';

/** What to do with a desired config that arrived: pure, so the rules are tested hard. */
export type DesiredDecision =
  | { kind: 'ignore' }
  | { kind: 'refuse'; refusal: Refusal }
  | { kind: 'apply'; version: number; values: Record<string, string>; config: DeviceConfig };

/**
 * Device-shadow rules: only a newer version than the applied one counts (a
 * retained message seen again after a reconnect does nothing); an invalid one
 * is refused with every reason, and the running config stays.
 */
export function decideDesired(desired: DesiredConfig, appliedVersion: number, base: Env): DesiredDecision {
  if (!shouldApply(desired.version, appliedVersion)) return { kind: 'ignore' };
  const checked = checkDesiredConfig(desired.config, base);
  if (!checked.ok) return { kind: 'refuse', refusal: { version: desired.version, errors: checked.errors } };
  return { kind: 'apply', version: desired.version, values: desired.config, config: checked.config };
}

/** Variables never reported: the enrolment token is a secret even masked. */
const UNREPORTED = new Set<string>([SCHEMA.enrollToken.env]);
const KNOWN = new Set<string>(Object.values(SCHEMA).map((s) => s.env));

/** The ROOMCAST_* values the box runs with, as the reported state shows them: secrets masked. */
export function reportedValues(base: Env, applied: Record<string, string>): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...base, ...applied })) {
    if (value !== undefined && KNOWN.has(name) && !UNREPORTED.has(name)) merged[name] = value;
  }
  return maskSecrets(merged);
}
