import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../common/log.js';
import { FLEET_USERNAME, parseDeviceId } from '../../common/protocol.js';
import { registerSecret } from '../../common/secret.js';
import type { FleetConfig } from '../config.js';
import { hashMosquittoPassword, newSecret, verifyMosquittoPassword } from '../credentials.js';
import type { FleetStore } from '../store/types.js';
import { ensureFleetTls } from '../tls.js';
import type { BrokerControl } from './broker-control.js';
import { EmbeddedBroker } from './embedded-broker.js';
import { MosquittoSync } from './mosquitto-sync.js';

/** The broker side of the fleet, whichever it is. */
export interface FleetBroker {
  /** How the fleet's own MQTT link connects. */
  link: { url: string; username: string; password: string; ca: string | null };
  /** Made to hold to changed credentials at once; null when an operator manages the accounts. */
  control: BrokerControl | null;
  /** The CA a box must trust for mqtts (given at enrolment). */
  boxCa: string | null;
  /** The embedded broker's ports; null for an external broker. */
  ports: { mqtt: number; mqtts: number | null } | null;
  /** Called once the fleet's link has subscribed: until then the embedded broker holds boxes' logins. */
  welcomeBoxes(): void;
  stop(): Promise<void>;
}

/**
 * The embedded aedes broker (plain on the given port for the service itself,
 * TLS with the fleet's own CA for boxes), or an external one given by
 * ROOMCAST_FLEET_MQTT_URL, whose Mosquitto files the service keeps when
 * ROOMCAST_FLEET_MOSQUITTO_DIR is set.
 */
export async function startBroker(config: FleetConfig, store: FleetStore, publicHost: string, log: Logger): Promise<FleetBroker> {
  const ownCa = async (): Promise<{ caPem: string; certPath: string; keyPath: string }> => {
    const tls = await ensureFleetTls({ dir: join(config.dataDir, 'tls'), hosts: [...new Set([publicHost, 'localhost', '127.0.0.1'])] });
    if (tls.issued !== 'nothing') log.info('TLS certificates issued', { issued: tls.issued, reasons: tls.reasons });
    return tls;
  };
  if (config.mqttUrl) {
    const external = new URL(config.mqttUrl);
    const fromUrl = decodeURIComponent(external.password);
    // The fleet's own account: from the URL, or generated once and shared by every instance through the store.
    const password = fromUrl !== '' ? fromUrl : await store.setSettingIfAbsent('fleet-mqtt-password', newSecret());
    registerSecret(password);
    const username = decodeURIComponent(external.username) || FLEET_USERNAME;
    // The files the service writes hold one service account, _fleet: another name in the URL would be refused by the broker.
    if (config.mosquittoDir && username !== FLEET_USERNAME) throw new Error(`with ROOMCAST_FLEET_MOSQUITTO_DIR the service logs in as ${FLEET_USERNAME}, the account it writes; leave the user out of ROOMCAST_FLEET_MQTT_URL or set it to ${FLEET_USERNAME}`);
    external.username = '';
    external.password = '';
    // Unset ROOMCAST_FLEET_MQTT_CA: the fleet's own CA, for an mqtts link and for a
    // Mosquitto whose files it keeps, which can serve its certificate to boxes.
    const ownCaNeeded = external.protocol === 'mqtts:' || config.mosquittoDir !== null;
    const ca = config.mqttCa ? await readFile(config.mqttCa, 'utf8') : ownCaNeeded ? (await ownCa()).caPem : null;
    let control: MosquittoSync | null = null;
    if (config.mosquittoDir) {
      control = new MosquittoSync({ store, dir: config.mosquittoDir, pidFile: config.mosquittoPidFile, fleetHash: hashMosquittoPassword(password), logger: log.child('mosquitto') });
      await control.start();
    }
    return { link: { url: external.toString(), username, password, ca }, control, boxCa: ca, ports: null, welcomeBoxes: () => undefined, stop: () => Promise.resolve() };
  }
  // The service's own account on its own broker: a new password each start, never stored.
  const password = newSecret();
  registerSecret(password);
  const tls = config.mqttsPort !== null ? await ownCa() : null;
  const broker = new EmbeddedBroker({
    host: config.listenHost,
    port: config.mqttPort,
    tls: tls ? { port: config.mqttsPort, cert: await readFile(tls.certPath, 'utf8'), key: await readFile(tls.keyPath, 'utf8') } : null,
    logger: log.child('broker'),
    auth: {
      check: async (user, given) => {
        if (user === FLEET_USERNAME) return given.toString('utf8') === password ? 'fleet' : null;
        const id = parseDeviceId(user);
        const device = id ? await store.getDevice(id).catch(() => null) : null;
        return device?.passwordHash && verifyMosquittoPassword(given, device.passwordHash) ? 'box' : null;
      },
    },
  });
  const ports = await broker.start();
  log.info('embedded broker listening', { host: config.listenHost, port: ports.port, tlsPort: ports.tlsPort });
  const host = config.listenHost === '0.0.0.0' || config.listenHost === '::' ? '127.0.0.1' : config.listenHost;
  return {
    link: { url: `mqtt://${host.includes(':') ? `[${host}]` : host}:${ports.port}`, username: FLEET_USERNAME, password, ca: null },
    control: broker,
    boxCa: tls?.caPem ?? null,
    ports: { mqtt: ports.port, mqtts: ports.tlsPort },
    welcomeBoxes: () => broker.welcomeBoxes(),
    stop: () => broker.stop(),
  };
}
