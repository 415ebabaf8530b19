import type { Env } from '../common/config/load.js';
import { createLogger } from '../common/log.js';
import { DeviceAgent } from '../device/agent.js';
import { detectHardware } from '../device/hardware/detect.js';
import { hostPaths } from '../device/hardware/paths.js';
import { prewarmHosts } from '../device/pipeline/host-process.js';
import { listenForTestControls } from '../device/test-control.js';
import { configOrExit } from './config-or-exit.js';

/** `roomcast device`: the box agent, until SIGTERM/SIGINT. */
export async function runDevice(env: Env): Promise<void> {
  const log = createLogger('agent');
  const { config, warnings } = configOrExit(env);
  // Going live at once: fork the pipeline hosts first, so their start-up
  // overlaps everything else the agent does before it needs them.
  if (config.autostart) prewarmHosts(1 + config.destinations.length);
  for (const w of warnings) log.warn(w.message, { variable: w.variable });
  const hardware = await detectHardware(hostPaths(env));
  log.info('hardware', { board: hardware.board, cameras: hardware.cameras, microphones: hardware.microphones, hardwareEncoder: hardware.hardwareEncoder });
  const agent = new DeviceAgent({ config, hardware, logger: log });
  agent.start();
  listenForTestControls(agent, log);
  if (!config.autostart) log.info('idle: set ROOMCAST_AUTOSTART=true to go live at start');
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      log.info('stopping', { signal });
      agent.stop().then(resolve, resolve);
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
  log.info('stopped');
}
