import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PLUGIN_FILE, type DetectTools } from '../../device/hardware/detect.js';
import type { CameraFormat } from '../../device/hardware/types.js';
import { writeScript } from './file-tree.js';

/** A hand-written stand-in for v4l2-ctl and gst-inspect-1.0 that records what it was asked. */
export class FakeDetectTools implements DetectTools {
  readonly formatQueries: string[] = [];
  readonly elementQueries: string[][] = [];
  private readonly installed: Set<string>;

  constructor(
    private readonly formats: Readonly<Record<string, CameraFormat[]>>,
    installed: Iterable<string>,
  ) {
    this.installed = new Set(installed);
  }

  cameraFormats(device: string): Promise<CameraFormat[]> {
    this.formatQueries.push(device);
    return Promise.resolve([...(this.formats[device] ?? [])]);
  }

  installedElements(names: readonly string[]): Promise<Set<string>> {
    this.elementQueries.push([...names]);
    return Promise.resolve(new Set(names.filter((n) => this.installed.has(n))));
  }
}

const FOURCC: Record<CameraFormat, string> = { raw: 'YUYV', mjpeg: 'MJPG', h264: 'H264' };

/**
 * The same stand-ins for a real process (`roomcast probe`): a v4l2-ctl script
 * answering --list-formats for each device, and a GStreamer plugin folder
 * holding the files of the installed elements. Returns the environment that
 * puts them in place of this machine's (PATH first, GST_PLUGIN_SYSTEM_PATH_1_0
 * replacing the system plugin folders).
 */
export async function writeFakeDetectCommands(dir: string, formats: Readonly<Record<string, CameraFormat[]>>, installed: Iterable<string>): Promise<Record<string, string>> {
  const bin = join(dir, 'bin');
  const answers = Object.entries(formats).map(([device, fs]) => `  '${device}') ${fs.map((f, i) => `echo "[${i}]: '${FOURCC[f]}' (fake)"`).join('; ')} ;;`);
  await writeScript(join(bin, 'v4l2-ctl'), ['case "$2" in', ...answers, '  *) echo "Cannot open device $2" >&2; exit 1 ;;', 'esac'].join('\n'));
  const plugins = join(dir, 'gst-plugins');
  await mkdir(plugins, { recursive: true });
  const files = new Set(['libgstcoreelements.so', ...[...installed].map((e) => PLUGIN_FILE[e as keyof typeof PLUGIN_FILE])]);
  for (const f of files) await writeFile(join(plugins, f), '');
  return { PATH: `${bin}:${process.env['PATH'] ?? ''}`, GST_PLUGIN_SYSTEM_PATH_1_0: plugins };
}
