/**
 * The pipeline host: a child process that runs exactly one GStreamer pipeline
 * with gstreamer-superficial and exits with it. The agent never touches
 * GStreamer itself: the binding leaks every pipeline it creates and pins a
 * libuv thread per bus poll (FIELD.md), and a crashed or hung pipeline must not
 * take the agent down. Restarting is done by starting a new host.
 */
import { createRequire } from 'node:module';
import type { BusMessage, Pipeline } from 'gstreamer-superficial';
import { parseDbList, parseGstStructure } from './gst-structure.js';
import { armKillSwitch } from './kill-switch.js';
import { unackedBytes } from './socket-queue.js';
import type { FromHost, HostStats, SnapshotOutcome, SourceFeed, ToHost } from './host-messages.js';
import type { RenderedPipeline, SourcePipeline } from './render.js';
import { SnapshotBranch } from './snapshot-branch.js';
import { fitSnapshot } from './snapshot-fit.js';
import type { SnapshotStep } from './snapshot-plan.js';
import { SourceRunner } from './source-runner.js';

// The package's entry point is the .node addon itself, which only require() loads.
const gst = createRequire(import.meta.url)('gstreamer-superficial') as typeof import('gstreamer-superficial').default;

function send(msg: FromHost): void {
  if (process.connected) process.send?.(msg);
}

function readNumber(value: unknown): number {
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : 0;
}

let pipeline: Pipeline | null = null;
let rendered: RenderedPipeline | null = null;
let statsTimer: NodeJS.Timeout | null = null;
let stopping = false;
let finish: ((flushed: boolean) => void) | null = null;

let fanoutPort = 0;
let fanoutAnnounced = false;
/** The source pipelines feeding the core, and the slate's one-frame pipeline. */
let runners: SourceRunner[] = [];
let slatePipeline: Pipeline | null = null;
let pendingSources: { sources: SourcePipeline[]; slate: string | null } | null = null;
let cameraFrames: { in: number; dropped: number } | null = null;
let playing = false;
let stills: SnapshotBranch | null = null;
/** Snapshot requests run one at a time: they share the branch. */
let snapshotQueue: Promise<void> = Promise.resolve();
/** A frame comes every 1/framerate s; this allows for a busy CPU (and a 1 fps test pattern). */
const STILL_TIMEOUT_MS = 2000;

async function collectStats(): Promise<HostStats> {
  const p = pipeline;
  const r = rendered;
  if (!p || !r) return { video: null, bytesSent: null, unackedBytes: null };
  const video = cameraFrames;
  let bytesSent: number | null = null;
  if (r.names.rtmpSink) {
    const stats = p.findChild(r.names.rtmpSink)?.['stats'];
    const parsed = typeof stats === 'string' ? parseGstStructure(stats) : null;
    const bytes = parsed?.fields['out-bytes-total'];
    bytesSent = typeof bytes === 'number' ? bytes : 0;
  }
  return { video, bytesSent, unackedBytes: r.names.rtmpSink ? await unackedBytes(fanoutPort) : null };
}

function onBus(msg: BusMessage): void {
  switch (msg.type) {
    case 'eos':
      if (stopping) {
        finish?.(true);
        return;
      }
      // Live sources never end by themselves: for a relay this is the core going away.
      send({ type: 'error', element: msg._src_element_name, message: 'the stream ended unexpectedly' });
      shutdown(1);
      break;
    case 'error':
      if (stopping) {
        // An error while draining (e.g. the server went away) still ends the stop.
        finish?.(false);
        return;
      }
      send({ type: 'error', element: msg._src_element_name, message: msg.message ?? 'unknown error' });
      shutdown(1);
      break;
    case 'warning':
      send({ type: 'warning', element: msg._src_element_name, message: typeof msg.message === 'string' ? msg.message : 'warning' });
      break;
    case 'state-changed':
      // Enums arrive as their C names.
      if (pipeline && msg._src_element_name.startsWith('pipeline') && msg['new-state'] === 'GST_STATE_PLAYING') {
        playing = true;
        send({ type: 'playing' });
        if (!fanoutAnnounced) announceFanout();
        startSources();
      }
      break;
    case 'element': {
      // Element messages carry their structure's name in `name` (the binding's flattening).
      if (msg.name === 'level') {
        send({ type: 'audio-level', at: Date.now(), peakDb: parseDbList(msg['peak']), rmsDb: parseDbList(msg['rms']) });
        break;
      }
      const location = msg['location'];
      if (typeof location !== 'string') break;
      // A guint64 arrives as its decimal text.
      const runningTimeNs = readNumber(msg['running-time']);
      if (msg.name === 'splitmuxsink-fragment-opened') send({ type: 'segment-opened', location, runningTimeNs });
      if (msg.name === 'splitmuxsink-fragment-closed') send({ type: 'segment-closed', location, runningTimeNs });
      break;
    }
    default:
      break;
  }
}

