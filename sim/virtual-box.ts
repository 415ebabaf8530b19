import { performance } from 'node:perf_hooks';
import mqtt, { type MqttClient } from 'mqtt';
import {
  boxSubscriptions,
  decodePayload,
  outgoing,
  parseTopic,
  transactionIdOf,
  type CommandRequest,
  type CommandResponse,
  type DeviceId,
  type Outgoing,
  type Refusal,
} from '../common/protocol.js';
import { boxConnectOptions } from '../device/fleet/connect-options.js';
import type { FleetCredentials } from '../device/fleet/credentials-file.js';
import { decideDesired, reportedValues } from '../device/fleet/twin.js';
import { initialState, type StreamState } from '../device/state.js';
import { simulatedHealth } from './health-sample.js';

/** What a virtual box tells whoever runs it. Times are wall-clock ms with sub-ms precision (comparable across processes). */
export interface VirtualBoxEvents {
  connected(id: DeviceId): void;
  /** A desired config newer than the applied one arrived (before it is applied). */
  desiredSeen(id: DeviceId, version: number, at: number): void;
  /** The reported state with this applied version was acknowledged by the broker (PUBACK). */
  applied(id: DeviceId, version: number, at: number): void;
  error(id: DeviceId, what: string): void;
}

export interface VirtualBoxCounters {
  healthSent: number;
  commandsAnswered: number;
  publishErrors: number;
  disconnects: number;
}

/** Wall-clock milliseconds with the monotonic clock's resolution. */
export const preciseNow = (): number => performance.timeOrigin + performance.now();

/**
 * One box as the fleet sees it, without GStreamer: it logs in with its own
 * credentials and last will, says online, reports its state, sends health
 * every `healthSeconds` (first one after a random part of that, so a fleet
 * started at once does not send in step), applies desired configs by the
 * box's own twin rules and answers commands. Only common/protocol.ts and
 * device/fleet's pure functions decide what goes on the wire.
 */
export class VirtualBox {
  readonly counters: VirtualBoxCounters = { healthSent: 0, commandsAnswered: 0, publishErrors: 0, disconnects: 0 };
  private client: MqttClient | null = null;
  private appliedVersion = 0;
  private appliedValues: Record<string, string> = {};
  private refused: Refusal | null = null;
  private state: StreamState = initialState([], null, new Date(), 'test');
  private healthTimer: NodeJS.Timeout | null = null;
  private samples = 0;

  constructor(
    private readonly id: DeviceId,
    private readonly creds: FleetCredentials,
    private readonly healthSeconds: number,
    private readonly events: VirtualBoxEvents,
  ) {}

  start(): void {
    const client = mqtt.connect(this.creds.mqttUrl, { ...boxConnectOptions(this.id, this.creds), reconnectPeriod: 1000 });
    this.client = client;
    client.on('connect', () => void this.onConnected(client));
    client.on('close', () => (this.counters.disconnects += 1));
    client.on('error', (err) => this.events.error(this.id, `connection: ${err.message}`));
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    const first = Math.random() * this.healthSeconds * 1000;
    this.healthTimer = setTimeout(() => {
      this.healthTimer = setInterval(() => this.sendHealth(), this.healthSeconds * 1000);
      this.sendHealth();
    }, first);
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  private async onConnected(client: MqttClient): Promise<void> {
    try {
      await this.publish(outgoing(this.id, 'status', 'online'));
      await this.publishReported();
      await client.subscribeAsync(Object.fromEntries(boxSubscriptions(this.id).map((s) => [s.filter, { qos: s.qos }])));
      this.events.connected(this.id);
    } catch (err) {
      this.events.error(this.id, `announcing: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private onMessage(topic: string, payload: Buffer): void {
    const parsed = parseTopic(topic);
    if (!parsed || parsed.deviceId !== this.id) return this.events.error(this.id, `a message on ${topic}`);
    if (parsed.kind === 'desired') {
      if (payload.length === 0) return;
      const d = decodePayload('desired', payload);
      if (!d.ok) return this.events.error(this.id, `desired: ${d.error}`);
      return this.onDesired(d.value.version, d.value.config);
    }
    if (parsed.kind === 'commandRequest') {
      const d = decodePayload('commandRequest', payload);
      if (d.ok) return void this.respond(this.answer(d.value));
      const txn = transactionIdOf(payload);
      if (txn !== null) void this.respond({ id: txn, ok: false, error: `request refused: ${d.error}` });
      return;
    }
    this.events.error(this.id, `a box does not take ${parsed.kind} messages`);
  }

  private onDesired(version: number, config: Record<string, string>): void {
    const decision = decideDesired({ version, config }, this.appliedVersion, {});
    if (decision.kind === 'ignore') return;
    this.events.desiredSeen(this.id, version, preciseNow());
    if (decision.kind === 'refuse') this.refused = decision.refusal;
    else {
      this.appliedVersion = decision.version;
      this.appliedValues = decision.values;
      this.refused = null;
    }
    const applied = this.appliedVersion;
    void this.publishReported().then(() => this.events.applied(this.id, applied, preciseNow()));
  }

  /** What a box with no camera would answer: start and stop change the phase it reports. */
  private answer(req: CommandRequest): CommandResponse {
    switch (req.name) {
      case 'start':
      case 'stop':
        this.state = { ...this.state, phase: req.name === 'start' ? 'live' : 'idle', since: new Date().toISOString() };
        void this.publishReported();
        return { id: req.id, ok: true, result: { phase: this.state.phase } };
      case 'identify':
        return { id: req.id, ok: true, result: { seconds: req.args?.['seconds'] ?? 30 } };
      case 'restart':
      case 'snapshot':
        return { id: req.id, ok: false, error: `${req.name} is not simulated` };
    }
  }

  private async respond(response: CommandResponse): Promise<void> {
    this.counters.commandsAnswered += 1;
    await this.publish(outgoing(this.id, 'commandResponse', response));
  }

  private async publishReported(): Promise<void> {
    const reported = { appliedVersion: this.appliedVersion, ...(this.refused ? { refused: this.refused } : {}), config: reportedValues({}, this.appliedValues), state: this.state };
    await this.publish(outgoing(this.id, 'reported', reported));
  }

  private sendHealth(): void {
    if (!this.client?.connected) return;
    this.samples += 1;
    this.counters.healthSent += 1;
    void this.publish(outgoing(this.id, 'health', { ...simulatedHealth(this.samples, new Date().toISOString()), phase: this.state.phase }));
  }

  private async publish(msg: Outgoing): Promise<void> {
    const client = this.client;
    if (!client) return;
    try {
      await client.publishAsync(msg.topic, msg.payload, { qos: msg.qos, retain: msg.retain });
    } catch (err) {
      this.counters.publishErrors += 1;
      this.events.error(this.id, `publishing ${msg.topic}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** A clean stop: "offline", then a DISCONNECT so the broker drops the will. */
  async stop(): Promise<void> {
    if (this.healthTimer) clearTimeout(this.healthTimer);
    this.healthTimer = null;
    const client = this.client;
    this.client = null;
    if (!client) return;
    if (client.connected) {
      const offline = outgoing(this.id, 'status', 'offline');
      await client.publishAsync(offline.topic, offline.payload, { qos: offline.qos, retain: offline.retain }).catch(() => undefined);
    }
    await client.endAsync(false).catch(() => undefined);
  }
}
