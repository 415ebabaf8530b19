import mqtt, { type MqttClient } from 'mqtt';
import type { Env } from '../../common/config/load.js';
import type { DeviceConfig } from '../../common/config/schema.js';
import type { Logger } from '../../common/log.js';
import {
  boxSubscriptions,
  decodePayload,
  outgoing,
  parseTopic,
  transactionIdOf,
  type CommandRequest,
  type CommandResponse,
  type DeviceId,
  type Health,
  type Outgoing,
  type Refusal,
  type ReportedState,
} from '../../common/protocol.js';
import { registerSecret } from '../../common/secret.js';
import { backoffDelay } from '../backoff.js';
import type { ReconfigurePlan } from '../reconfigure.js';
import type { StreamState } from '../state.js';
import { saveApplied, type AppliedConfig } from './applied-config.js';
import { boxConnectOptions } from './connect-options.js';
import { loadCredentials, saveCredentials, type FleetCredentials } from './credentials-file.js';
import { enrol, EnrolError } from './enrol.js';
import { deviceIdentity } from './identity.js';
import { decideDesired, reportedValues } from './twin.js';
import { significantChange } from './report-throttle.js';

/** What the fleet client asks of the box agent. */
export interface BoxControl {
  readonly current: StreamState;
  goLive(): { ok: true } | { ok: false; errors: string[] };
  stopStream(): Promise<void>;
  restartCore(): Promise<void>;
  reconfigure(config: DeviceConfig): Promise<ReconfigurePlan>;
  identify(seconds: number): void;
}

export interface FleetClientDeps {
  fleetUrl: string;
  enrollToken: string | null;
  dataDir: string;
  /** The box's own variables (balena's), under the desired config. */
  base: Env;
  /** The desired config applied before this start (restored from the data dir). */
  applied: AppliedConfig | null;
  agent: BoxControl;
  sampleHealth: () => Promise<Health>;
  healthSeconds: number;
  logger: Logger;
}

export interface FleetClientCounters {
  dropped: number;
  applied: number;
  refused: number;
  commands: number;
}

const ENROL_RETRY_CAP_MS = 300_000;
/** Reported state is sent at most this often; figures in between ride on the next one. */
const REPORT_MIN_INTERVAL_MS = 500;

/**
 * The box's side of the fleet: enrols once, then keeps an MQTT session with
 * a last will, reports its state and health, applies newer desired configs
 * and answers commands. The box streams on whether or not any of this works.
 */
export class FleetClient {
  readonly counters: FleetClientCounters = { dropped: 0, applied: 0, refused: 0, commands: 0 };
  private client: MqttClient | null = null;
  private deviceId: DeviceId | null = null;
  private appliedVersion: number;
  private appliedValues: Record<string, string>;
  private refused: Refusal | null = null;
  private stopped = false;
  private healthTimer: NodeJS.Timeout | null = null;
  private reportTimer: NodeJS.Timeout | null = null;
  private enrolTimer: NodeJS.Timeout | null = null;
  private lastReported: StreamState | null = null;
  private lastReportAt = 0;
  private reconnects = 0;
  private lastError: string | null = null;
  /** Desired configs are applied one at a time, in arrival order. */
  private applying: Promise<void> = Promise.resolve();
  private readonly log: Logger;

  constructor(private readonly deps: FleetClientDeps) {
    this.log = deps.logger;
    this.appliedVersion = deps.applied?.version ?? 0;
    this.appliedValues = deps.applied?.config ?? {};
  }

  async start(): Promise<void> {
    const { id } = await deviceIdentity(this.deps.base, this.deps.dataDir);
    this.deviceId = id;
    this.log.info('fleet: this box is', { deviceId: id, fleet: this.deps.fleetUrl });
    await this.enrolThenConnect(1);
  }

  private async enrolThenConnect(attempt: number): Promise<void> {
    if (this.stopped || !this.deviceId) return;
    let creds = await loadCredentials(this.deps.dataDir);
    if (creds && (creds.fleetUrl !== this.deps.fleetUrl || creds.deviceId !== this.deviceId)) creds = null;
    if (!creds) {
      if (!this.deps.enrollToken) {
        this.log.error('fleet: not enrolled and ROOMCAST_ENROLL_TOKEN is not set: the box runs on its own');
        return;
      }
      try {
        creds = await enrol(this.deps.fleetUrl, this.deps.enrollToken, this.deviceId);
        await saveCredentials(this.deps.dataDir, creds);
        this.log.info('fleet: enrolled', { deviceId: this.deviceId, mqtt: creds.mqttUrl });
      } catch (err) {
        const delay = Math.min(backoffDelay(attempt) * (err instanceof EnrolError && !err.retriable ? 10 : 1), ENROL_RETRY_CAP_MS);
        this.log.warn('fleet: enrolment failed; streaming goes on', { error: err instanceof Error ? err.message : String(err), retryInMs: delay });
        this.enrolTimer = setTimeout(() => void this.enrolThenConnect(attempt + 1), delay);
        return;
      }
    }
    this.connect(creds);
  }

