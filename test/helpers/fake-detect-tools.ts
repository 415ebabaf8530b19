import { writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PLUGIN_FILE, type DetectTools } from '../../device/hardware/detect.js';
import type { CameraFormat, LibcameraAfProperty } from '../../device/hardware/types.js';
import { writeScript } from './file-tree.js';

/** A hand-written stand-in for v4l2-ctl and gst-inspect-1.0 that records what it was asked. */
export class FakeDetectTools implements DetectTools {
  readonly formatQueries: string[] = [];
  readonly elementQueries: string[][] = [];
  afQueries = 0;
  private readonly installed: Set<string>;

  constructor(
    private readonly formats: Readonly<Record<string, CameraFormat[]>>,
    installed: Iterable<string>,
    private readonly af: LibcameraAfProperty | null = null,
  ) {
    this.installed = new Set(installed);
  }

  libcameraAfProperty(): Promise<LibcameraAfProperty | null> {
    this.afQueries += 1;
    return Promise.resolve(this.af);
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
 * answering --list-formats for each device, a gst-inspect-1.0 answering for
 * libcamerasrc (with `libcameraAf` as its autofocus property, or missing), and a GStreamer plugin folder
 * holding the files of the installed elements. Returns the environment that
 * puts them in place of this machine's (PATH first, GST_PLUGIN_SYSTEM_PATH_1_0
 * replacing the system plugin folders).
 */
export async function writeFakeDetectCommands(dir: string, formats: Readonly<Record<string, CameraFormat[]>>, installed: Iterable<string>, libcameraAf: LibcameraAfProperty | null = null): Promise<Record<string, string>> {
  const bin = join(dir, 'bin');
  // gst-inspect-1.0 libcamerasrc, as libcamera's element lists its properties ("  name  : blurb").
  const inspect = libcameraAf ? `  echo 'Element Properties:'; echo '  ${libcameraAf}             : autofocus mode'; exit 0` : `  echo "No such element or plugin 'libcamerasrc'"; exit 1`;
  await writeScript(join(bin, 'gst-inspect-1.0'), ['if [ "$1" = libcamerasrc ]; then', inspect, 'fi', 'exec /usr/bin/gst-inspect-1.0 "$@"'].join('\n'));
  const answers = Object.entries(formats).map(([device, fs]) => `  '${device}') ${fs.map((f, i) => `echo "[${i}]: '${FOURCC[f]}' (fake)"`).join('; ')} ;;`);
  await writeScript(join(bin, 'v4l2-ctl'), ['case "$2" in', ...answers, '  *) echo "Cannot open device $2" >&2; exit 1 ;;', 'esac'].join('\n'));
  const plugins = join(dir, 'gst-plugins');
  await mkdir(plugins, { recursive: true });
  const files = new Set(['libgstcoreelements.so', ...[...installed].map((e) => PLUGIN_FILE[e as keyof typeof PLUGIN_FILE])]);
  for (const f of files) await writeFile(join(plugins, f), '');
  return { PATH: `${bin}:${process.env['PATH'] ?? ''}`, GST_PLUGIN_SYSTEM_PATH_1_0: plugins };
}
