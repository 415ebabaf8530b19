import type { Logger } from '../common/log.js';

/** Runs until SIGTERM or SIGINT (balena stops a service with SIGTERM), then stops what was started. */
export async function untilSignal(log: Logger, stop: () => Promise<void>): Promise<void> {
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      log.info('stopping', { signal });
      stop().then(resolve, resolve);
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
  log.info('stopped');
}
