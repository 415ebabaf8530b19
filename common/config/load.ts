import { SCHEMA, type DeviceConfig, type VariableSpec } from './schema.js';

export interface ConfigIssue {
  variable: string;
  message: string;
}

export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(`invalid configuration: ${issues.map((i) => `${i.variable}: ${i.message}`).join('; ')}`);
    this.name = 'ConfigError';
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Validates every field and reports every problem at once, naming the
 * variable. Nothing is returned unless all of it is valid, so an invalid
 * value can never start a half-configured pipeline.
 */
export function loadConfig(env: Env): { ok: true; config: DeviceConfig; warnings: ConfigIssue[] } | { ok: false; error: ConfigError } {
  const parsed = parseVariables(SCHEMA, env);
  const unknown = Object.keys(env).filter((name) => name.startsWith('ROOMCAST_') && !KNOWN.has(name) && !OTHER_PREFIXES.some((p) => name.startsWith(p)));
  // A warning, not an error: during a rollout the fleet may already set a
  // variable that only the newer release knows, and the older box must run on.
  const warnings = unknown.map((name) => ({ variable: name, message: 'unknown variable (misspelt, or for a newer release?); ignored' }));
  if (!parsed.ok) return parsed;
  return { ok: true, config: parsed.config, warnings };
}

type Parsed<S extends Record<string, VariableSpec<unknown>>> = { [K in keyof S]: ReturnType<S[K]['parse']> };

/** Parses every variable of a schema (the box's or the fleet service's), collecting every problem. */
export function parseVariables<S extends Record<string, VariableSpec<unknown>>>(schema: S, env: Env): { ok: true; config: Parsed<S> } | { ok: false; error: ConfigError } {
  const issues: ConfigIssue[] = [];
  const out: Partial<Record<keyof S, unknown>> = {};
  for (const key of Object.keys(schema) as (keyof S & string)[]) {
    const spec = schema[key] as VariableSpec<unknown>;
    // An empty value means "unset" (balena cannot unset a variable on one device, only empty it).
    const given = env[spec.env];
    const raw = given !== undefined && given.trim() !== '' ? given : (spec.default ?? '');
    try {
      out[key] = spec.parse(raw);
    } catch (err) {
      issues.push({ variable: spec.env, message: err instanceof Error ? err.message : String(err) });
    }
  }
  if (issues.length > 0) return { ok: false, error: new ConfigError(issues) };
  return { ok: true, config: out as Parsed<S> };
}

const KNOWN = new Set<string>(Object.values(SCHEMA).map((s) => s.env));

/** Variables owned by other parts (host paths for tests, the fleet service, the log level). */
export const OTHER_PREFIXES = ['ROOMCAST_HOST_', 'ROOMCAST_FLEET_', 'ROOMCAST_LOG_', 'ROOMCAST_ADMIN_', 'ROOMCAST_ENROLL_'];
