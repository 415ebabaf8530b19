/**
 * Benchmark: capture-to-ingest latency at 720p30.
 *
 *   node dist/bench/latency.js [--flashes 30]
 *
 * Method. The box streams its test pattern to a real nginx-rtmp on loopback,
 * which records the session as FLV. The benchmark flips the test pattern
 * from black to white (a test control over the agent's IPC channel, which
 * sets the videotestsrc pattern) and times it two ways:
 *
 * - At the ingest: the recording is followed as nginx writes it (polled
 *   every 1 ms, new bytes only), stamping each video tag with the moment it
 *   was whole in the file. nginx-rtmp writes each message to the record file
 *   as it receives it, with plain unbuffered writes. After the run the
 *   recording is decoded offline and each picture's brightness is matched to
 *   its tag by presentation time; the latency of a flip is the arrival of
 *   the first white picture's tag minus the flip. No player is in the path.
 * - Through a player, an upper bound: a reader (ffmpeg, no input buffering,
 *   one decoding thread) plays the stream back from the ingest and reports
 *   each decoded frame's brightness the moment it has it, so its own receive
 *   and decode are in the figure too.
 *
 * Both include the capture wait for the next frame (0 to 1 frame, 0-33 ms).
 *
 * Baseline, side by side and timed the same ways: the same test source,
 * encoder settings and ingest in one plain GStreamer pipeline
 * (videotestsrc ! x264enc ! flvmux ! rtmp2sink) run in this process, without
 * the box's inter channels, fan-out and relay. The difference is what the
 * box adds. Goal: p95 <= 200 ms.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pipeline } from 'gstreamer-superficial';
import { FLASH_COLOURS } from '../device/pipeline/render.js';
import { frameBrightness } from '../testbed/ffprobe.js';
import { FlvFollower, type ArrivedTag } from '../testbed/flv.js';
import { NginxRtmp } from '../testbed/nginx-rtmp.js';
import { Managed } from '../testbed/process.js';
import { arg, benchBoxEnv, CLI, percentile, runBench, sleep } from './common.js';

const gst = createRequire(import.meta.url)('gstreamer-superficial') as typeof import('gstreamer-superficial').default;


/** Plays an RTMP stream back with ffmpeg and keeps the mean brightness of the latest frame. */
class Reader {
  private proc: Managed;
  private pending = Buffer.alloc(0);
  latest = { y: -1, at: 0 };

