import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { DeviceConfig } from '../common/config/schema.js';
import { destinationSecrets, type Destination } from '../common/destination.js';
import type { IpfsAnnouncement, IpfsNodeInfo } from '../common/protocol.js';
import type { Logger } from '../common/log.js';
import { registerSecret } from '../common/secret.js';
import { CurrentHardware, lostSources } from './hardware/current-hardware.js';
import type { Hardware } from './hardware/types.js';
import { backoffDelay } from './backoff.js';
import { DestinationRelay } from './destination-relay.js';
import { BoxIpfs, ipfsDir } from './ipfs/box-ipfs.js';
import { IpfsPublisher } from './ipfs/ipfs-publisher.js';
import type { FromHost, HostStats } from './pipeline/host-messages.js';
import { drainHostPool, HostProcess, prewarmHosts } from './pipeline/host-process.js';
import { planPipeline, type PipelinePlan } from './pipeline/plan.js';
import { RecordingJanitor } from './recording/janitor.js';
import { renderCore, renderSlate, renderSources } from './pipeline/render.js';
import { planReconfigure, type ReconfigurePlan } from './reconfigure.js';
import type { SnapshotPlan } from './pipeline/snapshot-plan.js';
import { SnapshotError, SnapshotRequests, type Snapshot } from './snapshot-requests.js';
import { FreshStill } from './stills/fresh-still.js';
import { IdleStills } from './stills/idle-still.js';
import type { SourceFeed } from './pipeline/host-messages.js';
import { applyAudioLevel, applyCoreStats, applyVideoSource, audioSourceOf, destinationEntry, initialAudio, initialIpfsState, initialState, mediaFlowing, withDestination, withPhase, type DestinationState, type StreamState } from './state.js';

export interface AgentDeps {
  config: DeviceConfig;
  /** What was found at start. */
  hardware: Hardware;
  /** Looks again (device/hardware/detect.ts); without it the box keeps what it found at start. */
  detectHardware?: () => Promise<Hardware>;
  logger: Logger;
  statsIntervalMs?: number;
  /** How often the whole state is logged while streaming. */
  stateLogIntervalMs?: number;
  now?: () => Date;
  onState?: (state: StreamState) => void;
  /** What the ipfs destination announces (to the fleet, over MQTT). */
  onIpfs?: (announcement: IpfsAnnouncement) => void;
}

export type GoLiveResult = { ok: true } | { ok: false; errors: string[] };

/** A destination's runner: an RTMP relay, or the IPFS publisher. */
type DestinationRunner = DestinationRelay | IpfsPublisher;

/** SIGTERM to exit must fit in balena's 10 s grace period with room to spare. */
export const STOP_DEADLINE_MS = 4000;

