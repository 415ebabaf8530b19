import { hostname } from 'node:os';
import type { Logger } from '../common/log.js';
import { startBroker, type FleetBroker } from './broker/start-broker.js';
import type { FleetConfig } from './config.js';
import { FleetLink } from './mqtt-link.js';
import { FleetOperations } from './operations.js';
import { LatestSnapshots } from './snapshots.js';
import { openStore } from './store/open-store.js';
import type { FleetStore } from './store/types.js';
import { Token } from './tokens.js';
import { DeviceEvents } from './device-events.js';
import { registerSecret } from '../common/secret.js';
import { BalenaOperations } from './balena/balena-operations.js';
import { RolloutExecutor } from './balena/rollout-executor.js';
import { SdkFleet } from './balena/sdk-fleet.js';
import { buildApi } from './http/api.js';
import { Auth } from './http/auth.js';
import { LoginLimiter } from './http/login-limiter.js';
import { HttpServer } from './http/server.js';
import { liveHandler } from './live/live-http.js';
import { LiveStreams } from './live/live-streams.js';
import type { HeliaNode } from '../common/ipfs/helia-node.js';
import type { IpfsNodeInfo } from '../common/protocol.js';
import { join } from 'node:path';
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
  private rollouts: RolloutExecutor | null = null;
  private ipfsNode: HeliaNode | null = null;
  private live: LiveStreams | null = null;

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
    const live = await this.startLive(config, store, logger.child('live'));
    const link = new FleetLink({
      ...broker.link,
      store,
      logger: logger.child('mqtt'),
      shared: config.mqttUrl !== null,
      onStored: (id) => events.changed(id),
      onIpfs: (id, a) => {
        if (a.kind === 'ipfsNode') {
          live.onNode(id, a.value);
          // Sent again each time: the box announces its node on every connect, and an embedded broker forgets retained messages.
          // Cleared when the fleet's node does not listen, so no box dials an address an earlier configuration gave it.
          link.publishIpfsFleetNode(id, this.ipfsFleetNode(config)).catch((err: unknown) => logger.warn('the fleet\'s IPFS node could not be sent to a box', { deviceId: id, error: err instanceof Error ? err.message : String(err) }));
        } else if (a.kind === 'ipfsSegment') live.onSegment(id, a.value);
        else live.onEnded(id, a.value);
      },
    });
    this.link = link;
    await link.start();
    broker.welcomeBoxes();

    // Known once the HTTP port is (the default public URL names it); enrolment is served only after.
    let boxMqttUrl = '';
    ops = new FleetOperations({ store, link, broker: broker.control, boxCa: broker.boxCa, config, logger, enrollment, boxMqttUrl: () => boxMqttUrl, snapshots: new LatestSnapshots(), onChanged: (id) => events.changed(id) });
    this.ops = ops;
    const auth = await Auth.create({ admin, store, limiter: new LoginLimiter(), secureCookies: config.publicUrl?.startsWith('https:') ?? false });
    const dashboard = await loadDashboard().catch((err: unknown) => {
      logger.warn('the dashboard is not built: only the API is served', { error: err instanceof Error ? err.message : String(err) });
      return null;
    });
    const balena = new BalenaOperations({ config, store, balena: this.startBalena(store), logger: logger.child('balena') });
    const pages = [await liveHandler(live, logger.child('live')), ...(dashboard ? [serveDashboard(dashboard)] : [])];
    this.http = new HttpServer(buildApi({ ops, auth, events, balena }), logger.child('http'), pages);
    const httpPort = await this.http.listen(config.listenHost, config.httpPort);
    const publicUrl = config.publicUrl ?? `http://${hostname()}:${httpPort}`;
    boxMqttUrl = config.boxMqttUrl ?? defaultBoxMqttUrl(publicUrl, broker.ports);
    logger.info('fleet service ready', { http: httpPort, publicUrl, boxMqttUrl });

    // The embedded broker forgets retained messages when it stops: the store is the source of truth.
    await ops.republishDesired();
    this.pruneTimer = setInterval(() => void ops.pruneHistory(), PRUNE_EVERY_MS);
    return { httpPort, mqttPort: broker.ports?.mqtt ?? null, mqttsPort: broker.ports?.mqtts ?? null, publicUrl, boxMqttUrl };
  }

  /** The balena adapter and the rollout executor (resuming a stored rollout), or null without a token and fleet. */
  private startBalena(store: FleetStore): { fleet: SdkFleet; rollouts: RolloutExecutor } | null {
    const { config, logger } = this.deps;
    if (config.balenaApiToken === null || config.balenaFleet === null) {
      if (config.balenaApiToken !== null || config.balenaFleet !== null) logger.warn('balena is half configured: set both ROOMCAST_BALENA_API_TOKEN and ROOMCAST_BALENA_FLEET; balena features are off');
      return null;
    }
    registerSecret(config.balenaApiToken);
    const fleet = new SdkFleet({ apiUrl: config.balenaApiUrl, token: config.balenaApiToken, fleet: config.balenaFleet });
    const rollouts = new RolloutExecutor({ store, balena: fleet, logger: logger.child('rollout'), pollMs: config.balenaPollSeconds * 1000 });
    rollouts.start();
    this.rollouts = rollouts;
    logger.info('balena configured', { fleet: config.balenaFleet, apiUrl: config.balenaApiUrl });
    return { fleet, rollouts };
  }

  /** The fleet's IPFS node (loaded only when ROOMCAST_FLEET_IPFS is on) and the live playlists. */
  private async startLive(config: FleetConfig, store: FleetStore, logger: Logger): Promise<LiveStreams> {
    if (config.ipfs) {
      const { HeliaNode } = await import('../common/ipfs/helia-node.js');
      this.ipfsNode = await HeliaNode.create({
        dir: join(config.dataDir, 'ipfs'),
        listen: config.ipfsListen ? [config.ipfsListen] : [],
        name: 'roomcast-fleet',
        // Only boxes' nodes, as they announced them over MQTT (the ACL lets a box announce only its own).
        acceptFrom: (peerId) => this.live?.knowsPeer(peerId) ?? false,
      });
      logger.info('IPFS node ready', { peerId: this.ipfsNode.peerId, listen: this.ipfsNode.addresses(), announce: this.ipfsFleetNode(config)?.multiaddrs ?? [], gateway: config.ipfsGateway ?? 'own' });
    }
    this.live = new LiveStreams({
      node: this.ipfsNode,
      gateway: config.ipfsGateway,
      window: config.ipfsWindow,
      logger,
      reportedVod: async (id) => (await store.getDevice(id))?.reported?.state.ipfs?.vodCid ?? null,
    });
    return this.live;
  }

  /** Where boxes dial the fleet's IPFS node; null when it does not listen. */
  private ipfsFleetNode(config: FleetConfig): IpfsNodeInfo | null {
    const node = this.ipfsNode;
    if (!node || !config.ipfsListen) return null;
    return { peerId: node.peerId, multiaddrs: config.ipfsAnnounce.length > 0 ? config.ipfsAnnounce : node.addresses() };
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
    await this.rollouts?.stop();
    await this.link?.stop();
    await this.live?.stop();
    await this.ipfsNode?.stop();
    this.live = null;
    this.ipfsNode = null;
    await this.broker?.stop();
    await this.store?.close();
    this.http = null;
    this.rollouts = null;
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