  private connect(creds: FleetCredentials): void {
    const id = this.deviceId;
    if (!id || this.stopped) return;
    registerSecret(creds.password);
    const client = mqtt.connect(creds.mqttUrl, { ...boxConnectOptions(id, creds), reconnectPeriod: backoffDelay(1) });
    this.client = client;
    client.on('connect', () => {
      this.reconnects = 0;
      this.lastError = null;
      client.options.reconnectPeriod = backoffDelay(1);
      this.log.info('fleet: connected', { broker: creds.mqttUrl });
      void this.onConnected(client, id);
    });
    client.on('close', () => {
      if (this.stopped) return;
      // Capped exponential backoff with jitter, as for destinations.
      this.reconnects += 1;
      client.options.reconnectPeriod = backoffDelay(this.reconnects);
      if (this.reconnects === 1) this.log.warn('fleet: broker connection lost; streaming goes on', {});
    });
    client.on('error', (err) => {
      // Once per cause, not once per attempt: an outage of an hour is one line.
      if (err.message === this.lastError) return;
      this.lastError = err.message;
      this.log.warn('fleet: broker error', { error: err.message });
    });
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    this.healthTimer ??= setInterval(() => void this.sendHealth(), this.deps.healthSeconds * 1000);
  }

  private async onConnected(client: MqttClient, id: DeviceId): Promise<void> {
    try {
      await this.publish(outgoing(id, 'status', 'online'));
      await this.publishReported();
      const subs = boxSubscriptions(id);
      await client.subscribeAsync(Object.fromEntries(subs.map((s) => [s.filter, { qos: s.qos }])));
      await this.sendHealth();
    } catch (err) {
      this.log.warn('fleet: announcing the box failed', { error: err instanceof Error ? err.message : String(err) });
    }
  }

  private onMessage(topic: string, payload: Buffer): void {
    const parsed = parseTopic(topic);
    if (!parsed || parsed.deviceId !== this.deviceId) return this.drop(topic, 'not this box\'s topic');
    if (parsed.kind === 'desired') {
      // A cleared retained message (the box was revoked or reset): nothing to apply.
      if (payload.length === 0) return;
      const d = decodePayload('desired', payload);
      if (!d.ok) return this.drop(topic, d.error);
      this.applying = this.applying.then(() => this.onDesired(d.value.version, d.value.config));
      return;
    }
    if (parsed.kind === 'commandRequest') {
      const d = decodePayload('commandRequest', payload);
      if (!d.ok) {
        this.drop(topic, d.error);
        // A request we cannot read is still answered when its id can be found, so the caller is not left waiting.
        const txn = transactionIdOf(payload);
        if (txn !== null) void this.respond({ id: txn, ok: false, error: `request refused: ${d.error}` });
        return;
      }
      void this.onCommand(d.value);
      return;
    }
    this.drop(topic, `a box does not take ${parsed.kind} messages`);
  }

  private async onDesired(version: number, values: Record<string, string>): Promise<void> {
    const decision = decideDesired({ version, config: values }, this.appliedVersion, this.deps.base);
    switch (decision.kind) {
      case 'ignore':
        return;
      case 'refuse':
        this.counters.refused += 1;
        this.refused = decision.refusal;
        this.log.warn('fleet: desired config refused; the running config stays', { version, errors: decision.refusal.errors });
        break;
      case 'apply':
        try {
          // Saved first: a reboot right after restores what the fleet sees as applied.
          await saveApplied(this.deps.dataDir, { version, config: values });
        } catch (err) {
          this.refused = { version, errors: [`the box could not save the config: ${err instanceof Error ? err.message : String(err)}`] };
          break;
        }
        this.appliedVersion = version;
        this.appliedValues = values;
        this.refused = null;
        this.counters.applied += 1;
        await this.deps.agent.reconfigure(decision.config);
        this.log.info('fleet: desired config applied', { version });
        break;
    }
    await this.publishReported().catch(() => undefined);
  }

