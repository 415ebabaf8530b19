import { createServer, type AddressInfo, type Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import type { Logger } from '../../common/log.js';
import type { BrokerControl } from './broker-control.js';
import { persistenceWithRetainedIndex } from './retained-index.js';
import { aclAllows, boxMayConnect, BOX_ACL, FLEET_ACL, FLEET_USERNAME, MAX_PAYLOAD_BYTES } from '../../common/protocol.js';

/** Who a connection authenticated as. */
export type Account = 'fleet' | 'box';

export interface BrokerAuth {
  /** The account these credentials open, or null. Must not throw on any input. */
  check(username: string, password: Buffer): Promise<Account | null>;
}

export interface EmbeddedBrokerDeps {
  auth: BrokerAuth;
  host: string;
  port: number;
  /** The TLS listener (mqtts): the port and the fleet CA's server certificate. */
  tls: { port: number; cert: string; key: string } | null;
  logger: Logger;
}

export interface BrokerCounters {
  refusedConnections: number;
  refusedPublishes: number;
  refusedSubscriptions: number;
  oversizedPublishes: number;
}

/**
 * The embedded MQTT broker (aedes) with the protocol's ACL: a box connects
 * only as itself (client id = username = device id), publishes only under
 * its own namespace and subscribes only to its own desired config and
 * commands; the fleet account has roomcast/#. Same rules as the Mosquitto
 * ACL file, from the same data (common/protocol.ts).
 */
export class EmbeddedBroker implements BrokerControl {
  readonly counters: BrokerCounters = { refusedConnections: 0, refusedPublishes: 0, refusedSubscriptions: 0, oversizedPublishes: 0 };
  private broker: Aedes | null = null;
  private servers: Server[] = [];
  private readonly accounts = new WeakMap<Client, { username: string; account: Account }>();
  private readonly log: Logger;
  /**
   * A box's login is answered only once the fleet's own link has subscribed:
   * what a box published before would reach no one (only retained messages
   * would survive; a segment announced then would be lost).
   */
  private welcome: () => void = () => undefined;
  private readonly welcoming = new Promise<void>((resolve) => (this.welcome = resolve));

  constructor(private readonly deps: EmbeddedBrokerDeps) {
    this.log = deps.logger;
  }

  async start(): Promise<{ port: number; tlsPort: number | null }> {
    const broker = await Aedes.createBroker({
      persistence: persistenceWithRetainedIndex(),
      // One frozen subscriber must not stall delivery to every other box (FIELD.md).
      drainTimeout: 10_000,
      maxClientsIdLength: 64,
      authenticate: (client, username, password, done) => {
        void this.authenticate(client, username, password).then(
          (ok) => done(ok ? null : refusal(), ok),
          () => done(refusal(), false),
        );
      },
      authorizePublish: (client, packet, callback) => {
        // client is null only for a last will published after its client left: it was checked when set.
        if (client === null) return callback(null);
        const who = this.accounts.get(client);
        if (packet.payload.length > MAX_PAYLOAD_BYTES) {
          this.counters.oversizedPublishes += 1;
          this.log.warn('publish refused', { client: who?.username ?? client.id, topic: packet.topic, reason: 'payload too large', bytes: packet.payload.length });
          return callback(new Error('payload too large'));
        }
        if (who && aclAllows(who.account === 'fleet' ? FLEET_ACL : BOX_ACL, who.username, 'publish', packet.topic)) return callback(null);
        this.counters.refusedPublishes += 1;
        this.log.warn('publish refused', { client: who?.username ?? client.id, topic: packet.topic, reason: 'not authorised' });
        // An error closes the connection: a box publishing outside its namespace is misbehaving.
        callback(new Error('not authorised'));
      },
      authorizeSubscribe: (client, sub, callback) => {
        const who = this.accounts.get(client);
        if (who && aclAllows(who.account === 'fleet' ? FLEET_ACL : BOX_ACL, who.username, 'subscribe', sub.topic)) return callback(null, sub);
        this.counters.refusedSubscriptions += 1;
        this.log.warn('subscription refused', { client: who?.username ?? client.id, filter: sub.topic });
        // SUBACK 0x80 for this filter; the connection stays.
        callback(null, null);
      },
    });
    this.broker = broker;
    broker.on('clientError', (client, err) => this.log.debug('client error', { client: client.id, error: err.message }));
    broker.on('connectionError', (_client, err) => this.log.debug('connection error', { error: err.message }));
    // Nagle's algorithm holds a small packet back until the previous one is
    // acknowledged, and the peer delays its ACK by up to 40 ms: a report
    // reached the fleet's link ~45 ms late under load (docs/benchmarks.md, Fleet).
    const plain = await listen(createServer({ noDelay: true }, broker.handle), this.deps.host, this.deps.port);
    this.servers.push(plain.server);
    let tlsPort: number | null = null;
    if (this.deps.tls) {
      const secure = await listen(createTlsServer({ noDelay: true, cert: this.deps.tls.cert, key: this.deps.tls.key, minVersion: 'TLSv1.2' }, broker.handle), this.deps.host, this.deps.tls.port);
      this.servers.push(secure.server);
      tlsPort = secure.port;
    }
    return { port: plain.port, tlsPort };
  }

  private async authenticate(client: Client, username: string | undefined, password: Buffer | undefined): Promise<boolean> {
    const account = username !== undefined && password !== undefined ? await this.deps.auth.check(username, password) : null;
    const ok = username !== undefined && (account === 'fleet' ? username === FLEET_USERNAME : account === 'box' && boxMayConnect(username, client.id));
    if (!ok || account === null) {
      this.counters.refusedConnections += 1;
      this.log.warn('connection refused', { username: username ?? null, clientId: client.id });
      return false;
    }
    // Held, not refused: a refused box would only retry later (its connect timeout is 10 s; the fleet's link takes well under that).
    if (account === 'box') await this.welcoming;
    this.accounts.set(client, { username, account });
    return true;
  }

  /** The fleet's link has subscribed: boxes' logins are answered from now on. */
  welcomeBoxes(): void {
    this.welcome();
  }

  /** Every login is checked against the store, so only a connection made with old credentials must go. Its last will marks it lost. */
  credentialsChanged(deviceId: string): Promise<void> {
    // aedes keeps its clients by client id, which the ACL binds to the device id.
    const client = this.broker ? (this.broker as unknown as { clients: Record<string, Client | undefined> }).clients[deviceId] : undefined;
    client?.close();
    return Promise.resolve();
  }

  get connectedClients(): number {
    return this.broker?.connectedClients ?? 0;
  }

  async stop(): Promise<void> {
    for (const server of this.servers) server.close();
    this.servers = [];
    const broker = this.broker;
    this.broker = null;
    if (broker) await new Promise<void>((resolve) => broker.close(() => resolve()));
  }
}

function refusal(): AuthenticateError {
  // 4: bad user name or password (MQTT 3.1.1 CONNACK), the same for every cause.
  return Object.assign(new Error('bad user name or password'), { returnCode: 4 });
}

async function listen(server: Server, host: string, port: number): Promise<{ server: Server; port: number }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}
