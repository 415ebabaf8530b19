import { hostname } from 'node:os';
import type { Logger } from '../common/log.js';
import { startBroker, type FleetBroker } from './broker/start-broker.js';
import type { FleetConfig } from './config.js';
import { FleetLink } from './mqtt-link.js';
import { FleetOperations } from './operations.js';
import { openStore } from './store/open-store.js';
import type { FleetStore } from './store/types.js';
import { Token } from './tokens.js';
import { DeviceEvents } from './device-events.js';
import { buildApi } from './http/api.js';
import { Auth } from './http/auth.js';
import { LoginLimiter } from './http/login-limiter.js';
import { HttpServer } from './http/server.js';
import { loadDashboard, serveDashboard } from './http/dashboard-files.js';

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
  private broker: FleetBroker | null = null;
  private link: FleetLink | null = null;
  private http: HttpServer | null = null;
  private pruneTimer: NodeJS.Timeout | null = null;
  private ops: FleetOperations | null = null;
  private events: DeviceEvents | null = null;

  constructor(private readonly deps: FleetServiceDeps) {}

  async start(): Promise<FleetAddresses> {
    const { config, logger } = this.deps;
    const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    this.store = store;
    const admin = await Token.load('admin', config.adminToken, store, this.deps.announce);
    const enrollment = await Token.load('enrollment', config.enrollToken, store, this.deps.announce);

    const publicHost = new URL(config.publicUrl ?? `http://${hostname()}`).hostname;
    const broker = await startBroker(config, store, publicHost, logger);
    this.broker = broker;
    // The embedded broker starts with no sessions: whoever the store shows
    // online lost theirs with the previous process, and no will told us.
    if (broker.ports) await markSessionsLost(store, new Date().toISOString());

    // Open dashboards hear of every change to a box, whoever made it.
    let ops: FleetOperations | null = null;
    const events = new DeviceEvents((id) => ops?.get(id) ?? Promise.resolve(null));
    this.events = events;
    const link = new FleetLink({ ...broker.link, store, logger: logger.child('mqtt'), shared: config.mqttUrl !== null, onStored: (id) => events.changed(id) });
    this.link = link;
    await link.start();

    // Known once the HTTP port is (the default public URL names it); enrolment is served only after.
    let boxMqttUrl = '';
    ops = new FleetOperations({ store, link, broker: broker.control, boxCa: broker.boxCa, config, logger, enrollment, boxMqttUrl: () => boxMqttUrl, onChanged: (id) => events.changed(id) });
    this.ops = ops;
    const auth = await Auth.create({ admin, store, limiter: new LoginLimiter(), secureCookies: config.publicUrl?.startsWith('https:') ?? false });
    const dashboard = await loadDashboard().catch((err: unknown) => {
      logger.warn('the dashboard is not built: only the API is served', { error: err instanceof Error ? err.message : String(err) });
      return null;
    });
    this.http = new HttpServer(buildApi(ops, auth, events), logger.child('http'), dashboard && serveDashboard(dashboard));
    const httpPort = await this.http.listen(config.listenHost, config.httpPort);
    const publicUrl = config.publicUrl ?? `http://${hostname()}:${httpPort}`;
    boxMqttUrl = config.boxMqttUrl ?? defaultBoxMqttUrl(publicUrl, broker.ports);
    logger.info('fleet service ready', { http: httpPort, publicUrl, boxMqttUrl });

    // The embedded broker forgets retained messages when it stops: the store is the source of truth.
    await ops.republishDesired();
    this.pruneTimer = setInterval(() => void ops.pruneHistory(), PRUNE_EVERY_MS);
    return { httpPort, mqttPort: broker.ports?.mqtt ?? null, mqttsPort: broker.ports?.mqtts ?? null, publicUrl, boxMqttUrl };
  }

  get operations(): FleetOperations {
    if (!this.ops) throw new Error('the fleet service is not started');
    return this.ops;
  }

  async stop(): Promise<void> {
    this.events?.stop();
    this.events = null;
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

async function markSessionsLost(store: FleetStore, at: string): Promise<void> {
  for (const d of await store.listDevices()) if (d.status === 'online') await store.recordStatus(d.id, 'lost', at);
}

function defaultBoxMqttUrl(publicUrl: string, ports: FleetBroker['ports']): string {
  const host = new URL(publicUrl).hostname;
  if (!ports) throw new Error('with an external broker, set ROOMCAST_FLEET_BOX_MQTT_URL to the address boxes use');
  return ports.mqtts !== null ? `mqtts://${host}:${ports.mqtts}` : `mqtt://${host}:${ports.mqtt}`;
}
