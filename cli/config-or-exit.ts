import { loadConfig, type ConfigIssue, type Env } from '../common/config/load.js';
import type { DeviceConfig } from '../common/config/schema.js';
import { createLogger } from '../common/log.js';

/** Loads the config, or prints every problem with it (naming each variable) and exits 2. */
export function configOrExit(env: Env): { config: DeviceConfig; warnings: ConfigIssue[] } {
  const loaded = loadConfig(env);
  if (loaded.ok) return loaded;
  createLogger('config').error('invalid configuration', { issues: loaded.error.issues });
  process.stderr.write(`roomcast: the configuration is invalid; nothing was started:\n${loaded.error.issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}\n`);
  process.exit(2);
}