/** The camera is shown, or the slate while it is lost. */
function showCamera(on: boolean): void {
  const selector = rendered?.names.selector;
  if (pipeline && selector) pipeline.setPad(selector, 'active-pad', on ? 'sink_0' : 'sink_1');
}

/**
 * Sources start once the core plays: the core then reads the microphone
 * channel from its first sample, so the channel runs nearly empty and the
 * sound is not held back against the picture.
 */
function startSources(): void {
  const pending = pendingSources;
  pendingSources = null;
  if (!pending || stopping) return;
  drawSlate(pending.slate);
  runners = pending.sources.map(
    (spec) =>
      new SourceRunner(gst, spec, {
        onFeed: (feed: SourceFeed, ok: boolean, reason: string | null) => {
          if (feed === 'video') showCamera(ok);
          send({ type: 'source', feed, ok, reason });
        },
        onFrames: (counts) => {
          cameraFrames = counts;
        },
      }),
  );
  for (const r of runners) r.start();
}

/** Writes the slate's one frame into its channel, replacing the one before (the old pipeline stops first: stopping clears the channel). */
function drawSlate(slate: string | null): void {
  slatePipeline?.stop();
  slatePipeline = null;
  if (!slate) return;
  try {
    slatePipeline = new gst.Pipeline(slate);
    slatePipeline.play();
  } catch (err) {
    send({ type: 'warning', element: 'slate', message: `no slate: ${err instanceof Error ? err.message : String(err)}` });
  }
}

/** Tells the agent the port relays read the stream from, once it is bound. */
function announceFanout(): void {
  const fanout = pipeline && rendered?.names.fanout ? pipeline.findChild(rendered.names.fanout) : undefined;
  const port = fanout ? readNumber(fanout['current-port']) : 0;
  if (port <= 0) return;
  fanoutAnnounced = true;
  send({ type: 'fanout', port });
}

function start(p: RenderedPipeline, statsIntervalMs: number, port: number, sources: SourcePipeline[], slate: string | null): void {
  rendered = p;
  fanoutPort = port;
  pendingSources = { sources, slate };
  try {
    pipeline = new gst.Pipeline(p.launch);
    for (const [element, props] of Object.entries(p.secretProperties)) {
      const child = pipeline.findChild(element);
      if (!child) throw new Error(`no element ${element} in the pipeline`);
      Object.assign(child, props);
    }
  } catch (err) {
    send({ type: 'error', element: 'pipeline', message: err instanceof Error ? err.message : String(err) });
    shutdown(1);
    return;
  }
  pipeline.pollBus(onBus);
  pipeline.play();
  // The fanout's server socket is bound on the way to PLAYING (at READY), so
  // the relays can connect while the core is still getting there: their RTMP
  // handshakes overlap the core's start instead of following it.
  announceFanout();
  statsTimer = setInterval(() => {
    collectStats().then(
      (stats) => send({ type: 'stats', at: Date.now(), stats }),
      () => undefined,
    );
  }, statsIntervalMs);
}