  private async onCommand(req: CommandRequest): Promise<void> {
    this.counters.commands += 1;
    this.log.info('fleet: command', { name: req.name, id: req.id });
    const agent = this.deps.agent;
    let response: CommandResponse;
    try {
      switch (req.name) {
        case 'start': {
          const r = agent.goLive();
          response = r.ok ? { id: req.id, ok: true, result: { phase: agent.current.phase } } : { id: req.id, ok: false, error: r.errors.join('; ') };
          break;
        }
        case 'stop':
          await agent.stopStream();
          response = { id: req.id, ok: true, result: { phase: agent.current.phase } };
          break;
        case 'restart':
          if (agent.current.phase === 'idle') response = { id: req.id, ok: false, error: 'the box is not live: nothing to restart' };
          else {
            await agent.restartCore();
            response = { id: req.id, ok: true };
          }
          break;
        case 'identify': {
          const seconds = req.args?.['seconds'] ?? 30;
          agent.identify(seconds);
          response = { id: req.id, ok: true, result: { seconds } };
          break;
        }
        case 'snapshot':
          response = { id: req.id, ok: false, error: 'snapshot is not available in this release' };
          break;
      }
    } catch (err) {
      response = { id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    await this.respond(response);
  }

  private async respond(response: CommandResponse): Promise<void> {
    if (!this.deviceId) return;
    await this.publish(outgoing(this.deviceId, 'commandResponse', response)).catch((err: unknown) => this.log.warn('fleet: answering a command failed', { error: err instanceof Error ? err.message : String(err) }));
  }

  /** The agent's state changed: report it when something a person would see changed. */
  onState(state: StreamState): void {
    if (!this.client?.connected || this.reportTimer) return;
    if (this.lastReported && !significantChange(this.lastReported, state)) return;
    const wait = Math.max(0, this.lastReportAt + REPORT_MIN_INTERVAL_MS - Date.now());
    this.reportTimer = setTimeout(() => {
      this.reportTimer = null;
      void this.publishReported().catch(() => undefined);
    }, wait);
  }

  private async publishReported(): Promise<void> {
    if (!this.deviceId || !this.client?.connected) return;
    const state = this.deps.agent.current;
    const reported: ReportedState = {
      appliedVersion: this.appliedVersion,
      ...(this.refused ? { refused: this.refused } : {}),
      config: reportedValues(this.deps.base, this.appliedValues),
      state,
    };
    this.lastReported = state;
    this.lastReportAt = Date.now();
    await this.publish(outgoing(this.deviceId, 'reported', reported));
  }

  private async sendHealth(): Promise<void> {
    if (!this.deviceId || !this.client?.connected) return;
    try {
      const sample = await this.deps.sampleHealth();
      await this.publish(outgoing(this.deviceId, 'health', { ...sample, phase: this.deps.agent.current.phase }));
      // The figures (bytes, bitrate, meters) move all the time; they are refreshed at the health pace.
      if (this.lastReported !== this.deps.agent.current) await this.publishReported();
    } catch (err) {
      this.log.warn('fleet: health sample failed', { error: err instanceof Error ? err.message : String(err) });
    }
  }

  private async publish(msg: Outgoing): Promise<void> {
    const client = this.client;
    if (!client) return;
    await client.publishAsync(msg.topic, msg.payload, { qos: msg.qos, retain: msg.retain });
  }

  private drop(topic: string, reason: string): void {
    this.counters.dropped += 1;
    this.log.warn('fleet: message dropped', { topic, reason, dropped: this.counters.dropped });
  }

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** A clean stop says "offline" (the last will, "lost", is for a box that vanished). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of [this.healthTimer, this.reportTimer, this.enrolTimer]) if (t) clearTimeout(t);
    this.healthTimer = this.reportTimer = this.enrolTimer = null;
    const client = this.client;
    this.client = null;
    if (!client) return;
    if (client.connected && this.deviceId) {
      const offline = outgoing(this.deviceId, 'status', 'offline');
      await Promise.race([client.publishAsync(offline.topic, offline.payload, { qos: offline.qos, retain: offline.retain }), new Promise((r) => setTimeout(r, 1000))]).catch(() => undefined);
    }
    // A DISCONNECT, not a dropped socket: the broker then discards the last will ("lost").
    await Promise.race([client.endAsync(false), new Promise((r) => setTimeout(r, 1000))]).catch(() => undefined);
    client.end(true);
  }
}
