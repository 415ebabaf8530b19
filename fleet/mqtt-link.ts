import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from '../common/log.js';
import {
  decodeIpfs,
  decodePayload,
  fleetSubscriptions,
  outgoing,
  parseTopic,
  topicOf,
  type CommandName,
  type CommandResponse,
  type DeviceId,
  type IpfsAnnouncement,
  type IpfsNodeInfo,
  type Outgoing,
} from '../common/protocol.js';
import type { FleetStore } from './store/types.js';
import { timelineEvents } from './timeline.js';

export interface FleetLinkDeps {
  /** mqtt://host:port or mqtts://...; credentials in `username`/`password`. */
  url: string;
  username: string;
  password: string;
  /** The CA to trust for an mqtts:// broker URL. */
  ca: string | null;
  store: FleetStore;
  logger: Logger;
  /**
   * With several fleet service instances on one external broker, each health
   * sample must be stored once: they share the health subscription. Retained
   * messages (status, reported) go to every instance; storing them twice is idempotent.
   */
  shared: boolean;
  /** Called once what a box sent is stored (the dashboard's live updates). */
  onStored?: (deviceId: DeviceId) => void;
  /** What a box announces about IPFS (its node, segments, the end of a talk): for the live playlists. */
  onIpfs?: (deviceId: DeviceId, announcement: IpfsAnnouncement) => void;
  now?: () => Date;
}

export interface LinkCounters {
  received: number;
  dropped: number;
  unknownDevice: number;
}

const FIRST_CONNECT_MS = 30_000;

export type CommandOutcome = { kind: 'answer'; response: CommandResponse } | { kind: 'timeout' };

/**
 * The fleet service's MQTT client: stores what boxes publish (status,
 * reported state, health, command answers) and publishes what the fleet
 * wants (desired config, commands). Everything goes through the protocol
 * module; malformed messages are dropped and counted.
 */
export class FleetLink {
  readonly counters: LinkCounters = { received: 0, dropped: 0, unknownDevice: 0 };
  private client: MqttClient | null = null;
  private readonly pending = new Map<string, (response: CommandResponse) => void>();
  private readonly now: () => Date;
  private readonly log: Logger;
  /** Writes to the store run one at a time per box, in arrival order. */
  private readonly queues = new Map<DeviceId, Promise<void>>();

  constructor(private readonly deps: FleetLinkDeps) {
    this.now = deps.now ?? (() => new Date());
    this.log = deps.logger;
  }

  /** Connected and subscribed: what a box publishes from now on reaches the fleet. */
  async start(): Promise<void> {
    const client = mqtt.connect(this.deps.url, {
      username: this.deps.username,
      password: this.deps.password,
      clientId: `${this.deps.username}-${randomBytes(6).toString('hex')}`,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      ...(this.deps.ca ? { ca: this.deps.ca } : {}),
    });
    this.client = client;
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    client.on('error', (err) => this.log.warn('broker connection error', { error: err.message }));
    // Resolved once the first subscription is in place: start() returns only then.
    let subscribed: () => void = () => undefined;
    const firstSubscription = new Promise<void>((resolve) => (subscribed = resolve));
    client.on('connect', () => {
      this.log.info('connected to the broker');
      void this.subscribe(client).then(subscribed);
    });
    client.on('offline', () => this.log.warn('broker unreachable: retrying'));
    // A refused first login is retried, not fatal: with an external Mosquitto the
    // service has just written its own account and sent SIGHUP, and the broker
    // may read the file a moment after the first attempt.
    await new Promise<void>((resolve, reject) => {
      let lastError = 'no answer';
      const onError = (err: Error): void => {
        lastError = err.message;
      };
      const timer = setTimeout(() => {
        client.off('error', onError);
        client.end(true);
        reject(new Error(`the broker did not accept the fleet's login within ${FIRST_CONNECT_MS} ms: ${lastError}`));
      }, FIRST_CONNECT_MS);
      client.on('error', onError);
      client.once('connect', () => {
        clearTimeout(timer);
        client.off('error', onError);
        resolve();
      });
    });
    await firstSubscription;
  }

  private async subscribe(client: MqttClient): Promise<void> {
    const subs = fleetSubscriptions().map((s) => ({
      ...s,
      filter: this.deps.shared && s.filter.endsWith('/health') ? `$share/roomcast-fleet/${s.filter}` : s.filter,
    }));
    try {
      const granted = await client.subscribeAsync(Object.fromEntries(subs.map((s) => [s.filter, { qos: s.qos }])));
      const refused = granted.filter((g) => g.qos === 128);
      if (refused.length > 0) this.log.error('the broker refused the fleet\'s subscriptions (check its ACL)', { filters: refused.map((g) => g.topic) });
    } catch (err) {
      this.log.error('subscribing failed', { error: err instanceof Error ? err.message : String(err) });
    }
  }

