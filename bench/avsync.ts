/**
 * Benchmark: A/V sync over a long stream.
 *
 *   node dist/bench/avsync.js [--minutes 10]
 *
 * A box sends the flash-and-beep test pattern (ROOMCAST_TEST_PATTERN=avsync:
 * the picture turns black or white on every whole second and a beep starts
 * on the same second, from one pipeline clock) at 720p30 to a real
 * nginx-rtmp on loopback. The FLV the ingest recorded is decoded with
 * ffmpeg; each flash is paired with the nearest beep. Prints the offset
 * (beep minus flash: positive means the sound is late) per minute, overall,
 * and its drift as a least-squares slope. Goal: within one frame (33 ms).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NginxRtmp } from '../testbed/nginx-rtmp.js';
import { avOffsets, beeps, decodeSound, flips, frameLuma } from '../testbed/picture-sound.js';
import { Managed } from '../testbed/process.js';
import { arg, benchBoxEnv, CLI, runBench, sleep } from './common.js';

const ms = (s: number): string => (s * 1000).toFixed(1);

async function main(): Promise<void> {
  const minutes = arg('minutes', 10);
  const dir = await mkdtemp(join(tmpdir(), 'roomcast-bench-avsync-'));
  const ingest = new NginxRtmp(join(dir, 'ingest'));
  await ingest.start();
  const agent = Managed.spawn(process.execPath, [CLI, 'device'], { env: benchBoxEnv(dir, ingest.url('live', 'bench-avsync'), { ROOMCAST_TEST_PATTERN: 'avsync' }) });
  try {
    process.stdout.write(`streaming the A/V sync pattern at 720p30 for ${minutes} min...\n`);
    await sleep(minutes * 60_000 + 3000);
    await agent.stop(10_000);
    const [file] = await ingest.received();
    if (!file) throw new Error(`nothing received:\n${agent.log.slice(-2000)}`);
    const flashes = flips(await frameLuma(file));
    const found = avOffsets(flashes, beeps(await decodeSound(file)));
    if (found.length < 10) throw new Error(`only ${found.length} flash/beep pairs`);
    const t0 = found[0]?.at ?? 0;
    for (let m = 0; m < minutes; m++) {
      const inMinute = found.filter((o) => o.at - t0 >= m * 60 && o.at - t0 < (m + 1) * 60).map((o) => o.offset);
      if (inMinute.length === 0) continue;
      const mean = inMinute.reduce((a, b) => a + b, 0) / inMinute.length;
      process.stdout.write(`  minute ${m + 1}: ${inMinute.length} flashes, offset mean ${ms(mean)} ms, min ${ms(Math.min(...inMinute))}, max ${ms(Math.max(...inMinute))}\n`);
    }
    const xs = found.map((o) => o.at - t0);
    const ys = found.map((o) => o.offset);
    const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
    const my = ys.reduce((a, b) => a + b, 0) / ys.length;
    const slope = xs.reduce((a, x, i) => a + (x - mx) * ((ys[i] ?? 0) - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
    const worst = Math.max(...ys.map(Math.abs));
    process.stdout.write(
      `\nA/V offset over ${minutes} min (${found.length} of ${flashes.length} flashes paired): mean ${ms(my)} ms, min ${ms(Math.min(...ys))}, max ${ms(Math.max(...ys))}, worst |offset| ${ms(worst)} ms (goal <= 33.3); drift ${ms(slope * 600)} ms per 10 min\n`,
    );
  } finally {
    await agent.stop(10_000);
    await ingest.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

runBench(main);
