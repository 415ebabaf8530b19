import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger } from '../common/log.js';
import { loadFleetConfig } from '../fleet/config.js';
import { newSecret } from '../fleet/credentials.js';
import { FleetService } from '../fleet/service.js';
import { NginxRtmp } from '../testbed/nginx-rtmp.js';
import { freePort, isPortFree } from '../testbed/ports.js';
import { startDevice } from './device.js';

/**
 * `roomcast demo`: the fleet service on embedded defaults (aedes, SQLite)
 * and a virtual box (test pattern and tone) enrolled with it, streaming to a
 * local nginx-rtmp and recording, on loopback only. Runs until Ctrl-C.
 */
export async function runDemo(): Promise<void> {
  const log = createLogger('demo');
  const dataDir = process.env['ROOMCAST_DATA_DIR'] ?? '/tmp/roomcast-demo';
  const recordDir = join(dataDir, 'recordings');
  // The fleet's ports are new each run: a fresh fleet and a fresh box, so the box's saved credentials never point at a gone broker.
  await Promise.all(['fleet', 'box'].map((d) => rm(join(dataDir, d), { recursive: true, force: true })));
  await mkdir(recordDir, { recursive: true });
  const rtmpPort = await preferredPort('ROOMCAST_DEMO_RTMP_PORT', 1935);
  const ingest = new NginxRtmp(join(dataDir, 'ingest'), rtmpPort, false);
  await ingest.start();
  const watchUrl = ingest.url('live', 'demo-room');

  const httpPort = await preferredPort('ROOMCAST_DEMO_HTTP_PORT', 8080);
  const adminToken = newSecret();
  const enrollToken = newSecret();
  const fleetConfig = loadFleetConfig({
    ROOMCAST_FLEET_DATA_DIR: join(dataDir, 'fleet'),
    ROOMCAST_FLEET_LISTEN_HOST: '127.0.0.1',
    ROOMCAST_FLEET_HTTP_PORT: String(httpPort),
    ROOMCAST_FLEET_MQTT_PORT: '0',
    ROOMCAST_FLEET_MQTTS_PORT: '0',
    ROOMCAST_FLEET_PUBLIC_URL: `http://127.0.0.1:${httpPort}`,
    ROOMCAST_ADMIN_TOKEN: adminToken,
    ROOMCAST_ENROLL_TOKEN: enrollToken,
  });
  if (!fleetConfig.ok) throw fleetConfig.error;
  const fleet = new FleetService({ config: fleetConfig.config, logger: createLogger('fleet'), announce: () => undefined });
  const { publicUrl } = await fleet.start();

  const box = await startDevice(
    {
      PATH: process.env['PATH'],
      ROOMCAST_VIDEO_SOURCE: 'test',
      ROOMCAST_AUDIO_SOURCE: 'test',
      ROOMCAST_ROOM_NAME: 'Demo room',
      ROOMCAST_DESTINATIONS: watchUrl,
      ROOMCAST_RECORD_DIR: recordDir,
      ROOMCAST_AUTOSTART: 'true',
      ROOMCAST_DATA_DIR: join(dataDir, 'box'),
      ROOMCAST_FLEET_URL: publicUrl,
      ROOMCAST_ENROLL_TOKEN: enrollToken,
      ROOMCAST_HEALTH_SECONDS: '5',
    },
    createLogger('agent'),
  );
  process.stderr.write(
    `\nroomcast demo: a fleet service with its dashboard, and a virtual box streaming a test pattern to a local nginx-rtmp.\n` +
      `  watch:      ffplay ${watchUrl}\n` +
      `         or:  vlc ${watchUrl}\n` +
      `  recordings: ${recordDir}\n` +
      `  dashboard:  ${publicUrl}/ (log in with the admin token below)\n` +
      `  fleet API:  ${publicUrl}/api/devices (OpenAPI at ${publicUrl}/api/openapi.json)\n` +
      `  admin token (this run only): ${adminToken}\n` +
      `  try:        curl -H 'Authorization: Bearer ${adminToken}' ${publicUrl}/api/devices\n` +
      `  Ctrl-C stops it.\n\n`,
  );
  await new Promise<void>((resolve) => {
    const onSignal = (): void => {
      log.info('stopping');
      box
        .stop()
        .then(() => fleet.stop())
        .then(() => ingest.stop())
        .then(resolve, resolve);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
}

/** The conventional port when it is free (or the one the variable names), else any free one. */
async function preferredPort(variable: string, conventional: number): Promise<number> {
  const wanted = Number(process.env[variable] ?? conventional);
  return (await isPortFree(wanted)) ? wanted : freePort();
}
