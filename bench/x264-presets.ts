/**
 * Benchmark: what each x264 preset the planner may choose costs, against
 * `veryfast`, at 720p30 and 1080p30 (device/pipeline/x264-budget.ts uses the
 * ratios). Each run encodes the same moving test pattern with the box's x264
 * settings; the source alone is run too and subtracted.
 *
 *   node dist/bench/x264-presets.js [--seconds 10] [--runs 3]
 *
 * CPU is user+system seconds of gst-launch-1.0, from bash's `times`; the
 * median of the runs. No network.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { arg, runBench } from './common.js';

const run = promisify(execFile);
const PRESETS = ['veryfast', 'superfast', 'ultrafast'] as const;
const SIZES = [
  { width: 1280, height: 720, kbps: 2500 },
  { width: 1920, height: 1080, kbps: 4500 },
];

/** CPU seconds (user+system) of one gst-launch-1.0 run. */
async function cpuOf(pipeline: string[]): Promise<number> {
  const script = 'gst-launch-1.0 -q "$@" >/dev/null && times';
  const { stdout } = await run('bash', ['-c', script, 'bash', ...pipeline]);
  const [user, sys] = (stdout.trim().split('\n').at(-1) ?? '').split(/\s+/).map((t) => {
    const m = /^(\d+)m([\d.]+)s$/.exec(t);
    return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
  });
  return (user ?? NaN) + (sys ?? NaN);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const seconds = arg('seconds', 10);
  const runs = arg('runs', 3);
  process.stdout.write(`x264 presets: ${seconds} s of moving 30 fps bars per run, median of ${runs}; encode CPU = run - source alone\n\n`);
  process.stdout.write('| Size | Preset | Encode CPU, s per s of video | Against veryfast |\n| --- | --- | --- | --- |\n');
  for (const { width, height, kbps } of SIZES) {
    const source = ['videotestsrc', `num-buffers=${seconds * 30}`, 'pattern=smpte', 'horizontal-speed=4', '!', `video/x-raw,format=I420,width=${width},height=${height},framerate=30/1`];
    const measure = async (tail: string[]): Promise<number> => {
      const xs: number[] = [];
      for (let i = 0; i < runs; i++) xs.push(await cpuOf([...source, '!', ...tail]));
      return median(xs);
    };
    const alone = await measure(['fakesink']);
    const cost: Record<string, number> = {};
    for (const preset of PRESETS) {
      const x264 = ['x264enc', `bitrate=${kbps}`, 'pass=cbr', `speed-preset=${preset}`, 'tune=zerolatency', 'key-int-max=60', 'option-string=scenecut=0:nal-hrd=cbr:filler=1'];
      cost[preset] = ((await measure([...x264, '!', 'fakesink'])) - alone) / seconds;
    }
    for (const preset of PRESETS) {
      const c = cost[preset] ?? NaN;
      process.stdout.write(`| ${width}x${height} | ${preset} | ${c.toFixed(3)} | ${(c / (cost['veryfast'] ?? NaN)).toFixed(2)} |\n`);
    }
  }
}

runBench(main);
