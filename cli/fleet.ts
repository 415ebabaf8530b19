import type { Env } from '../common/config/load.js';
import { createLogger } from '../common/log.js';
import { loadFleetConfig } from '../fleet/config.js';
import { FleetService } from '../fleet/service.js';
import { untilSignal } from './until-signal.js';

/** `roomcast fleet`: the fleet service, until SIGTERM/SIGINT. */
export async function runFleet(env: Env): Promise<void> {
  const log = createLogger('fleet');
  const loaded = loadFleetConfig(env);
  if (!loaded.ok) {
    log.error('invalid configuration', { issues: loaded.error.issues });
    process.stderr.write(`roomcast fleet: the configuration is invalid; nothing was started:\n${loaded.error.issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n')}\n`);
    process.exit(2);
  }
  // A generated token goes to the console once, never into the JSON log.
  const service = new FleetService({ config: loaded.config, logger: log, announce: (line) => process.stderr.write(`roomcast fleet: ${line}\n`) });
  const addresses = await service.start();
  process.stderr.write(`roomcast fleet: API on ${addresses.publicUrl}/api/ (OpenAPI at /api/openapi.json); boxes connect to ${addresses.boxMqttUrl}\n`);
  await untilSignal(log, () => service.stop());
}
