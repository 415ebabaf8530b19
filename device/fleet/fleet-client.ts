import mqtt, { type MqttClient } from 'mqtt';
import type { Env } from '../../common/config/load.js';
import type { DeviceConfig } from '../../common/config/schema.js';
import type { Logger } from '../../common/log.js';
import {
  boxSubscriptions,
  decodePayload,
  ipfsOutgoing,
  outgoing,
  parseTopic,
  payloadFits,
  snapshotJpegBudget,
  transactionIdOf,
  type CommandRequest,
  type CommandResponse,
  type DeviceId,
  type Health,
  type IpfsAnnouncement,
  type IpfsNodeInfo,
  type IpfsSegment,
  type Outgoing,
  type Refusal,
  type ReportedState,
  type UpdateState,
} from '../../common/protocol.js';
import { registerSecret } from '../../common/secret.js';
import { backoffDelay } from '../backoff.js';
import { brokerProblem } from './broker-error.js';
import type { ReconfigurePlan } from '../reconfigure.js';
import type { Snapshot } from '../snapshot-requests.js';
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
  goLive(): Promise<{ ok: true } | { ok: false; errors: string[] }>;
  stopStream(): Promise<void>;
  restartCore(options?: { redetect?: boolean }): Promise<void>;
  reconfigure(config: DeviceConfig): Promise<ReconfigurePlan>;
  identify(seconds: number): void;
  /** A JPEG of what the box sends, at most `maxBytes`; rejects with the reason there is none. */
  snapshot(maxBytes: number): Promise<Snapshot>;
  /** Where the fleet's IPFS node listens (null: it no longer says), for the box's node to dial. */
  ipfsFleetNode(info: IpfsNodeInfo | null): void;
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
  /** balena update state (docs/updates.md); undefined without a supervisor to ask. */
  updateState?: () => UpdateState | undefined;
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
/** How many of the newest segments go again on connect: the fleet's default live window. */
const RESENT_SEGMENTS = 6;

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
  private healthSeconds = 0;
  private reportTimer: NodeJS.Timeout | null = null;
  private enrolTimer: NodeJS.Timeout | null = null;
  private lastReported: StreamState | null = null;
  private lastReportAt = 0;
  private reconnects = 0;
  private lastError: string | null = null;
  /** Sent again on every connect: an embedded broker forgets retained messages when it restarts. */
  private ipfsNode: IpfsNodeInfo | null = null;
  /**
   * The newest segments of the talk going on, sent again on every connect: a
   * fleet that restarted (and its embedded broker, so the box reconnects)
   * lists them at once instead of starting an empty playlist; a fleet that
   * has them already ignores them.
   */
  private recentSegments: IpfsSegment[] = [];
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

  /**
   * `refused`: the credentials the broker just refused. A fleet service
   * reinstalled with an empty store no longer knows them; enrolling again
   * (with them as proof, in case it does) brings the box back without anyone
   * wiping its data volume. A revoked box is refused that too, and stays out.
   */
  private async enrolThenConnect(attempt: number, refused: FleetCredentials | null = null): Promise<void> {
    if (this.stopped || !this.deviceId) return;
    let creds = refused ? null : await loadCredentials(this.deps.dataDir);
    if (creds && (creds.fleetUrl !== this.deps.fleetUrl || creds.deviceId !== this.deviceId)) creds = null;
    if (!creds) {
      if (!this.deps.enrollToken) {
        this.log.error(`fleet: ${refused ? 'the broker refuses this box\'s credentials' : 'not enrolled'} and ROOMCAST_ENROLL_TOKEN is not set: the box runs on its own`);
        return;
      }
      try {
        creds = await enrol(this.deps.fleetUrl, this.deps.enrollToken, this.deviceId, refused?.password);
        await saveCredentials(this.deps.dataDir, creds);
        this.log.info(refused ? 'fleet: enrolled again' : 'fleet: enrolled', { deviceId: this.deviceId, mqtt: creds.mqttUrl });
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        if (refused && err instanceof EnrolError && !err.retriable) {
          this.log.error('fleet: the broker refuses this box\'s credentials and the fleet will not enrol it again (revoked?): the box runs on its own', { error });
          return;
        }
        const delay = Math.min(backoffDelay(attempt) * (err instanceof EnrolError && !err.retriable ? 10 : 1), ENROL_RETRY_CAP_MS);
        this.log.warn('fleet: enrolment failed; streaming goes on', { error, retryInMs: delay });
        this.enrolTimer = setTimeout(() => void this.enrolThenConnect(attempt + 1, refused), delay);
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
      if (this.client === client && isCredentialRefusal(err)) {
        this.log.warn('fleet: the broker refused this box\'s credentials; enrolling again', { error: err.message });
        this.client = null;
        client.end(true);
        void this.enrolThenConnect(1, creds);
        return;
      }
      // Once per cause, not once per attempt: an outage of an hour is one line.
      if (err.message === this.lastError) return;
      this.lastError = err.message;
      const problem = brokerProblem(err);
      // The TLS handshake failed before any MQTT packet: the password was never sent.
      if (problem.kind === 'certificate') this.log.error("fleet: the broker's certificate is not trusted; not connecting", { broker: creds.mqttUrl, code: problem.code, reason: problem.reason, hint: 'the CA given at enrolment did not sign it: check the broker\'s certificate or enrol the box again' });
      else this.log.warn('fleet: broker error', { error: problem.reason });
    });
    client.on('message', (topic, payload) => this.onMessage(topic, payload));
    if (!this.healthTimer) this.healthEvery(this.deps.healthSeconds);
  }

  private async onConnected(client: MqttClient, id: DeviceId): Promise<void> {
    try {
      // Queued at once, in this order, before anything else is sent on this
      // connection: a segment cut meanwhile goes after the ones sent again.
      const first = [outgoing(id, 'status', 'online'), ...(this.ipfsNode ? [outgoing(id, 'ipfsNode', this.ipfsNode)] : []), ...this.recentSegments.map((seg) => outgoing(id, 'ipfsSegment', seg))];
      await Promise.all(first.map((m) => this.publish(m)));
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
    if (parsed.kind === 'ipfsFleetNode') {
      // Cleared: the fleet's node no longer listens, or the box was reset.
      if (payload.length === 0) return this.deps.agent.ipfsFleetNode(null);
      const d = decodePayload('ipfsFleetNode', payload);
      if (!d.ok) return this.drop(topic, d.error);
      this.deps.agent.ipfsFleetNode(d.value);
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
        if (decision.config.healthSeconds !== this.healthSeconds) this.healthEvery(decision.config.healthSeconds);
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
          const r = await agent.goLive();
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
            // An operator's restart: a camera or microphone plugged in while live is taken now.
            await agent.restartCore({ redetect: true });
            response = { id: req.id, ok: true };
          }
          break;
        case 'identify': {
          const seconds = req.args?.['seconds'] ?? 30;
          agent.identify(seconds);
          response = { id: req.id, ok: true, result: { seconds } };
          break;
        }
        case 'snapshot': {
          const still = await agent.snapshot(snapshotJpegBudget(req.id));
          response = { id: req.id, ok: true, result: { jpegBase64: still.jpegBase64, width: still.width, height: still.height } };
          break;
        }
      }
    } catch (err) {
      response = { id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    await this.respond(response);
  }

  private async respond(response: CommandResponse): Promise<void> {
    if (!this.deviceId) return;
    let msg = outgoing(this.deviceId, 'commandResponse', response);
    // The fleet would refuse it unread and time out: say why instead.
    if (!payloadFits(msg)) msg = outgoing(this.deviceId, 'commandResponse', { id: response.id, ok: false, error: `the answer would be ${Buffer.byteLength(msg.payload)} bytes, more than one message may carry` });
    await this.publish(msg).catch((err: unknown) => this.log.warn('fleet: answering a command failed', { error: err instanceof Error ? err.message : String(err) }));
  }

  /**
   * What the ipfs destination announces. With the link down a segment is
   * dropped, but for the newest few, sent again on connect (the VOD lists
   * them all anyway).
   */
  publishIpfs(a: IpfsAnnouncement): void {
    if (a.kind === 'ipfsNode') this.ipfsNode = a.value;
    // An ended talk's segments are not sent again: they would make its playlist live again.
    else if (a.kind === 'ipfsEnded') this.recentSegments = [];
    else this.recentSegments = [...this.recentSegments.filter((s) => s.stream === a.value.stream), a.value].slice(-RESENT_SEGMENTS);
    if (!this.deviceId || !this.client?.connected) return;
    this.publish(ipfsOutgoing(this.deviceId, a)).catch((err: unknown) => this.log.warn('fleet: an IPFS announcement was not sent', { kind: a.kind, error: err instanceof Error ? err.message : String(err) }));
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
    const update = this.deps.updateState?.();
    if (update) reported.update = update;
    this.lastReported = state;
    this.lastReportAt = Date.now();
    await this.publish(outgoing(this.deviceId, 'reported', reported));
  }

  /** The update state changed (a lock taken or released, an update pending): report it now. */
  updateChanged(): void {
    void this.publishReported().catch(() => undefined);
  }

  private healthEvery(seconds: number): void {
    if (this.healthTimer) clearInterval(this.healthTimer);
    this.healthSeconds = seconds;
    this.healthTimer = setInterval(() => void this.sendHealth(), seconds * 1000);
  }

  private async sendHealth(): Promise<void> {
    if (!this.deviceId || !this.client?.connected) return;
    try {
      const sample = await this.deps.sampleHealth();
      const current = this.deps.agent.current;
      const sendKbps = Math.round(current.destinations.reduce((sum, d) => sum + d.bitrateKbps, 0));
      await this.publish(outgoing(this.deviceId, 'health', { ...sample, phase: current.phase, sendKbps }));
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

/** CONNACK 4 (bad user name or password) or 5 (not authorised), as MQTT.js reports them. */
function isCredentialRefusal(err: Error): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 4 || code === 5;
}
