import { loadConfig, type Env } from '../common/config/load.js';
import type { DeviceConfig } from '../common/config/schema.js';
import { createLogger, type Logger } from '../common/log.js';
import { DeviceAgent } from '../device/agent.js';
import { loadApplied, type AppliedConfig } from '../device/fleet/applied-config.js';
import type { FleetClient } from '../device/fleet/fleet-client.js';
import { detectHardware } from '../device/hardware/detect.js';
import { hostPaths } from '../device/hardware/paths.js';
import type { SystemHealthProbe } from '../device/health/system-probe.js';
import { prewarmHosts } from '../device/pipeline/host-process.js';
import { listenForTestControls } from '../device/test-control.js';
import { heartbeatPath, startHeartbeat } from '../device/heartbeat.js';
import { lineOpener } from '../device/panel/gpio-line.js';
import { Panel } from '../device/panel/panel.js';
import { UpdateLockKeeper } from '../device/updates/lock-keeper.js';
import { SupervisorApi, UpdateWatcher } from '../device/updates/supervisor.js';
import { chooseUpdateLock } from '../device/updates/update-lock.js';
import { registerSecret } from '../common/secret.js';
import { configOrExit } from './config-or-exit.js';
import { untilSignal } from './until-signal.js';

/** `roomcast device`: the box agent, until SIGTERM/SIGINT. */
export async function runDevice(env: Env): Promise<void> {
  const log = createLogger('agent');
  const box = await startDevice(env, log);
  await untilSignal(log, () => box.stop());
}

export interface RunningBox {
  readonly agent: DeviceAgent;
  stop(): Promise<void>;
}

/** The box agent and, with ROOMCAST_FLEET_URL, its fleet link (the demo runs one next to a fleet service). */
export async function startDevice(env: Env, log: Logger): Promise<RunningBox> {
  const own = configOrExit(env);
  const { config, applied } = await withApplied(env, own.config, log);
  // Going live at once: fork the pipeline hosts first, so their start-up
  // overlaps everything else the agent does before it needs them.
  if (config.autostart) prewarmHosts(1 + config.destinations.length);
  for (const w of own.warnings) log.warn(w.message, { variable: w.variable });
  const paths = hostPaths(env);
  const hardware = await detectHardware(paths);
  log.info('hardware', { board: hardware.board, cameras: hardware.cameras, microphones: hardware.microphones, hardwareEncoder: hardware.hardwareEncoder });
  let fleet: FleetClient | null = null;
  let probe: SystemHealthProbe | null = null;
  const updates = await startUpdates(env, config, log.child('updates'), () => fleet?.updateChanged());
  const agent = new DeviceAgent({
    config,
    hardware,
    detectHardware: () => detectHardware(paths),
    logger: log,
    onIpfs: (a) => fleet?.publishIpfs(a),
    onState: (state) => {
      updates.keeper.onPhase(state.phase);
      fleet?.onState(state);
    },
  });
  agent.start();
  const stopHeartbeat = startHeartbeat(heartbeatPath(env), () => agent.current.phase);
  const panel = await Panel.open({ openLine: lineOpener(paths.sys), buttonBcm: config.gpioButton, ledBcm: config.gpioLed, agent, log: log.child('panel') });
  panel?.start();
  listenForTestControls(agent, log);
  if (config.fleetUrl) {
    // Loaded only now, after the agent has started: MQTT.js alone takes longer
    // to load than the core pipeline takes to start, so it stays off the path
    // from power-on to the first frame at the ingest.
    const [{ FleetClient }, { SystemHealthProbe }] = await Promise.all([import('../device/fleet/fleet-client.js'), import('../device/health/system-probe.js')]);
    // recordDir is read at each sample: the fleet may change it.
    const health = new SystemHealthProbe({ paths, log: log.child('health'), dirs: { dataDir: config.dataDir, get recordDir() { return agent.runningConfig.recordDir; } } });
    probe = health;
    // Reads the throttling flags every second between samples, so a short under-voltage is not missed (device/health/throttle-latch.ts).
    await health.start();
    fleet = new FleetClient({
      fleetUrl: config.fleetUrl,
      enrollToken: config.enrollToken,
      dataDir: config.dataDir,
      base: env,
      applied,
      agent,
      sampleHealth: () => health.sample(),
      healthSeconds: config.healthSeconds,
      logger: log.child('fleet'),
      updateState: () => (updates.watcher ? { pending: updates.watcher.pending, locked: updates.keeper.held } : undefined),
    });
    // Enrolment and the broker may take a while or fail; the box streams regardless.
    fleet.start().catch((err: unknown) => log.error('fleet: the link could not start; the box runs on its own', { error: err instanceof Error ? err.message : String(err) }));
  }
  if (!config.autostart) log.info('idle: set ROOMCAST_AUTOSTART=true to go live at start');
  return {
    agent,
    stop: async () => {
      stopHeartbeat();
      updates.watcher?.stop();
      await Promise.all([fleet?.stop(), agent.stop(), probe?.stop()]);
      // After the agent: its last phase change (idle) releases the lock.
      await updates.keeper.stop();
      await panel?.stop();
    },
  };
}

/**
 * The balena update lock (reclaimed from a crashed run before anything can go
 * live) and, where balena's supervisor API is offered, a watch for updates.
 */
async function startUpdates(env: Env, config: DeviceConfig, log: Logger, changed: () => void): Promise<{ keeper: UpdateLockKeeper; watcher: UpdateWatcher | null }> {
  const keeper = new UpdateLockKeeper({ lock: await chooseUpdateLock(config.updateLockPath), logger: log, onChange: changed });
  await keeper.start();
  const address = env['BALENA_SUPERVISOR_ADDRESS']?.trim();
  const apiKey = env['BALENA_SUPERVISOR_API_KEY']?.trim();
  if (!address || !apiKey) return { keeper, watcher: null };
  registerSecret(apiKey);
  const watcher = new UpdateWatcher({ supervisor: new SupervisorApi(address, apiKey), logger: log, intervalMs: config.updateCheckSeconds * 1000, onChange: changed });
  watcher.start();
  return { keeper, watcher };
}

/**
 * The config the fleet last applied, over the box's own variables: a reboot
 * with no network comes back as the fleet left it. If it no longer loads (a
 * release changed the schema), the box's own variables run and say so.
 */
async function withApplied(env: Env, own: DeviceConfig, log: Logger): Promise<{ config: DeviceConfig; applied: AppliedConfig | null }> {
  const applied = await loadApplied(own.dataDir);
  if (!applied) return { config: own, applied: null };
  const loaded = loadConfig({ ...env, ...applied.config });
  if (!loaded.ok) {
    log.error('the saved fleet config is no longer valid: running on the box\'s own variables', { version: applied.version, issues: loaded.error.issues });
    return { config: own, applied: null };
  }
  log.info('restored the fleet config', { version: applied.version });
  return { config: loaded.config, applied };
}
