import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../common/config/load.js';
import { createLogger } from '../common/log.js';
import { DeviceAgent } from '../device/agent.js';
import { detectHardware } from '../device/hardware/detect.js';
import { hostPaths } from '../device/hardware/paths.js';
import { NginxRtmp } from '../testbed/nginx-rtmp.js';
import { freePort, isPortFree } from '../testbed/ports.js';

/**
 * `roomcast demo`: a virtual box (test pattern and tone) streaming to a local
 * nginx-rtmp and recording, on loopback only. Runs until Ctrl-C.
 */
export async function runDemo(): Promise<void> {
  const log = createLogger('demo');
  const dataDir = process.env['ROOMCAST_DATA_DIR'] ?? '/tmp/roomcast-demo';
  const recordDir = join(dataDir, 'recordings');
  await mkdir(recordDir, { recursive: true });
  const wanted = Number(process.env['ROOMCAST_DEMO_RTMP_PORT'] ?? 1935);
  const port = (await isPortFree(wanted)) ? wanted : await freePort();
  const ingest = new NginxRtmp(join(dataDir, 'ingest'), port, false);
  await ingest.start();
  const watchUrl = ingest.url('live', 'demo-room');

  const loaded = loadConfig({
    ROOMCAST_VIDEO_SOURCE: 'test',
    ROOMCAST_AUDIO_SOURCE: 'test',
    ROOMCAST_DESTINATIONS: watchUrl,
    ROOMCAST_RECORD_DIR: recordDir,
    ROOMCAST_AUTOSTART: 'true',
    ROOMCAST_DATA_DIR: dataDir,
  });
  if (!loaded.ok) throw loaded.error;
  const hardware = await detectHardware(hostPaths());
  const agent = new DeviceAgent({ config: loaded.config, hardware, logger: createLogger('agent') });
  agent.start();
  process.stderr.write(
    `\nroomcast demo: a virtual box is streaming a test pattern to a local nginx-rtmp.\n` +
      `  watch:      ffplay ${watchUrl}\n` +
      `         or:  vlc ${watchUrl}\n` +
      `  recordings: ${recordDir}\n` +
      `  Ctrl-C stops it.\n\n`,
  );
  await new Promise<void>((resolve) => {
    const onSignal = (): void => {
      log.info('stopping');
      agent
        .stop()
        .then(() => ingest.stop())
        .then(resolve, resolve);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
}