const DISK_CHECK_MS = 10_000;
/** How long going live waits for an idle still's tool to let go of the camera. */
const STILL_RELEASE_MS = 2000;
/** Waits for `done`, but not longer than `ms`. */
async function released(done: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([done, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
/** A still takes a frame or two; several tries at a lower quality stay well inside this. */
const SNAPSHOT_TIMEOUT_MS = 5000;
/** Every dashboard open on a live box asks for a still: the pipeline is asked at most this often. */
const LIVE_STILL_INTERVAL_MS = 2000;

/**
 * The box agent: turns "go live" and "stop" into pipeline hosts (one core,
 * one relay per destination), keeps the stream state, and restarts a failed
 * core with capped backoff; each relay retries on its own.
 * Lifecycle (STYLE.md #7): the constructor only stores; start() acts; stop()
 * releases every process and timer it took.
 */
export class DeviceAgent {
  private state: StreamState;
  private host: HostProcess | null = null;
  private relays: DestinationRunner[] = [];
  /** The box's IPFS node while an ipfs destination is configured. */
  private ipfs: BoxIpfs | null = null;
  /** Where the fleet's IPFS node listens, as the fleet last said; the box's node dials it. */
  private fleetIpfs: IpfsNodeInfo | null = null;
  private janitor: RecordingJanitor | null = null;
  private diskTimer: NodeJS.Timeout | null = null;
  private diskCheckRunning = false;
  /** Set when the disk filled up: the core runs without its recorder until the next go-live. */
  private recordingDisabled = false;
  private wantLive = false;
  /** A go-live on its way (detecting hardware, waiting for a stop to finish), shared by every ask until the next stop. */
  private goingLive: { stops: number; result: Promise<GoLiveResult> } | null = null;
  /** Counts stops, so a go-live still on its way when a stop comes does not go live after it. */
  private stops = 0;
  /** The stop in progress: a go-live waits for it, so the stop cannot undo what the go-live starts. */
  private stopping: Promise<void> | null = null;
  /** Counts launches: a launch overtaken by another (a restart, a retry) while it awaited does not start a second core. */
  private launches = 0;
  /** The latest detection. */
  private readonly hardware: CurrentHardware;
  /** What this stream went live with: its retries and restarts plan with it, so a lost camera stays the slate. */
  private sessionHardware: Hardware | null = null;
  private identifyUntil = 0;
  private readonly idleStills = new IdleStills();
  private readonly liveStills = new FreshStill(LIVE_STILL_INTERVAL_MS);
  private lastSample: { at: number; stats: HostStats } | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private stateLogTimer: NodeJS.Timeout | null = null;
  private failuresInARow = 0;
  /** The core's fan-out port while it runs, for relays started by a config change. */
  private fanoutPort: number | null = null;
  /** The stills the running core can take (null: none, e.g. passthrough). */
  private coreStills: SnapshotPlan | null = null;
  private readonly snapshots = new SnapshotRequests();
  private config: DeviceConfig;
  private readonly nextStamp: () => string;
  private readonly now: () => Date;
  private readonly log: Logger;

  constructor(private readonly deps: AgentDeps) {
    this.now = deps.now ?? (() => new Date());
    this.log = deps.logger;
    this.nextStamp = sessionStamper(this.now);
    this.config = deps.config;
    this.hardware = new CurrentHardware(deps.hardware, deps.detectHardware ?? null, deps.logger.child('hardware'));
    const audio = deps.config.audioSource.kind === 'test' ? 'test' : deps.config.audioSource.kind === 'none' ? 'none' : 'microphone';
    this.state = initialState(deps.config.destinations, deps.config.recordDir, this.now(), audio);
  }

  /** The config the agent runs now. */
  get runningConfig(): DeviceConfig {
    return this.config;
  }

  get current(): StreamState {
    return this.state;
  }

  start(): void {
    this.relays = this.config.destinations.map((d) => this.newRelay(d));
    // Opened at once, not at go-live: the fleet learns where to fetch from, and past talks stay reachable.
    if (this.ipfs) void this.ipfs.node().catch((err: unknown) => this.onIpfsError(err));
    this.janitor = this.newJanitor();
    this.stateLogTimer = setInterval(() => {
      if (this.state.phase !== 'idle') this.log.info('state', { state: this.state });
    }, this.deps.stateLogIntervalMs ?? 10_000);
    if (this.config.autostart) void this.goLive();
  }

  private onIpfsError(err: unknown): void {
    const error = `the IPFS node did not start: ${err instanceof Error ? err.message : String(err)}`;
    this.log.error(error);
    this.state = this.state.ipfs ? { ...this.state, ipfs: { ...this.state.ipfs, lastError: error } } : this.state;
    this.emit();
  }

  private newRelay(destination: Destination): DestinationRunner {
    const onChange = (patch: Partial<DestinationState>): void => {
      this.state = withDestination(this.state, destination.id, patch);
      this.checkLive();
    };
    if (destination.platform === 'ipfs') return this.newIpfsPublisher(destination, onChange);
    destinationSecrets(destination).forEach(registerSecret);
    return new DestinationRelay({
      destination,
      logger: this.log,
      statsIntervalMs: this.deps.statsIntervalMs ?? 1000,
      streamKbps: this.config.videoBitrateKbps + this.config.audioBitrateKbps,
      onChange,
    });
  }

  private newIpfsPublisher(destination: Destination, onChange: (patch: Partial<DestinationState>) => void): IpfsPublisher {
    const c = this.config;
    this.ipfs ??= new BoxIpfs(c, this.log.child('ipfs'), (info) => {
      this.state = { ...this.state, ipfs: { ...(this.state.ipfs ?? initialIpfsState()), peerId: info.peerId } };
      this.deps.onIpfs?.({ kind: 'ipfsNode', value: info });
      this.emit();
    });
    this.ipfs.fleetNode(this.fleetIpfs);
    const ipfs = this.ipfs;
    return new IpfsPublisher({
      destination,
      node: () => ipfs.node(),
      ipfsDir: ipfsDir(c),
      segmentSeconds: c.keyframeSeconds,
      keepBytes: c.ipfsKeep,
      newStreamId: this.nextStamp,
      logger: this.log,
      onChange,
      onIpfs: (patch) => {
        this.state = { ...this.state, ipfs: { ...(this.state.ipfs ?? initialIpfsState()), ...patch } };
        this.emit();
      },
      announce: (a) => this.deps.onIpfs?.(a),
    });
  }

  private newJanitor(): RecordingJanitor | null {
    return this.config.recordDir ? new RecordingJanitor(this.config.recordDir, this.config.recordMinFree, this.log.child('disk')) : null;
  }

  /** The fleet says where its IPFS node listens (null: it no longer does). */
  ipfsFleetNode(info: IpfsNodeInfo | null): void {
    this.fleetIpfs = info;
    this.ipfs?.fleetNode(info);
  }

  /**
   * Runs a new config, restarting only what it changes (device/reconfigure.ts):
   * a changed destination restarts its relay alone; the recording and the
   * other destinations go on.
   */
  async reconfigure(next: DeviceConfig): Promise<ReconfigurePlan> {
    const plan = planReconfigure(this.config, next);
    if (plan.changed.length === 0) return plan;
    this.log.info('config changed', { changed: plan.changed, restartCore: plan.restartCore, stop: plan.stopDestinations, start: plan.startDestinations.map((d) => d.id) });
    this.config = next;
    const stopping = this.relays.filter((r) => plan.stopDestinations.includes(r.destination.id));
    this.relays = this.relays.filter((r) => !stopping.includes(r));
    await Promise.all(stopping.map((r) => r.stop(STOP_DEADLINE_MS)));
    if (plan.reopenIpfs || !next.destinations.some((d) => d.platform === 'ipfs')) {
      await this.ipfs?.close();
      this.ipfs = null;
    }
    const started = plan.startDestinations.map((d) => this.newRelay(d));
    this.relays.push(...started);
    if (this.ipfs && plan.reopenIpfs) void this.ipfs.node().catch((err: unknown) => this.onIpfsError(err));
    // Keep the config's order, each kept destination with its running figures.
    this.state = {
      ...this.state,
      destinations: next.destinations.map((d) => this.state.destinations.find((s) => s.id === d.id && !plan.stopDestinations.includes(d.id)) ?? destinationEntry(d)),
      recording: { ...this.state.recording, enabled: next.recordDir !== null, dir: next.recordDir },
      ipfs: next.destinations.some((d) => d.platform === 'ipfs') ? (this.state.ipfs ?? initialIpfsState()) : null,
    };
    if (plan.janitor) this.janitor = this.newJanitor();
    if (plan.restartCore) {
      this.recordingDisabled = false;
      if (this.wantLive) await this.restartCore();
    } else if (this.wantLive && this.fanoutPort !== null) {
      for (const relay of started) relay.start(this.fanoutPort);
    }
    if (plan.redrawSlate && this.host) {
      const planned = this.planSession();
      if (planned.ok) this.host.send({ type: 'slate', slate: renderSlate(planned.plan) });
    }
    this.emit();
    return plan;
  }
  /**
   * Go live, with the hardware as it is now (a camera or microphone plugged in
   * since the last look is used). Returns the reasons it cannot, if the config
   * and hardware allow no pipeline.
   */
  goLive(): Promise<GoLiveResult> {
    if (this.wantLive) return Promise.resolve({ ok: true });
    const pending = this.goingLive;
    if (pending?.stops === this.stops) return pending.result;
    // A stop came after that go-live: this one follows it (it ends as "stopped").
    const stops = this.stops;
    const result = (pending?.result ?? Promise.resolve()).then(() => this.goLiveFresh(stops));
    const entry = { stops, result };
    this.goingLive = entry;
    const clear = (): void => {
      if (this.goingLive === entry) this.goingLive = null;
    };
    result.then(clear, clear);
    return result;
  }

  private async goLiveFresh(stops: number): Promise<GoLiveResult> {
    const stopped = { ok: false as const, errors: ['stopped before the box went live'] };
    await this.stopping;
    if (this.wantLive) return { ok: true };
    const hardware = await this.hardware.fresh();
    if (this.stops !== stops) return stopped;
    const planned = this.planSession(hardware);
    if (!planned.ok) return planned;
    this.sessionHardware = hardware;
    this.wantLive = true;
    // An idle still being taken holds the camera the pipeline is about to open: its tool is stopped, and waited for a moment.
    await released(this.idleStills.cancel('the box went live while the still was being taken'), STILL_RELEASE_MS);
    if (this.stops !== stops) return stopped;
    this.failuresInARow = 0;
    this.recordingDisabled = false;
    this.state = { ...this.state, restarts: 0, recording: { ...this.state.recording, segmentsClosed: 0, stopped: null } };
    if (this.janitor && !this.diskTimer) this.diskTimer = setInterval(() => void this.checkDisk(), DISK_CHECK_MS);
    // The core and every relay get a process forked now, so their Node.js and
    // GStreamer start-up overlaps the rest of going live.
    prewarmHosts(1 + this.relays.length);
    void this.launch(planned.plan);
    return { ok: true };
  }

  /**
   * Plans one pipeline run. Each run gets its own session stamp, which names
   * its recording files: splitmuxsink numbers from 0 again in every run, so a
   * reused stamp would overwrite the previous run's first segment.
   */
  private planSession(hardware = this.sessionHardware ?? this.hardware.now): { ok: true; plan: PipelinePlan } | { ok: false; errors: string[] } {
    let config = this.recordingDisabled ? { ...this.config, recordDir: null } : this.config;
    if (config.slateImage && !existsSync(config.slateImage)) {
      this.log.warn('slate image not found: using the plain slate', { path: config.slateImage });
      config = { ...config, slateImage: null };
    }
    const planned = planPipeline(config, hardware, { sessionStamp: this.nextStamp() });
    if (!planned.ok) this.setPhase('error', planned.errors.join('; '));
    return planned;
  }

  private async launch(plan?: PipelinePlan): Promise<void> {
    const launch = ++this.launches;
    const planned = plan ? { ok: true as const, plan } : this.planSession();
    if (!planned.ok) {
      // planSession said why (phase error); the box should be live, so it tries again.
      if (this.wantLive) this.scheduleRetry(this.state.reason ?? 'no pipeline');
      return;
    }
    // Every run says what it runs with (a restart may have found other hardware).
    for (const choice of planned.plan.choices) this.log.info(choice);
    // This run's audio input (auto may find a microphone this time, or none); the last run's meters and failure are forgotten.
    this.state = { ...this.state, audio: initialAudio(audioSourceOf(planned.plan.audio.input)) };
    this.setPhase('starting', null);
    const recorder = planned.plan.recorder;
    if (recorder) {
      try {
        await mkdir(recorder.dir, { recursive: true });
      } catch (err) {
        // Not fatal to the stream, but the recorder cannot run: say so plainly and retry later.
        this.setPhase('error', `cannot create the recording folder ${recorder.dir}: ${err instanceof Error ? err.message : String(err)}`);
        this.scheduleRetry(this.state.reason ?? 'recording folder');
        return;
      }
    }
    if (!this.wantLive || launch !== this.launches) return;
    const rendered = renderCore(planned.plan);
    this.log.info('starting pipeline', { launch: rendered.launch });
    this.lastSample = null;
    const host = new HostProcess({
      onMessage: (msg) => this.onHostMessage(host, msg),
      onExit: (code, signal) => {
        this.snapshots.hostGone(host);
        this.onHostExit(host, code, signal);
      },
    });
    this.host = host;
    this.coreStills = planned.plan.video.snapshot;
    host.start(rendered, { statsIntervalMs: this.deps.statsIntervalMs ?? 1000, sources: renderSources(planned.plan), slate: renderSlate(planned.plan) });
  }

  /**
   * Test control: makes a running source fail through GStreamer's own error
   * path (its identity element errors on the next buffer), which is what an
   * unplugged camera or microphone does.
   */
  injectFault(feed: SourceFeed): boolean {
    if (!this.host) return false;
    this.log.warn('injecting a fault', { feed });
    this.host.send({ type: 'inject-fault', feed });
    return true;
  }

  /** Makes the box findable in a room: the tally light flashes its own pattern (device/panel/) until then. */
  identify(seconds: number): void {
    this.identifyUntil = Date.now() + seconds * 1000;
    this.log.warn('identify: this box was asked to show itself', { seconds });
  }

  /** While identify() runs (the tally light's own pattern). */
  get identifying(): boolean {
    return Date.now() < this.identifyUntil;
  }

  /**
   * A JPEG of what the box sends now (the slate while it shows), at most
   * `maxBytes`. An idle box sends nothing, so it has no picture: the camera is
   * not opened just for a still (a box is asked for one to check a stream).
   */
  snapshot(maxBytes: number): Promise<Snapshot> {
    if (!this.wantLive) return this.idleSnapshot(maxBytes);
    if (!this.host) return Promise.reject(new SnapshotError('not live: no picture yet'));
    if (!this.coreStills) return Promise.reject(new SnapshotError('this box takes no snapshots: its pipeline has no raw picture (passthrough) or no JPEG encoder'));
    const [host, steps] = [this.host, this.coreStills.steps];
    return this.liveStills.take(maxBytes, () => this.snapshots.ask(host, steps, maxBytes, SNAPSHOT_TIMEOUT_MS));
  }

  /** The camera is free while idle: a still straight from it (device/stills/), found as it is now. */
  private async idleSnapshot(maxBytes: number): Promise<Snapshot> {
    const hardware = await this.hardware.fresh();
    if (this.wantLive) return this.snapshot(maxBytes);
    const planned = planPipeline(this.config, hardware, { sessionStamp: 'still' });
    if (!planned.ok) throw new SnapshotError(`no camera to take a still with: ${planned.errors.join('; ')}`);
    const input = planned.plan.video.input;
    const legacy = input.kind === 'v4l2' && hardware.cameras.some((c) => c.kind === 'picam-legacy' && c.device === input.device);
    return this.idleStills.take(input, legacy, maxBytes);
  }

  /** Test control: the flash test pattern white or black (ROOMCAST_TEST_PATTERN=flash). */
  setFlash(on: boolean): boolean {
    if (!this.host) return false;
    this.host.send({ type: 'test-flash', on });
    return true;
  }

  private onHostMessage(host: HostProcess, msg: FromHost): void {
    if (host !== this.host) return;
    switch (msg.type) {
      case 'playing':
        this.log.info('pipeline playing', { pid: host.pid });
        break;
      case 'fanout':
        this.log.info('serving the stream to the destinations', { port: msg.port });
        this.fanoutPort = msg.port;
        for (const relay of this.relays) relay.start(msg.port);
        break;
      case 'stats': {
        const sample = { at: msg.at, stats: msg.stats };
        this.state = applyCoreStats(this.state, this.lastSample, sample);
        this.lastSample = sample;
        this.emit();
        break;
      }
      case 'segment-opened':
        this.state = { ...this.state, recording: { ...this.state.recording, currentSegment: msg.location } };
        this.log.info('recording segment opened', { location: msg.location });
        this.checkLive();
        void this.checkDisk();
        break;
      case 'audio-level': {
        const before = this.state.audio;
        const audio = applyAudioLevel(before, msg, this.now());
        this.state = { ...this.state, audio };
        if (audio.silent !== before.silent) this.log[audio.silent ? 'warn' : 'info'](audio.silent ? 'audio silent' : 'audio back', { since: before.quietSince, source: audio.source });
        if (audio.clipping && !before.clipping) this.log.warn('audio clipping', { peakDb: audio.peakDb });
        this.emit();
        break;
      }
      case 'source':
        // The picture changes (slate on or off): the next still shows it.
        if (msg.feed === 'video') this.liveStills.forget();
        this.onSource(msg.feed, msg.ok, msg.reason);
        break;
      case 'segment-closed':
        this.state = { ...this.state, recording: { ...this.state.recording, segmentsClosed: this.state.recording.segmentsClosed + 1 } };
        this.log.info('recording segment closed', { location: msg.location });
        break;
      case 'warning':
        this.log.warn('pipeline warning', { element: msg.element, message: msg.message });
        break;
      case 'error':
        this.log.error('pipeline error', { element: msg.element, message: msg.message });
        this.setPhase('error', `${msg.element}: ${msg.message}`);
        break;
      case 'snapshot':
        this.snapshots.answer(msg);
        break;
      case 'stopped':
        this.log.info('pipeline stopped', { flushed: msg.flushed });
        break;
    }
  }

  /** A camera lost shows the slate; a microphone lost sends silence. Neither stops the stream. */
  private onSource(feed: SourceFeed, ok: boolean, reason: string | null): void {
    if (feed === 'video') {
      const before = this.state.video;
      const video = applyVideoSource(before, ok, reason, this.now());
      this.state = { ...this.state, video };
      if (video.slate && !before.slate) this.log.warn('camera lost: slate on', { reason });
      if (!video.slate && before.slate) this.log.info('camera back: slate off', { after: before.slateSince });
    } else {
      const before = this.state.audio;
      if (ok === !before.failed) return;
      this.state = { ...this.state, audio: { ...before, failed: !ok, failReason: ok ? null : reason } };
      if (ok) this.log.info('microphone back');
      else this.log.warn('microphone lost: sending silence', { reason });
    }
    this.emit();
  }

  private onHostExit(host: HostProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (host !== this.host) return;
    this.host = null;
    this.fanoutPort = null;
    if (!this.wantLive) return;
    const reason = this.state.phase === 'error' && this.state.reason ? this.state.reason : `pipeline exited (code ${code}, signal ${signal})`;
    this.setPhase('error', reason);
    this.scheduleRetry(reason);
  }

  /**
   * Keeps ROOMCAST_RECORD_MIN_FREE free by deleting the oldest segments. When
   * that cannot keep up, recording stops and the core restarts without its
   * recorder; the relays rejoin it within about a second and streaming goes on.
   */
  private async checkDisk(): Promise<void> {
    if (!this.janitor || this.diskCheckRunning || this.recordingDisabled || !this.wantLive) return;
    this.diskCheckRunning = true;
    try {
      const check = await this.janitor.check(this.state.recording.currentSegment);
      const r = this.state.recording;
      this.state = { ...this.state, recording: { ...r, freeBytes: check.freeBytes, segmentsRemoved: r.segmentsRemoved + check.removed.length } };
      if (check.short && this.wantLive) {
        const reason = `the disk under ${this.config.recordDir ?? ''} has ${Math.round(check.freeBytes / 1024 ** 2)} MiB free, less than the ${Math.round(check.minFreeBytes / 1024 ** 2)} MiB to keep, even after deleting old recordings`;
        this.log.error('recording stopped: disk full', { reason });
        this.recordingDisabled = true;
        this.state = { ...this.state, recording: { ...this.state.recording, stopped: reason, currentSegment: null } };
        await this.restartCore();
      }
      this.emit();
    } catch (err) {
      this.log.warn('disk check failed', { error: err instanceof Error ? err.message : String(err) });
    } finally {
      this.diskCheckRunning = false;
    }
  }

  /**
   * Replaces the running core with a newly planned one, at once (the relays
   * rejoin it). `redetect`: with the hardware as it is now (an operator's
   * restart picks up a camera plugged in while live).
   */
  async restartCore(options: { redetect?: boolean } = {}): Promise<void> {
    if (options.redetect) await this.takeHardwareNow();
    this.clearRetry();
    const old = this.host;
    this.host = null;
    this.fanoutPort = null;
    if (old) await old.stop(STOP_DEADLINE_MS);
    if (this.wantLive) await this.launch();
  }

  /**
   * The hardware as it is now, for a stream that is live: taken unless it has
   * lost the session's camera or microphone (unplugged now: the slate or
   * silence goes on, and the source comes back by itself when it is plugged
   * in again), so a restart never swaps a lost camera for the test pattern.
   */
  private async takeHardwareNow(): Promise<void> {
    const next = await this.hardware.fresh();
    const session = this.sessionHardware;
    const lost = session ? lostSources(session, next) : [];
    if (lost.length > 0) this.log.warn('restart: keeping the hardware the stream went live with', { lost });
    else this.sessionHardware = next;
  }

  /** Starting becomes live once media reaches a destination or the recorder. */
  private checkLive(): void {
    if (this.state.phase === 'starting' && this.host && mediaFlowing(this.state)) {
      this.failuresInARow = 0;
      this.setPhase('live', null);
    } else {
      this.emit();
    }
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  /** The core died while it should be live: retry with capped, jittered backoff. */
  private scheduleRetry(reason: string): void {
    this.failuresInARow += 1;
    const delay = backoffDelay(this.failuresInARow);
    this.state = { ...this.state, restarts: this.state.restarts + 1 };
    this.log.warn('restarting pipeline', { inMs: delay, attempt: this.failuresInARow, reason });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.wantLive) void this.launch();
    }, delay);
  }

  /** Stop streaming: the recorder finalises its segment and each RTMP session is closed. */
  async stopStream(): Promise<void> {
    const stopping = this.stopNow();
    this.stopping = stopping;
    try {
      await stopping;
    } finally {
      if (this.stopping === stopping) this.stopping = null;
    }
  }

  private async stopNow(): Promise<void> {
    this.stops += 1;
    this.wantLive = false;
    this.sessionHardware = null;
    void this.liveStills.cancel('the stream stopped');
    if (this.diskTimer) clearInterval(this.diskTimer);
    this.diskTimer = null;
    this.clearRetry();
    const host = this.host;
    if (host) this.setPhase('stopping', null);
    // In parallel: each relay ends its RTMP session, the core finalises the recording.
    await Promise.all([...this.relays.map((r) => r.stop(STOP_DEADLINE_MS)), host?.stop(STOP_DEADLINE_MS)]);
    if (this.host === host) {
      this.host = null;
      this.fanoutPort = null;
    }
    this.setPhase('idle', null);
  }

  async stop(): Promise<void> {
    if (this.stateLogTimer) clearInterval(this.stateLogTimer);
    this.stateLogTimer = null;
    await this.stopStream();
    await this.ipfs?.close();
    this.ipfs = null;
    drainHostPool();
  }

  private setPhase(phase: StreamState['phase'], reason: string | null): void {
    const before = this.state.phase;
    this.state = withPhase(this.state, phase, reason, this.now());
    if (before !== phase) this.log.info(`phase ${phase}`, { state: this.state });
    this.emit();
  }

  private emit(): void {
    this.deps.onState?.(this.state);
  }
}

/** 2026-11-22T14:15:03Z -> 20261122-141503 */
export function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/** Session stamps that never repeat: a second run within the same second gets -r1, -r2, ... */
export function sessionStamper(now: () => Date): () => string {
  let lastBase = '';
  let runs = 0;
  return () => {
    const base = stamp(now());
    runs = base === lastBase ? runs + 1 : 0;
    lastBase = base;
    return runs === 0 ? base : `${base}-r${runs}`;
  };
}
