import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FLEET_USERNAME } from '../common/protocol.js';
import { hashMosquittoPassword, newSecret } from '../fleet/credentials.js';
import { ensureFleetTls } from '../fleet/tls.js';
import { MosquittoBroker, mosquittoOwner } from '../testbed/mosquitto.js';
import { FleetProcess } from '../test/helpers/fleet-process.js';

export type BrokerKind = 'aedes' | 'mosquitto';

export interface FleetUnderTest {
  fleet: FleetProcess;
  /** The external Mosquitto, or null with the embedded broker. */
  mosquitto: MosquittoBroker | null;
  stop(): Promise<void>;
}

/** Info, as a fleet runs in production: one line per enrolment and per Mosquitto file rewrite. */
const FLEET_ENV = { ROOMCAST_LOG_LEVEL: 'info' };

/**
 * A real `roomcast fleet` (SQLite in `dir`) with its embedded aedes broker, or
 * with a real Mosquitto (testbed/mosquitto.ts) that runs on the fleet's own
 * generated files: the fleet rewrites its password file and sends it SIGHUP
 * at every enrolment. Boxes reach either over TLS with a CA from the fleet's
 * generator; the fleet's own link is plain MQTT on loopback in both cases.
 */
export async function startFleet(kind: BrokerKind, dir: string, nodeArgs: readonly string[]): Promise<FleetUnderTest> {
  if (kind === 'aedes') {
    const fleet = await FleetProcess.start(join(dir, 'fleet'), FLEET_ENV, undefined, nodeArgs);
    return { fleet, mosquitto: null, stop: async () => void (await fleet.proc.stop(30_000)) };
  }
  // Mosquitto drops root to its own account, which must reach the server certificate in here.
  await chmod(dir, 0o711);
  const owner = await mosquittoOwner();
  const tls = await ensureFleetTls({ dir: join(dir, 'tls'), hosts: ['localhost', '127.0.0.1'], ...(owner === undefined ? {} : { serverOwner: owner }) });
  const password = newSecret();
  const mosquitto = new MosquittoBroker([{ username: FLEET_USERNAME, passwordHash: hashMosquittoPassword(password) }], tls);
  await mosquitto.start();
  try {
    // testbed/mosquitto.ts runs it in the foreground with no pid_file: the fleet is told its pid this way.
    const pidFile = join(dir, 'mosquitto.pid');
    await writeFile(pidFile, `${mosquitto.pid}\n`);
    const link = new URL(mosquitto.url);
    link.username = FLEET_USERNAME;
    link.password = password;
    const fleet = await FleetProcess.start(
      join(dir, 'fleet'),
      {
        ...FLEET_ENV,
        ROOMCAST_FLEET_MQTT_URL: link.toString(),
        ROOMCAST_FLEET_BOX_MQTT_URL: mosquitto.tlsUrl,
        ROOMCAST_FLEET_MQTT_CA: tls.caPath,
        ROOMCAST_FLEET_MOSQUITTO_DIR: mosquitto.dir,
        ROOMCAST_FLEET_MOSQUITTO_PID_FILE: pidFile,
      },
      undefined,
      nodeArgs,
    );
    return {
      fleet,
      mosquitto,
      stop: async () => {
        await fleet.proc.stop(30_000);
        await mosquitto.stop();
      },
    };
  } catch (err) {
    await mosquitto.stop();
    throw err;
  }
}