  constructor(url: string) {
    const child = spawn('ffmpeg', ['-nostdin', '-v', 'error', '-fflags', 'nobuffer', '-flags', 'low_delay', '-probesize', '32768', '-analyzeduration', '0', '-threads', '1', '-i', url, '-an', '-fps_mode', 'passthrough', '-vf', 'scale=8:8,format=gray', '-f', 'rawvideo', '-flush_packets', '1', 'pipe:1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc = new Managed(child);
    child.stdout.on('data', (b: Buffer) => {
      this.pending = Buffer.concat([this.pending, b]);
      while (this.pending.length >= 64) {
        const frame = this.pending.subarray(0, 64);
        this.pending = this.pending.subarray(64);
        this.latest = { y: frame.reduce((a, v) => a + v, 0) / 64, at: performance.now() };
      }
    });
  }

  async until(bright: boolean, timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if (this.latest.y >= 0 && this.latest.y > 128 === bright) return this.latest.at;
      await sleep(1);
    }
    throw new Error(`the reader never saw a ${bright ? 'white' : 'black'} frame:\n${this.proc.log.slice(-1000)}`);
  }

  stop(): Promise<unknown> {
    return this.proc.stop();
  }
}

/** One side's flips: when each was made, what the player saw, and the recording's tags as they arrived. */
interface Flips {
  at: number[];
  player: number[];
  file: string;
  tags: ArrivedTag[];
}

/** Flip-to-arrival (ms) per side and method, and how the recording's pictures arrived. */
interface Latencies {
  ingest: number[];
  player: number[];
  /** Pictures recorded from the first flip on. */
  pictures: number;
  /** Of those, the ones first seen in the same poll as the one before: what nginx holding writes back would show. */
  sameRead: number;
}

/** The one FLV nginx is recording for `stream`: a second session would mean the stream was republished. */
async function sessionFile(ingest: NginxRtmp, stream: string): Promise<string> {
  const files = await ingest.sessionsOf(stream);
  if (files.length !== 1 || !files[0]) throw new Error(`expected one recorded session of ${stream}, found ${files.length}`);
  return files[0];
}

/** Flips the picture `flashes` times while a player reads the stream and the recording is followed. */
async function measure(ingest: NginxRtmp, stream: string, flash: (on: boolean) => void, flashes: number): Promise<Flips> {
  const reader = new Reader(ingest.url('live', stream));
  let follower: FlvFollower | undefined;
  try {
    flash(false);
    await reader.until(false, 20_000);
    const file = await sessionFile(ingest, stream);
    follower = new FlvFollower(file, 1);
    await follower.start();
    await sleep(1000);
    const flips: Flips = { at: [], player: [], file, tags: follower.tags };
    for (let i = 0; i < flashes; i++) {
      const t0 = performance.now();
      flash(true);
      flips.at.push(t0);
      flips.player.push((await reader.until(true, 5000)) - t0);
      flash(false);
      await reader.until(false, 5000);
      await sleep(300 + ((i * 137) % 400));
    }
    return flips;
  } finally {
    await follower?.stop();
    await reader.stop();
  }
}

/**
 * Each flip's time until the first white picture's tag was whole in the
 * recording. Every decoded picture up to the last followed tag must have a
 * tag of its pts. The white pictures of an earlier flash all arrived before
 * the player saw black again, so before the next flip.
 */
async function atIngest(flips: Flips): Promise<number[]> {
  const arrival = new Map(flips.tags.filter((t) => t.picture).map((t) => [t.pts, t.at]));
  // The publisher went on a little after the follower stopped.
  const followed = Math.max(...arrival.keys());
  const frames = (await frameBrightness(flips.file)).filter((f) => f.pts <= followed);
  const unmatched = frames.filter((f) => !arrival.has(f.pts));
  if (frames.length === 0 || unmatched.length > 0) throw new Error(`${unmatched.length} of ${frames.length} decoded pictures have no video tag of their pts`);
  const white = frames.filter((f) => f.y > 128).map((f) => arrival.get(f.pts) ?? NaN);
  return flips.at.map((t0) => {
    const first = Math.min(...white.filter((at) => at > t0));
    if (!Number.isFinite(first)) throw new Error('a flip has no white picture at the ingest after it');
    return first - t0;
  });
}

async function agentSide(ingest: NginxRtmp, dir: string, flashes: number): Promise<Flips> {
  const stream = 'latency-agent';
  const child = spawn(process.execPath, [CLI, 'device'], { env: benchBoxEnv(join(dir, 'agent'), ingest.url('live', stream), { ROOMCAST_TEST_PATTERN: 'flash' }), stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const agent = new Managed(child);
  try {
    // Live once the relay publishes; the reader then waits for the stream itself.
    await sleep(3000);
    return await measure(ingest, stream, (on) => child.send({ type: 'test-flash', on }), flashes);
  } finally {
    await agent.stop(10_000);
  }
}

async function baselineSide(ingest: NginxRtmp, flashes: number): Promise<Flips> {
  const stream = 'latency-baseline';
  const p: Pipeline = new gst.Pipeline(
    `videotestsrc name=vtest is-live=true pattern=solid-color foreground-color=${FLASH_COLOURS.off} ! video/x-raw,width=1280,height=720,framerate=30/1 ! videoconvert ! ` +
      'x264enc bitrate=2500 pass=cbr vbv-buf-capacity=1000 speed-preset=veryfast tune=zerolatency key-int-max=60 option-string=scenecut=0:nal-hrd=cbr:filler=1:vbv-init=0.5 ! ' +
      `video/x-h264,profile=main ! h264parse ! flvmux name=mux streamable=true ! rtmp2sink location=${ingest.url('live', stream)}  ` +
      'audiotestsrc is-live=true wave=sine volume=0.05 ! audioconvert ! audio/x-raw,rate=48000,channels=2 ! voaacenc bitrate=128000 ! aacparse ! mux.',
  );
  p.play();
  try {
    await sleep(3000);
    return await measure(ingest, stream, (on) => {
      const src = p.findChild('vtest');
      if (src) src['foreground-color'] = on ? FLASH_COLOURS.on : FLASH_COLOURS.off;
    }, flashes);
  } finally {
    p.stop();
  }
}

/** Called once the side's publisher has stopped, so its recording is whole when decoded. */
async function latencies(flips: Flips): Promise<Latencies> {
  // The first reads catch up with what was recorded before the follower started.
  const pictures = flips.tags.filter((t) => t.picture && t.at > (flips.at[0] ?? Infinity));
  const sameRead = pictures.filter((t, i) => t.at === pictures[i - 1]?.at).length;
  return { ingest: await atIngest(flips), player: flips.player, pictures: pictures.length, sameRead };
}

const PERCENTILES = [50, 95, 100] as const;
const cells = (values: number[]): string => PERCENTILES.map((p) => percentile(values, p).toFixed(0).padStart(6)).join('');
const ratios = (box: number[], base: number[]): string => PERCENTILES.map((p) => (percentile(box, p) / percentile(base, p)).toFixed(2).padStart(6)).join('');
const below = (l: Latencies): number => l.ingest.filter((t, i) => t < (l.player[i] ?? NaN)).length;

function report(base: Latencies, box: Latencies, flashes: number): string {
  const rows = (title: string, method: 'ingest' | 'player'): string =>
    `${title}\n` +
    `  baseline (one plain pipeline)  ${cells(base[method])}\n` +
    `  agent                          ${cells(box[method])}\n` +
    `  ratio agent/baseline           ${ratios(box[method], base[method])}\n`;
  return (
    `\ncapture-to-ingest latency, 720p30, ${flashes} flashes each, ms (goal p95 <= 200)\n` +
    `                                    p50   p95   max\n` +
    rows('at the ingest (arrival of the first white tag in the FLV nginx records)', 'ingest') +
    rows('through a player reading from the ingest (upper bound)', 'player') +
    `at-ingest below the player on ${below(base)}/${flashes} baseline flashes, ${below(box)}/${flashes} agent flashes\n` +
    `pictures from the first flip on seen in the same poll as the one before: baseline ${base.sameRead} of ${base.pictures}, agent ${box.sameRead} of ${box.pictures}\n`
  );
}

async function main(): Promise<void> {
  const flashes = arg('flashes', 30);
  const dir = await mkdtemp(join(tmpdir(), 'roomcast-bench-latency-'));
  const ingest = new NginxRtmp(join(dir, 'ingest'));
  await ingest.start();
  try {
    const base = await latencies(await baselineSide(ingest, flashes));
    const box = await latencies(await agentSide(ingest, dir, flashes));
    process.stdout.write(report(base, box, flashes));
  } finally {
    await ingest.stop();
    await rm(dir, { recursive: true, force: true });
  }
  // The baseline's bus is never polled, but its pipeline threads would keep the process alive.
  process.exit(0);
}

runBench(main);
