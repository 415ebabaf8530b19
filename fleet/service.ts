import { hostname } from 'node:os';
import type { Logger } from '../common/log.js';
import { registerSecret } from '../common/secret.js';
import { FLEET_USERNAME } from '../common/protocol.js';
import { EmbeddedBroker } from './broker/embedded-broker.js';
import type { FleetConfig } from './config.js';
import { newSecret, verifyMosquittoPassword } from './credentials.js';
import { FleetLink } from './mqtt-link.js';
import { FleetOperations } from './operations.js';
import { openStore } from './store/open-store.js';
import type { FleetStore } from './store/types.js';
import { Token } from './tokens.js';
import { buildApi } from './http/api.js';
import { HttpServer } from './http/server.js';

export interface FleetServiceDeps {
  config: FleetConfig;
  logger: Logger;
  /** Where a generated token is shown, once (the console, not the log). */
  announce: (line: string) => void;
}

export interface FleetAddresses {
  httpPort: number;
  /** The embedded broker's ports (null with an external broker). */
  mqttPort: number | null;
  mqttsPort: number | null;
  publicUrl: string;
  boxMqttUrl: string;
}

const PRUNE_EVERY_MS = 3600_000;

/**
 * `roomcast fleet`: the store, the broker (embedded aedes, or an external
 * one), the fleet's MQTT link and the HTTP API, started in that order and
 * stopped in reverse.
 */
export class FleetService {
  private store: FleetStore | null = null;
  private broker: EmbeddedBroker | null = null;
  private link: FleetLink | null = null;
  private http: HttpServer | null = null;
  private pruneTimer: NodeJS.Timeout | null = null;
  private ops: FleetOperations | null = null;

  constructor(private readonly deps: FleetServiceDeps) {}

  async start(): Promise<FleetAddresses> {
    const { config, logger } = this.deps;
    const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    this.store = store;
    const admin = await Token.load('admin', config.adminToken, store, this.deps.announce);
    const enrollment = await Token.load('enrollment', config.enrollToken, store, this.deps.announce);

    let linkUrl: string;
    let linkUser = FLEET_USERNAME;
    let linkPassword: string;
    let mqttPort: number | null = null;
    let mqttsPort: number | null = null;
    if (config.mqttUrl) {
      const external = new URL(config.mqttUrl);
      linkUser = decodeURIComponent(external.username) || FLEET_USERNAME;
      linkPassword = decodeURIComponent(external.password);
      external.username = '';
      external.password = '';
      linkUrl = external.toString();
    } else {
      // The fleet's own account on its own broker: a new password each start, never stored.
      linkPassword = newSecret();
      const fleetPassword = linkPassword;
      const broker = new EmbeddedBroker({
        host: config.listenHost,
        port: config.mqttPort,
        tls: null,
        logger: logger.child('broker'),
        auth: {
          check: async (username, password) => {
            if (username === FLEET_USERNAME) return password.toString('utf8') === fleetPassword ? 'fleet' : null;
            const device = await store.getDevice(username as Parameters<FleetStore['getDevice']>[0]).catch(() => null);
            return device?.passwordHash && verifyMosquittoPassword(password, device.passwordHash) ? 'box' : null;
          },
        },
      });
      this.broker = broker;
      const ports = await broker.start();
      mqttPort = ports.port;
      mqttsPort = ports.tlsPort;
      const linkHost = config.listenHost === '0.0.0.0' || config.listenHost === '::' ? '127.0.0.1' : config.listenHost;
      linkUrl = `mqtt://${linkHost.includes(':') ? `[${linkHost}]` : linkHost}:${mqttPort}`;
      logger.info('embedded broker listening', { host: config.listenHost, port: mqttPort, tlsPort: mqttsPort });
    }
    registerSecret(linkPassword);

    const link = new FleetLink({ url: linkUrl, username: linkUser, password: linkPassword, ca: null, store, logger: logger.child('mqtt'), shared: config.mqttUrl !== null });
    this.link = link;
    await link.start();

    // Known once the HTTP port is (the default public URL names it); enrolment is served only after.
    let boxMqttUrl = '';
    const ops = new FleetOperations({ store, link, broker: this.broker, config, logger, admin, enrollment, boxMqttUrl: () => boxMqttUrl });
    this.ops = ops;
    this.http = new HttpServer(buildApi(ops), logger.child('http'));
    const httpPort = await this.http.listen(config.listenHost, config.httpPort);
    const publicUrl = config.publicUrl ?? `http://${hostname()}:${httpPort}`;
    boxMqttUrl = config.boxMqttUrl ?? defaultBoxMqttUrl(publicUrl, mqttPort, mqttsPort);
    logger.info('fleet service ready', { http: httpPort, publicUrl, boxMqttUrl });

    // The embedded broker forgets retained messages when it stops: the store is the source of truth.
    await ops.republishDesired();
    this.pruneTimer = setInterval(() => void ops.pruneHealth(), PRUNE_EVERY_MS);
    return { httpPort, mqttPort, mqttsPort, publicUrl, boxMqttUrl };
  }

  get operations(): FleetOperations {
    if (!this.ops) throw new Error('the fleet service is not started');
    return this.ops;
  }

  async stop(): Promise<void> {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.pruneTimer = null;
    await this.http?.close();
    await this.link?.stop();
    await this.broker?.stop();
    await this.store?.close();
    this.http = null;
    this.link = null;
    this.broker = null;
    this.store = null;
  }
}

function defaultBoxMqttUrl(publicUrl: string, port: number | null, tlsPort: number | null): string {
  const host = new URL(publicUrl).hostname;
  if (tlsPort !== null) return `mqtts://${host}:${tlsPort}`;
  return `mqtt://${host}:${port ?? 1883}`;
}
