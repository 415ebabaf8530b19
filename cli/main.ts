#!/usr/bin/env node
// Commands are imported when run: `roomcast device` loads only what the agent needs,
// which is on the path from power-on to the first frame at the ingest.

const USAGE = `roomcast: livestream capture box

  roomcast device         run the box agent (configured by ROOMCAST_* variables)
  roomcast probe [--json] show the cameras, microphones and encoders found, and
                          the pipeline the current configuration would run
  roomcast fleet          run the fleet service (MQTT broker, device twins,
                          health, enrolment and the HTTP API)
  roomcast demo           the fleet service and a virtual box streaming a test
                          pattern to a local nginx-rtmp, recording, and where
                          to watch it
  roomcast healthcheck    exit 0 while the agent on this box is alive (the
                          container's HEALTHCHECK)
  roomcast config-docs [fleet]
                          print the box's (or the fleet service's)
                          configuration table (Markdown)
`;

/**
 * A box that goes live at start forks its core pipeline host before the
 * agent's modules load, so the host's own start-up (Node.js and GStreamer, the
 * longest step before the first frame) overlaps the agent's. The relays' hosts
 * follow once the agent has read its config (startDevice): forked now, they
 * would only slow this one down on a small board. A guess from the variable
 * alone: the agent checks the whole config and reports an invalid value.
 */
async function prewarmCoreHost(env: NodeJS.ProcessEnv): Promise<void> {
  const [{ boolean }, { prewarmHosts }] = await Promise.all([import('../common/config/boolean.js'), import('../device/pipeline/host-process.js')]);
  try {
    if (!boolean(env['ROOMCAST_AUTOSTART'] ?? '')) return;
  } catch {
    return;
  }
  prewarmHosts(1);
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'device':
      await prewarmCoreHost(process.env);
      await (await import('./device.js')).runDevice(process.env);
      return;
    case 'probe':
      await (await import('./probe.js')).runProbe(process.env, rest.includes('--json'));
      return;
    case 'fleet':
      await (await import('./fleet.js')).runFleet(process.env);
      return;
    case 'demo':
      await (await import('./demo.js')).runDemo();
      return;
    case 'healthcheck': {
      const { heartbeatPath, heartbeatProblem } = await import('../device/heartbeat.js');
      const problem = await heartbeatProblem(heartbeatPath(process.env));
      if (problem) {
        process.stderr.write(`roomcast healthcheck: ${problem}\n`);
        process.exitCode = 1;
      }
      return;
    }
    case 'config-docs':
      process.stdout.write((await import('./config-docs.js')).configTable(rest[0] === 'fleet' ? (await import('../fleet/config.js')).FLEET_SCHEMA : undefined) + '\n');
      return;
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(USAGE);
      return;
    default:
      process.stderr.write(`roomcast: unknown command "${command}"\n\n${USAGE}`);
      process.exit(64);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`roomcast: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
