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
import { unackedBytes } from './socket-queue.js';
import type { FromHost, HostStats, ToHost } from './host-messages.js';
import type { RenderedPipeline } from './render.js';

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


async function collectStats(): Promise<HostStats> {
  const p = pipeline;
  const r = rendered;
  if (!p || !r) return { video: null, bytesSent: null, unackedBytes: null };
  let video: HostStats['video'] = null;
  if (r.names.videorate) {
    const vr = p.findChild(r.names.videorate);
    if (vr) video = { in: readNumber(vr['in']), out: readNumber(vr['out']), dropped: readNumber(vr['drop']), duplicated: readNumber(vr['duplicate']) };
  }
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
        send({ type: 'playing' });
        const fanout = rendered?.names.fanout ? pipeline.findChild(rendered.names.fanout) : undefined;
        if (fanout) send({ type: 'fanout', port: readNumber(fanout['current-port']) });
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
      if (msg.name === 'splitmuxsink-fragment-opened') send({ type: 'segment-opened', location });
      if (msg.name === 'splitmuxsink-fragment-closed') send({ type: 'segment-closed', location });
      break;
    }
    default:
      break;
  }
}

function start(p: RenderedPipeline, statsIntervalMs: number, port: number): void {
  rendered = p;
  fanoutPort = port;
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
  statsTimer = setInterval(() => {
    collectStats().then(
      (stats) => send({ type: 'stats', at: Date.now(), stats }),
      () => undefined,
    );
  }, statsIntervalMs);
}

/** EOS through the whole pipeline so the recorder closes its segment and rtmp2sink ends its session. */
function stop(deadlineMs: number): void {
  if (stopping) return;
  stopping = true;
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

function shutdown(code: number): void {
  if (statsTimer) clearInterval(statsTimer);
  // Setting NULL also ends the bus poll: it holds a libuv worker in a blocking
  // pop, and a process exiting with the pipeline still PLAYING hangs on it.
  pipeline?.stop();
  // Exit explicitly once the IPC channel has delivered what was sent.
  setImmediate(() => process.exit(code));
}

process.on('message', (msg: ToHost) => {
  switch (msg.type) {
    case 'start':
      start(msg.pipeline, msg.statsIntervalMs, msg.fanoutPort ?? 0);
      break;
    case 'stop':
      stop(msg.deadlineMs);
      break;
  }
});
// The agent went away (crash, SIGKILL): finish cleanly rather than stream on unsupervised.
process.on('disconnect', () => stop(3000));
process.on('SIGTERM', () => stop(3000));
process.on('SIGINT', () => stop(3000));
