import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the benchmarks share: the CLI they run, their flags, a box's environment, their exit. */
export const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `--name N` from the command line. */
export function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** A virtual box (test pattern and tone) going live at once to `destination`, with its state in `dir`. */
export function benchBoxEnv(dir: string, destination: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '',
    ROOMCAST_VIDEO_SOURCE: 'test',
    ROOMCAST_AUDIO_SOURCE: 'test',
    ROOMCAST_DESTINATIONS: destination,
    ROOMCAST_AUTOSTART: 'true',
    ROOMCAST_DATA_DIR: dir,
    ROOMCAST_HOST_SYS: join(dir, 'none'),
    ROOMCAST_HOST_PROC: join(dir, 'none'),
    ROOMCAST_HOST_DEV: join(dir, 'none'),
    ...extra,
  };
}

export function runBench(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}

/** gst-launch-1.0 takes a description as separate words; the renderer quotes values with spaces. */
export function words(launch: string): string[] {
  const out: string[] = [];
  for (const m of launch.matchAll(/(?:[^\s"]+|"(?:[^"\\]|\\.)*")+/g)) {
    out.push(m[0].replace(/"((?:[^"\\]|\\.)*)"/g, (_all: string, inner: string) => inner.replace(/\\(.)/g, '$1')));
  }
  return out;
}

/** The p-th percentile (nearest rank) of unsorted values; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.max(0, Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
}
