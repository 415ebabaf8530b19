/**
 * Benchmark: live HLS over IPFS, box to viewer, on loopback.
 *
 *   node dist/bench/ipfs.js [--seconds 90] [--flashes 10] [--box-dials]
 *
 * --box-dials: the fleet's node listens and the box's does not
 * (ROOMCAST_IPFS_LISTEN=none), so segments travel over the connection the
 * box opened, as with a box behind NAT. Default: the fleet dials the box.
 *
 * A real `roomcast fleet` (its own Helia node) and a real `roomcast device`
 * (720p30, 2500 kbit/s, 2 s keyframes, flash test pattern) with the ipfs
 * destination, enrolled with the fleet.
 *
 * 1. Segment closed -> listed in the live playlist: for each segment, the
 *    fleet logs when it lists it (after fetching the whole segment from the
 *    box over libp2p) against the time the box closed it (`at` in the
 *    announcement; same machine, same clock). Goal: p95 <= 1 s.
 * 2. Viewer delay: headless Chromium plays /watch/<id> as a viewer would. The
 *    benchmark turns the box's test pattern white (a test control over the
 *    agent's IPC channel) and the page notes, on each decoded video frame
 *    (requestVideoFrameCallback), when the picture turns white; the delay is
 *    the wall-clock time between the two. It covers everything: capture,
 *    encode, the fanout, the segment filling up (2 s), adding, announcing,
 *    fetching, the playlist reload, hls.js's buffering and decode. Goal <= 8 s.
 * 3. Memory: the agent's RSS before and after its IPFS node started, and after
 *    the run (/proc/<pid>/status).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withChromium } from '../test/helpers/chromium.js';
import { ENROLL_TOKEN, FleetProcess } from '../test/helpers/fleet-process.js';
import { Managed } from '../testbed/process.js';
import { arg, benchBoxEnv, CLI, runBench, sleep } from './common.js';

const BOX = 'bench-ipfs-box';

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round(Number(m?.[1] ?? 0) / 1024);
}

function jsonLines(log: string): Record<string, unknown>[] {
  return log.split('\n').filter((l) => l.startsWith('{')).flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

/** In the page: the time of each change between a dark and a white picture, per decoded frame. */
const DETECTOR = `(() => {
  const video = document.getElementById('video');
  const canvas = document.createElement('canvas');
  canvas.width = 8; canvas.height = 8;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  window.__changes = [];
  let bright = null;
  const onFrame = () => {
    ctx.drawImage(video, 0, 0, 8, 8);
    const d = ctx.getImageData(0, 0, 8, 8).data;
    let y = 0;
    for (let i = 0; i < d.length; i += 4) y += (d[i] + d[i + 1] + d[i + 2]) / 3;
    const now = y / 64 > 128;
    if (now !== bright) { bright = now; window.__changes.push({ bright: now, at: Date.now() }); }
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
})()`;

async function main(): Promise<void> {
  const seconds = arg('seconds', 90);
  const flashes = arg('flashes', 10);
  const boxDials = process.argv.includes('--box-dials');
  const dir = await mkdtemp(join(tmpdir(), 'roomcast-bench-ipfs-'));
  const fleet = await FleetProcess.start(join(dir, 'fleet'), { ROOMCAST_LOG_LEVEL: 'debug', ...(boxDials ? { ROOMCAST_FLEET_IPFS_LISTEN: '/ip4/127.0.0.1/tcp/0' } : {}) });
  const env = benchBoxEnv(join(dir, 'box'), 'ipfs', {
    ROOMCAST_TEST_PATTERN: 'flash',
    ROOMCAST_IPFS_LISTEN: boxDials ? 'none' : '/ip4/127.0.0.1/tcp/0',
    ROOMCAST_FLEET_URL: fleet.url,
    ROOMCAST_ENROLL_TOKEN: ENROLL_TOKEN,
    BALENA_DEVICE_UUID: BOX,
  });
  const child = spawn(process.execPath, [CLI, 'device'], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const box = new Managed(child);
  const flash = (on: boolean): void => void child.send({ type: 'test-flash', on });
  const delays: number[] = [];
  let rssAfter = 0;
  try {
    const started = Date.now();
    await withChromium(async (page) => {
      await page.goto(`${fleet.url}/watch/${BOX}`);
      await page.waitForFunction(() => (document.getElementById('video') as HTMLVideoElement).currentTime > 1, undefined, { timeout: 60_000 });
      await page.evaluate(DETECTOR);
      const changes = (): Promise<{ bright: boolean; at: number }[]> => page.evaluate(() => (window as unknown as { __changes: { bright: boolean; at: number }[] }).__changes);
      const until = async (bright: boolean, after: number): Promise<number> => {
        const deadline = Date.now() + 30_000;
        while (Date.now() < deadline) {
          const hit = (await changes()).find((c) => c.bright === bright && c.at >= after);
          if (hit) return hit.at;
          await sleep(50);
        }
        throw new Error(`the page never showed a ${bright ? 'white' : 'dark'} picture`);
      };
      flash(false);
      await sleep(6000);
      for (let i = 0; i < flashes; i++) {
        const t0 = Date.now();
        flash(true);
        delays.push((await until(true, t0)) - t0);
        // Held white over a whole segment, so that no cut can hide it.
        await sleep(2500);
        const t1 = Date.now();
        flash(false);
        await until(false, t1);
        await sleep(1000 + ((i * 617) % 2000));
      }
    });
    while (Date.now() - started < seconds * 1000) await sleep(1000);
    rssAfter = rssMiB(box.pid);
  } finally {
    await box.stop(10_000);
    await fleet.proc.stop();
  }
  const listed = jsonLines(fleet.proc.log).filter((l) => l['msg'] === 'live: segment listed').map((l) => Number(l['msSinceClosed']));
  const ready = jsonLines(box.log).find((l) => l['msg'] === 'ipfs: node ready');
  await rm(dir, { recursive: true, force: true });
  const mib = (b: unknown): number => Math.round(Number(b) / 1024 / 1024);
  const line = (t: number[]): string => `p50 ${percentile(t, 50).toFixed(0)} ms, p95 ${percentile(t, 95).toFixed(0)} ms, max ${Math.max(...t).toFixed(0)} ms (n=${t.length})`;
  process.stdout.write(
    `\nIPFS live streaming, 720p30 2500 kbit/s, 2 s segments, loopback, ${boxDials ? "the box dials the fleet's node" : 'the fleet dials the box'}\n` +
      `  segment closed -> listed in the live playlist: ${line(listed)} (goal p95 <= 1000 ms)\n` +
      `  viewer delay on /watch (flash to white frame in Chromium): ${line(delays)} (goal <= 8000 ms)\n` +
      `  box agent RSS: ${mib(ready?.['rssBeforeBytes'])} MiB before its IPFS node, ${mib(ready?.['rssBytes'])} MiB with it started, ${rssAfter} MiB after ${seconds} s live\n`,
  );
  process.exit(0);
}

runBench(main);
