/**
 * Benchmark: how soon does a box rejoin an ingest that comes back?
 *
 *   node dist/bench/reconnect.js [--restarts 10]
 *
 * A box streams (640x360 test pattern) to a real nginx-rtmp on loopback. The
 * ingest is stopped for 2 to 11 s (varied, so retries meet it at every point
 * of their backoff), then started again on the same port; the time from its
 * listening again to the first video tag of the new session in what it
 * records is the reconnect time. Prints every restart, p50 and p95.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasVideoTag } from '../testbed/flv.js';
import { NginxRtmp } from '../testbed/nginx-rtmp.js';
import { arg, benchBoxEnv, CLI, runBench, sleep } from './common.js';
import { Managed } from '../testbed/process.js';



function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
}

async function firstVideoAfter(ingest: NginxRtmp, known: Set<string>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const f of await ingest.received()) if (!known.has(f) && (await hasVideoTag(f))) return true;
    await sleep(5);
  }
  return false;
}

async function main(): Promise<void> {
  const restarts = arg('restarts', 10);
  const dir = await mkdtemp(join(tmpdir(), 'roomcast-bench-reconnect-'));
  let ingest = new NginxRtmp(join(dir, 'ingest'));
  await ingest.start();
  const agent = Managed.spawn(process.execPath, [CLI, 'device'], {
    env: benchBoxEnv(dir, ingest.url('live', 'bench-reconnect'), { ROOMCAST_VIDEO_SIZE: '640x360', ROOMCAST_VIDEO_BITRATE: '800' }),
  });
  const times: number[] = [];
  try {
    if (!(await firstVideoAfter(ingest, new Set(), 20_000))) throw new Error(`never live:\n${agent.log.slice(-2000)}`);
    for (let i = 0; i < restarts; i++) {
      await sleep(2000);
      const known = new Set(await ingest.received());
      await ingest.stop();
      const downMs = 2000 + ((i * 1000) % 10_000);
      await sleep(downMs);
      ingest = new NginxRtmp(ingest.dir, ingest.rtmpPort);
      await ingest.start();
      const t0 = performance.now();
      if (!(await firstVideoAfter(ingest, known, 60_000))) throw new Error(`no reconnect after restart ${i + 1}`);
      const ms = performance.now() - t0;
      times.push(ms);
      process.stdout.write(`  restart ${i + 1}: down ${downMs / 1000} s, first frame ${ms.toFixed(0)} ms after the ingest listened again\n`);
    }
    process.stdout.write(`\nreconnect after the ingest returns, ${restarts} restarts: p50 ${percentile(times, 50).toFixed(0)} ms, p95 ${percentile(times, 95).toFixed(0)} ms, max ${Math.max(...times).toFixed(0)} ms (goal p95 <= 3000)\n`);
  } finally {
    await agent.stop(10_000);
    await ingest.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

runBench(main);