async function takeSnapshot(steps: SnapshotStep[], maxBytes: number): Promise<SnapshotOutcome> {
  if (!pipeline || !rendered?.names.snapshot || !steps[0]) return { ok: false, error: 'this pipeline takes no snapshots' };
  if (!playing || stopping) return { ok: false, error: 'not live: no picture yet' };
  stills ??= new SnapshotBranch(pipeline, steps[0]);
  const branch = stills;
  try {
    const fit = await fitSnapshot(steps, maxBytes, (step) => branch.take(step, STILL_TIMEOUT_MS));
    return fit.ok ? { ok: true, jpegBase64: fit.still.jpeg.toString('base64'), width: fit.still.width, height: fit.still.height } : fit;
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Past the stop deadline, a host that has not exited is stuck: it kills itself. */
const KILL_SWITCH_GRACE_MS = 2000;

/** EOS through the whole pipeline so the recorder closes its segment and rtmp2sink ends its session. */
function stop(deadlineMs: number): void {
  if (stopping) return;
  stopping = true;
  armKillSwitch(deadlineMs + KILL_SWITCH_GRACE_MS);
  if (!pipeline) {
    send({ type: 'stopped', flushed: true });
    shutdown(0);
    return;
  }
  const timer = setTimeout(() => finish?.(false), deadlineMs);
  finish = (flushed) => {
    clearTimeout(timer);
    finish = null;
    send({ type: 'stopped', flushed });
    shutdown(0);
  };
  pipeline.sendEOS();
}

function stopSources(): void {
  for (const r of runners) r.stop();
  runners = [];
  slatePipeline?.stop();
  slatePipeline = null;
}

function shutdown(code: number): void {
  if (statsTimer) clearInterval(statsTimer);
  stopSources();
  // Setting NULL also ends the bus poll: it holds a libuv worker in a blocking
  // pop, and a process exiting with the pipeline still PLAYING hangs on it.
  pipeline?.stop();
  // Exit explicitly once the IPC channel has delivered what was sent. Without
  // an agent, end without process.exit: it joins libuv's worker threads, and
  // gstreamer-superficial can leave one blocked in a bus poll for good (a poll
  // queued as its pipeline went to NULL waits on a bus that will never post
  // again); process.exit also ends the kill switch's thread first, so such a
  // host lived on, orphaned (seen in the fleet test: SIGSTOP, then SIGKILL of
  // the agent). With an agent, the agent kills the group after its deadline.
  setImmediate(() => (process.connected ? process.exit(code) : process.kill(process.pid, 'SIGKILL')));
}

process.on('message', (msg: ToHost) => {
  switch (msg.type) {
    case 'start':
      start(msg.pipeline, msg.statsIntervalMs, msg.fanoutPort ?? 0, msg.sources ?? [], msg.slate ?? null);
      break;
    case 'slate':
      // Before the sources started, the new slate simply replaces the pending one.
      if (pendingSources) pendingSources.slate = msg.slate;
      else if (!stopping) drawSlate(msg.slate);
      break;
    case 'inject-fault':
      if (!runners.some((r) => r.injectFault(msg.feed))) send({ type: 'warning', element: 'host', message: `no running ${msg.feed} source to fail` });
      break;
    case 'test-flash':
      if (!runners.some((r) => r.setFlash(msg.on))) send({ type: 'warning', element: 'host', message: 'no test pattern to flash' });
      break;
    case 'snapshot': {
      const { id, steps, maxBytes } = msg;
      snapshotQueue = snapshotQueue.then(async () => send({ type: 'snapshot', id, ...(await takeSnapshot(steps, maxBytes)) }));
      break;
    }
    case 'stop':
      stop(msg.deadlineMs);
      break;
  }
});
// The agent went away (crash, SIGKILL): finish cleanly rather than stream on unsupervised.
process.on('disconnect', () => stop(3000));
// It may have gone while this host was still starting, before the listener above.
if (!process.connected) stop(0);
process.on('SIGTERM', () => stop(3000));
process.on('SIGINT', () => stop(3000));
