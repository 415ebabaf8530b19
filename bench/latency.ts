/**
 * Benchmark: capture-to-ingest latency at 720p30.
 *
 *   node dist/bench/latency.js [--flashes 30]
 *
 * Method. The box streams its test pattern to a real nginx-rtmp on loopback;
 * a reader (ffmpeg, no input buffering) plays the stream back from the ingest
 * and reports each decoded frame's brightness the moment it has it. The
 * benchmark flips the test pattern from black to white (a test control over
 * the agent's IPC channel, which sets the videotestsrc pattern) and times
 * how long until the reader sees a white frame. That includes the capture
 * wait for the next frame, every hop in the box, the ingest, and the reader's
 * own receive and decode (one decoding thread: frame threads would each add
 * a frame): it is an upper bound on capture-to-ingest.
 *
 * Baseline, side by side and timed the same way through the same reader: the
 * same test source, encoder settings and ingest in one plain GStreamer
 * pipeline (videotestsrc ! x264enc ! flvmux ! rtmp2sink) run in this
 * process, without the box's inter channels, fan-out and relay. The
 * difference is what the box adds. Goal: p95 <= 200 ms.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pipeline } from 'gstreamer-superficial';
import { FLASH_COLOURS } from '../device/pipeline/render.js';
import { NginxRtmp } from '../testbed/nginx-rtmp.js';
import { Managed } from '../testbed/process.js';
import { arg, benchBoxEnv, CLI, runBench, sleep } from './common.js';

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

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
}

/** Flips the picture `flashes` times; returns each flip-to-seen time in ms. */
async function measure(url: string, flash: (on: boolean) => void, flashes: number): Promise<number[]> {
  const reader = new Reader(url);
  try {
    flash(false);
    await reader.until(false, 20_000);
    await sleep(1000);
    const times: number[] = [];
    for (let i = 0; i < flashes; i++) {
      const t0 = performance.now();
      flash(true);
      times.push((await reader.until(true, 5000)) - t0);
      flash(false);
      await reader.until(false, 5000);
      await sleep(300 + ((i * 137) % 400));
    }
    return times;
  } finally {
    await reader.stop();
  }
}

async function agentSide(ingest: NginxRtmp, dir: string, flashes: number): Promise<number[]> {
  const child = spawn(process.execPath, [CLI, 'device'], { env: benchBoxEnv(join(dir, 'agent'), ingest.url('live', 'latency-agent'), { ROOMCAST_TEST_PATTERN: 'flash' }), stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const agent = new Managed(child);
  try {
    // Live once the relay publishes; the reader then waits for the stream itself.
    await sleep(3000);
    return await measure(ingest.url('live', 'latency-agent'), (on) => child.send({ type: 'test-flash', on }), flashes);
  } finally {
    await agent.stop(10_000);
  }
}

async function baselineSide(ingest: NginxRtmp, flashes: number): Promise<number[]> {
  const url = ingest.url('live', 'latency-baseline');
  const p: Pipeline = new gst.Pipeline(
    `videotestsrc name=vtest is-live=true pattern=solid-color foreground-color=${FLASH_COLOURS.off} ! video/x-raw,width=1280,height=720,framerate=30/1 ! videoconvert ! ` +
      'x264enc bitrate=2500 pass=cbr vbv-buf-capacity=1000 speed-preset=veryfast tune=zerolatency key-int-max=60 option-string=scenecut=0:nal-hrd=cbr:filler=1:vbv-init=0.5 ! ' +
      `video/x-h264,profile=main ! h264parse ! flvmux name=mux streamable=true ! rtmp2sink location=${url}  ` +
      'audiotestsrc is-live=true wave=sine volume=0.05 ! audioconvert ! audio/x-raw,rate=48000,channels=2 ! voaacenc bitrate=128000 ! aacparse ! mux.',
  );
  p.play();
  try {
    await sleep(3000);
    return await measure(url, (on) => {
      const src = p.findChild('vtest');
      if (src) src['foreground-color'] = on ? FLASH_COLOURS.on : FLASH_COLOURS.off;
    }, flashes);
  } finally {
    p.stop();
  }
}

async function main(): Promise<void> {
  const flashes = arg('flashes', 30);
  const dir = await mkdtemp(join(tmpdir(), 'roomcast-bench-latency-'));
  const ingest = new NginxRtmp(join(dir, 'ingest'), 0, false);
  await ingest.start();
  try {
    const base = await baselineSide(ingest, flashes);
    const box = await agentSide(ingest, dir, flashes);
    const line = (name: string, t: number[]): string => `${name}: p50 ${percentile(t, 50).toFixed(0)} ms, p95 ${percentile(t, 95).toFixed(0)} ms, max ${Math.max(...t).toFixed(0)} ms`;
    process.stdout.write(`\ncapture-to-playback through the ingest, 720p30, ${flashes} flashes each\n  ${line('baseline (one plain pipeline)', base)}\n  ${line('agent', box)}\n`);
    process.stdout.write(`  ratio agent/baseline: p50 ${(percentile(box, 50) / percentile(base, 50)).toFixed(2)}, p95 ${(percentile(box, 95) / percentile(base, 95)).toFixed(2)}; the box adds ${(percentile(box, 50) - percentile(base, 50)).toFixed(0)} ms at p50 (goal p95 <= 200 ms)\n`);
  } finally {
    await ingest.stop();
    await rm(dir, { recursive: true, force: true });
  }
  // The baseline's bus is never polled, but its pipeline threads would keep the process alive.
  process.exit(0);
}

runBench(main);