  private onMessage(topic: string, payload: Buffer): void {
    this.counters.received += 1;
    const parsed = parseTopic(topic);
    if (!parsed) return this.drop(topic, 'not a roomcast topic');
    const { deviceId, kind } = parsed;
    const at = this.now().toISOString();
    const store = this.deps.store;
    switch (kind) {
      case 'status': {
        // An empty payload clears a retained status (a revoked box): nothing to store.
        if (payload.length === 0) return;
        const d = decodePayload('status', payload);
        if (!d.ok) return this.drop(topic, d.error);
        return this.enqueue(deviceId, () => this.storeState(deviceId, at, () => store.recordStatus(deviceId, d.value, at)));
      }
      case 'reported': {
        if (payload.length === 0) return;
        const d = decodePayload('reported', payload);
        if (!d.ok) return this.drop(topic, d.error);
        return this.enqueue(deviceId, () => this.storeState(deviceId, at, () => store.recordReported(deviceId, d.value, at)));
      }
      case 'health': {
        const d = decodePayload('health', payload);
        if (!d.ok) return this.drop(topic, d.error);
        return this.enqueue(deviceId, () => store.recordHealth(deviceId, d.value, at));
      }
      case 'commandResponse': {
        const d = decodePayload('commandResponse', payload);
        if (!d.ok) return this.drop(topic, d.error);
        const waiting = this.pending.get(`${deviceId}/${d.value.id}`);
        // Another fleet instance's command, or one that timed out already.
        if (waiting) waiting(d.value);
        return;
      }
      case 'ipfsNode':
      case 'ipfsSegment':
      case 'ipfsEnded': {
        // A cleared retained message (a revoked box): nothing to follow.
        if (payload.length === 0) return;
        const d = decodeIpfs(kind, payload);
        if (!d.ok) return this.drop(topic, d.error);
        this.deps.onIpfs?.(deviceId, d.value);
        return;
      }
      case 'desired':
      case 'commandRequest':
      case 'ipfsFleetNode':
        // Our own publications, seen through roomcast/#-wide subscriptions of other tools: not ours to store.
        return;
    }
  }

  /**
   * Stores a status or reported state, and the timeline events between the
   * stored state before and after. A message another instance stored first
   * changes nothing here, so it adds no events twice.
   */
  private async storeState(deviceId: DeviceId, at: string, write: () => Promise<void>): Promise<void> {
    const store = this.deps.store;
    const before = await store.getDevice(deviceId);
    await write();
    const after = before && (await store.getDevice(deviceId));
    if (!before || !after) return;
    const events = timelineEvents(before, after, at);
    if (events.length > 0) await store.recordTimeline(deviceId, events);
  }

  private enqueue(deviceId: DeviceId, write: () => Promise<void>): void {
    const previous = this.queues.get(deviceId) ?? Promise.resolve();
    const next = previous.then(write).then(() => this.deps.onStored?.(deviceId)).catch((err: unknown) => this.log.error('storing a message failed', { deviceId, error: err instanceof Error ? err.message : String(err) }));
    this.queues.set(deviceId, next);
    void next.then(() => {
      if (this.queues.get(deviceId) === next) this.queues.delete(deviceId);
    });
  }

  private drop(topic: string, reason: string): void {
    this.counters.dropped += 1;
    // Never the payload: it may hold a key.
    this.log.warn('message dropped', { topic, reason, dropped: this.counters.dropped });
  }

  /**
   * Publishes the desired config (retained, so a box that is away gets it
   * when it returns). With several instances, two versions may be published
   * out of order; `latest` re-reads the store after the broker acknowledged
   * ours and publishes again when a newer version exists, so the retained
   * message always ends on the newest.
   */
  async publishDesired(deviceId: DeviceId, version: number, config: Record<string, string>, latest: () => Promise<{ version: number; config: Record<string, string> } | null>): Promise<void> {
    await this.publish(outgoing(deviceId, 'desired', { version, config }));
    const newest = await latest();
    if (newest && newest.version > version) await this.publish(outgoing(deviceId, 'desired', newest));
  }

  /**
   * Tells a box where the fleet's IPFS node listens, so the box dials it
   * (retained); null clears what an earlier configuration said.
   */
  async publishIpfsFleetNode(deviceId: DeviceId, info: IpfsNodeInfo | null): Promise<void> {
    await this.publish(info ? outgoing(deviceId, 'ipfsFleetNode', info) : { topic: topicOf(deviceId, 'ipfsFleetNode'), payload: '', qos: 1, retain: true });
  }

  /** Removes a box's retained messages (its desired config holds stream keys). */
  async clearRetained(deviceId: DeviceId): Promise<void> {
    for (const kind of ['desired', 'status', 'reported', 'ipfsNode', 'ipfsFleetNode', 'ipfsEnded'] as const) await this.publish({ topic: topicOf(deviceId, kind), payload: '', qos: 1, retain: true });
  }

  async command(deviceId: DeviceId, name: CommandName, args: Record<string, number> | undefined, timeoutMs: number): Promise<CommandOutcome> {
    const id = randomBytes(9).toString('base64url');
    const key = `${deviceId}/${id}`;
    const answer = new Promise<CommandOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(key);
        resolve({ kind: 'timeout' });
      }, timeoutMs);
      this.pending.set(key, (response) => {
        clearTimeout(timer);
        this.pending.delete(key);
        resolve({ kind: 'answer', response });
      });
    });
    await this.publish(outgoing(deviceId, 'commandRequest', args ? { id, name, args } : { id, name }));
    return answer;
  }

  private async publish(msg: Outgoing): Promise<void> {
    const client = this.client;
    if (!client) throw new Error('the fleet link is not started');
    await client.publishAsync(msg.topic, msg.payload, { qos: msg.qos, retain: msg.retain });
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (client) await client.endAsync();
    await Promise.all(this.queues.values());
  }
}
