import { execFile } from 'node:child_process';
import { access, readdir, readFile, readlink, realpath } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { HostPaths } from './paths.js';
import type { Board, Camera, CameraFormat, Hardware, LibcameraAfProperty, Microphone, PiModel } from './types.js';

const run = promisify(execFile);

/** The elements the planner knows how to use; only these are looked up. */
export const KNOWN_ELEMENTS = [
  'x264enc', 'v4l2h264enc', 'libcamerasrc', 'v4l2src', 'alsasrc', 'jpegdec', 'voaacenc', 'audiomixer', 'level',
  'h264parse', 'aacparse', 'flvmux', 'flvdemux', 'tcpserversink', 'tcpclientsrc', 'rtmp2sink', 'splitmuxsink', 'mpegtsmux',
  'intervideosrc', 'intervideosink', 'interaudiosrc', 'interaudiosink', 'textoverlay', 'jpegenc', 'appsink',
] as const;

/**
 * The plugin file that provides each element (GStreamer 1.22, Debian).
 * v4l2h264enc is special: the video4linux2 plugin registers it only when a
 * V4L2 encoder device exists, so the planner also requires that device.
 */
export const PLUGIN_FILE: Record<(typeof KNOWN_ELEMENTS)[number], string> = {
  x264enc: 'libgstx264.so',
  v4l2h264enc: 'libgstvideo4linux2.so',
  v4l2src: 'libgstvideo4linux2.so',
  libcamerasrc: 'libgstlibcamera.so',
  alsasrc: 'libgstalsa.so',
  jpegdec: 'libgstjpeg.so',
  voaacenc: 'libgstvoaacenc.so',
  audiomixer: 'libgstaudiomixer.so',
  level: 'libgstlevel.so',
  h264parse: 'libgstvideoparsersbad.so',
  aacparse: 'libgstaudioparsers.so',
  flvmux: 'libgstflv.so',
  flvdemux: 'libgstflv.so',
  tcpserversink: 'libgsttcp.so',
  tcpclientsrc: 'libgsttcp.so',
  rtmp2sink: 'libgstrtmp2.so',
  splitmuxsink: 'libgstmultifile.so',
  mpegtsmux: 'libgstmpegtsmux.so',
  intervideosrc: 'libgstinter.so',
  intervideosink: 'libgstinter.so',
  interaudiosrc: 'libgstinter.so',
  interaudiosink: 'libgstinter.so',
  textoverlay: 'libgstpango.so',
  jpegenc: 'libgstjpeg.so',
  appsink: 'libgstapp.so',
};

/**
 * Where GStreamer looks for plugins: GST_PLUGIN_PATH first, then the system
 * path. As in GStreamer itself, GST_PLUGIN_SYSTEM_PATH (when set) replaces the
 * distribution's folders rather than adding to them.
 */
export function pluginDirs(env: Readonly<Record<string, string | undefined>>): string[] {
  const split = (k: string): string[] => (env[k] ?? '').split(':').filter((d) => d.length > 0);
  const extra = [...split('GST_PLUGIN_PATH_1_0'), ...split('GST_PLUGIN_PATH')];
  const systemVar = ['GST_PLUGIN_SYSTEM_PATH_1_0', 'GST_PLUGIN_SYSTEM_PATH'].find((k) => env[k] !== undefined);
  if (systemVar !== undefined) return [...extra, ...split(systemVar)];
  const triplets = ['x86_64-linux-gnu', 'aarch64-linux-gnu', 'arm-linux-gnueabihf'];
  return [...extra, ...triplets.map((t) => `/usr/lib/${t}/gstreamer-1.0`), '/usr/lib/gstreamer-1.0', '/usr/local/lib/gstreamer-1.0'];
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** The system's side of detection, so tests can replace the two commands it runs. */
export interface DetectTools {
  /** The pixel formats a V4L2 capture node offers (empty when unknown). */
  cameraFormats(device: string): Promise<CameraFormat[]>;
  /** Which of the named GStreamer elements are installed. */
  installedElements(names: readonly string[]): Promise<Set<string>>;
  /** libcamerasrc's autofocus property (null: none); asked only when an autofocus camera is found. */
  libcameraAfProperty?(): Promise<LibcameraAfProperty | null>;
}

async function readText(path: string): Promise<string | null> {
  try {
    return (await readFile(path, 'utf8')).replace(/\0/g, '').trim();
  } catch {
    return null;
  }
}

async function list(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

export function piModelOf(model: string | null): PiModel | null {
  if (!model || !model.startsWith('Raspberry Pi')) return null;
  if (/Zero 2/.test(model)) return 'zero2w';
  if (/Raspberry Pi (5|Compute Module 5|500)/.test(model)) return 'pi5';
  if (/Raspberry Pi (4|400|Compute Module 4)/.test(model)) return 'pi4';
  if (/Raspberry Pi (3|Compute Module 3)/.test(model)) return 'pi3';
  return 'pi-other';
}

export async function detectBoard(paths: HostPaths): Promise<Board> {
  const model = (await readText(join(paths.proc, 'device-tree/model'))) ?? (await readText(join(paths.sys, 'firmware/devicetree/base/model')));
  return { model, pi: piModelOf(model) };
}

/** Drivers of the Pi camera receivers, which libcamera drives. */
const LIBCAMERA_DRIVERS = new Set(['unicam', 'rp1-cfe']);
/** Nodes that are codecs or ISPs, not cameras. */
const NOT_CAMERAS = /^(bcm2835-codec|bcm2835-isp|pispbe|rpi-hevc|rpivid)/;

/*
 * The legacy camera stack (start_x=1): the bcm2835-v4l2 module
 * (drivers/staging/vc04_services/bcm2835-camera, built as bcm2835-v4l2.o, so
 * /sys/module/bcm2835_v4l2) registers its v4l2_device with no parent device,
 * on every kernel from its module_init days to the bcm2835-camera platform
 * driver (4.19+) and the vchiq bus (6.8+). Its node is therefore a virtual
 * device: /sys/class/video4linux/videoN has no device/driver link to follow,
 * and its name is the video_device template's, "camera0" ("mmal service
 * 16.1" is only VIDIOC_QUERYCAP's card name). So the node is recognised by
 * that name, no parent, and the module being present.
 */
const LEGACY_CAMERA_MODULE = 'bcm2835_v4l2';
const LEGACY_CAMERA_NODE_NAME = 'camera0';

/*
 * Sensors with a focus lens (a VCM the IPA drives): Camera Module 3 (imx708,
 * all its variants), Arducam's 16 MP (imx519) and 64 MP (arducam_64mp;
 * ov64a40 upstream). A sensor's sub-device is named by v4l2_i2c_subdev_set_name() as "<driver> <bus>-<addr>",
 * e.g. "imx708 10-001a", in /sys/class/video4linux/v4l-subdevN/name. Without
 * AfMode set, libcamera's Raspberry Pi IPA leaves the lens at the tuning
 * file's default (1 dioptre on the imx708: focused at 1 m), soft on a stage.
 */
const AUTOFOCUS_SENSORS = new Set(['imx708', 'imx519', 'arducam_64mp', 'ov64a40']);

async function autofocusSensor(paths: HostPaths): Promise<boolean> {
  const cls = join(paths.sys, 'class/video4linux');
  for (const entry of (await list(cls)).filter((e) => /^v4l-subdev\d+$/.test(e))) {
    const driver = ((await readText(join(cls, entry, 'name'))) ?? '').split(' ')[0] ?? '';
    if (AUTOFOCUS_SENSORS.has(driver)) return true;
  }
  return false;
}

interface VideoNode {
  node: string;
  name: string;
  /** The bound driver of the node's parent device; null when the node has no parent (a virtual device). */
  driver: string | null;
  index: number;
}

async function parentDriver(nodeDir: string): Promise<string | null> {
  try {
    await access(join(nodeDir, 'device'));
  } catch {
    return null;
  }
  try {
    return basename(await readlink(join(nodeDir, 'device/driver')));
  } catch {
    return '';
  }
}

async function videoNodes(paths: HostPaths): Promise<VideoNode[]> {
  const cls = join(paths.sys, 'class/video4linux');
  const nodes: VideoNode[] = [];
  for (const entry of (await list(cls)).filter((e) => /^video\d+$/.test(e))) {
    const name = (await readText(join(cls, entry, 'name'))) ?? entry;
    const index = Number((await readText(join(cls, entry, 'index'))) ?? '0');
    nodes.push({ node: entry, name, driver: await parentDriver(join(cls, entry)), index });
  }
  return nodes.sort((a, b) => Number(a.node.slice(5)) - Number(b.node.slice(5)));
}

export async function detectCameras(paths: HostPaths, tools: DetectTools): Promise<{ cameras: Camera[]; hardwareEncoder: boolean }> {
  const nodes = await videoNodes(paths);
  const legacyModule = await exists(join(paths.sys, 'module', LEGACY_CAMERA_MODULE));
  const cameras: Camera[] = [];
  const seenLibcamera = new Set<string>();
  for (const n of nodes) {
    const device = join(paths.dev, n.node);
    if (NOT_CAMERAS.test(n.name)) continue;
    if (n.driver !== null && LIBCAMERA_DRIVERS.has(n.driver)) {
      // One receiver exposes several nodes (image, embedded data, ...); list the sensor once.
      if (seenLibcamera.has(n.driver)) continue;
      seenLibcamera.add(n.driver);
      const autofocus = await autofocusSensor(paths);
      cameras.push({ kind: 'picam', device, name: n.name, driver: n.driver, formats: ['raw'], ...(autofocus ? { autofocus } : {}) });
    } else if (n.driver === null && legacyModule && n.name === LEGACY_CAMERA_NODE_NAME) {
      cameras.push({ kind: 'picam-legacy', device, name: n.name, driver: LEGACY_CAMERA_MODULE, formats: await tools.cameraFormats(device) });
    } else if (n.driver === 'uvcvideo' && n.index === 0) {
      // UVC cameras expose a capture node (index 0) and a metadata node (index 1).
      cameras.push({ kind: 'usb', device, name: n.name, driver: n.driver, formats: await tools.cameraFormats(device) });
    }
  }
  const hardwareEncoder = nodes.some((n) => n.name === 'bcm2835-codec-encode');
  return { cameras, hardwareEncoder };
}

/*
 * A webcam's microphone is a sound card on a USB device that is also a UVC
 * camera. Read from the kernel's sources and the linux-usb FAQ, not on a Pi:
 * - snd-usb-audio creates its card with snd_card_new(&intf->dev, ...)
 *   (sound/usb/card.c, snd_usb_audio_create), so /sys/class/sound/cardN/device
 *   is the USB interface it probed (.../1-1.3/1-1.3:1.2), not the device;
 * - a USB device's interfaces are its child directories, named
 *   "<device>:<config>.<interface>" (1-1.3:1.0), each bound to its own driver
 *   through a `driver` link into /sys/bus/usb/drivers/;
 * - the UVC driver registers as "uvcvideo" (drivers/media/usb/uvc/uvc_driver.c)
 *   and binds the VideoControl interface; `lsusb -t` of a C920 shows
 *   interfaces 0 and 1 on uvcvideo, 2 and 3 on snd-usb-audio.
 * On a real /sys, class/sound/cardN is itself a link into /sys/devices, so
 * the path is resolved in full rather than by one readlink.
 */
const UVC_DRIVER = 'uvcvideo';

async function isWebcamCard(paths: HostPaths, card: number): Promise<boolean> {
  let intf: string;
  try {
    intf = await realpath(join(paths.sys, `class/sound/card${card}/device`));
  } catch {
    return false; // sysfs has no such card (no /sys in reach): not known to be a webcam's
  }
  const usbDevice = dirname(intf);
  const prefix = `${basename(usbDevice)}:`;
  const isInterfaceOf = (entry: string): boolean => entry.startsWith(prefix) && /^\d+\.\d+$/.test(entry.slice(prefix.length));
  if (!isInterfaceOf(basename(intf))) return false; // not a USB interface: no camera to share a device with
  for (const entry of (await list(usbDevice)).filter(isInterfaceOf)) {
    try {
      if (basename(await readlink(join(usbDevice, entry, 'driver'))) === UVC_DRIVER) return true;
    } catch {
      // An interface no driver has bound.
    }
  }
  return false;
}

/** Capture-capable ALSA cards from /proc/asound: "cards" plus a pcmNc directory per capture device. */
export async function detectMicrophones(paths: HostPaths): Promise<Microphone[]> {
  const cards = (await readText(join(paths.proc, 'asound/cards'))) ?? '';
  const mics: Microphone[] = [];
  for (const line of cards.split('\n')) {
    const m = /^\s*(\d+)\s+\[(\S+)\s*\]:\s*(\S+)\s+-\s+(.*)$/.exec(line);
    if (!m) continue;
    const card = Number(m[1]);
    const id = m[2] ?? '';
    const captures = (await list(join(paths.proc, `asound/card${card}`)))
      .filter((e) => /^pcm\d+c$/.test(e))
      .sort((a, b) => Number(a.slice(3, -1)) - Number(b.slice(3, -1)));
    const first = captures[0];
    if (!first) continue;
    const dev = Number(first.slice(3, -1));
    const usb = m[3] === 'USB-Audio';
    mics.push({ card, id, name: (m[4] ?? '').trim(), device: `hw:CARD=${id},DEV=${dev}`, usb, webcam: usb && (await isWebcamCard(paths, card)) });
  }
  return mics;
}

export async function detectHardware(paths: HostPaths, tools: DetectTools = systemTools): Promise<Hardware> {
  const [board, cams, microphones, elements] = await Promise.all([
    detectBoard(paths),
    detectCameras(paths, tools),
    detectMicrophones(paths),
    tools.installedElements(KNOWN_ELEMENTS),
  ]);
  const hardware: Hardware = { board, cameras: cams.cameras, microphones, elements, hardwareEncoder: cams.hardwareEncoder };
  if (cams.cameras.some((c) => c.kind === 'picam' && c.autofocus) && tools.libcameraAfProperty) hardware.libcameraAf = await tools.libcameraAfProperty();
  return hardware;
}

/** Which autofocus property `gst-inspect-1.0 libcamerasrc` lists (its property lines are "  name   : blurb"). */
export function parseLibcameraAfProperty(inspect: string): LibcameraAfProperty | null {
  if (/^\s+af-mode\s+:/m.test(inspect)) return 'af-mode';
  if (/^\s+auto-focus-mode\s+:/m.test(inspect)) return 'auto-focus-mode';
  return null;
}


/**
 * Which autofocus property the plugin's binary names: a property's name is a
 * NUL-terminated string literal in it, so this is a read of the file (a few
 * ms) rather than gst-inspect-1.0 loading the registry on the way to the
 * first frame. Undefined when the file holds neither name (then ask
 * gst-inspect-1.0).
 */
export function afPropertyInBinary(binary: Buffer): LibcameraAfProperty | undefined {
  for (const name of ['af-mode', 'auto-focus-mode'] as const) if (binary.includes(`\0${name}\0`)) return name;
  return undefined;
}

/** Found once it is found: an installed element's properties do not change while the agent runs (a failure is asked again). */
let libcameraAf: LibcameraAfProperty | null | undefined;

async function findLibcameraAf(): Promise<LibcameraAfProperty | null> {
  const file = await pluginFile(PLUGIN_FILE.libcamerasrc, pluginDirs(process.env));
  if (file === null) return null;
  const fromBinary = afPropertyInBinary(await readFile(file).catch(() => Buffer.alloc(0)));
  if (fromBinary !== undefined) return (libcameraAf = fromBinary);
  try {
    const { stdout } = await run('gst-inspect-1.0', ['libcamerasrc'], { timeout: 10_000, killSignal: 'SIGKILL', maxBuffer: 1024 * 1024 });
    return (libcameraAf = parseLibcameraAfProperty(stdout));
  } catch {
    return null;
  }
}

/** The element names in `gst-inspect-1.0`'s listing: lines like "x264:  x264enc: x264 H.264 Encoder". */
export function parseElementList(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/^[\w-]+:\s+([\w-]+):\s/gm)) if (m[1]) out.add(m[1]);
  return out;
}

const FOURCC: Record<string, CameraFormat> = { H264: 'h264', MJPG: 'mjpeg', JPEG: 'mjpeg', YUYV: 'raw', UYVY: 'raw', NV12: 'raw', YU12: 'raw', RGB3: 'raw' };

/** Parses the fourcc column of `v4l2-ctl --list-formats`: lines like "[0]: 'YUYV' (YUYV 4:2:2)". */
export function parseV4l2Formats(text: string): CameraFormat[] {
  const out = new Set<CameraFormat>();
  for (const m of text.matchAll(/\[\d+\]: '(\w{3,4})'/g)) {
    const f = FOURCC[m[1] ?? ''];
    if (f) out.add(f);
  }
  return [...out];
}

/** Where a plugin file is, in the first of `dirs` that holds it. */
async function pluginFile(file: string, dirs: readonly string[]): Promise<string | null> {
  for (const d of dirs) if (await exists(join(d, file))) return join(d, file);
  return null;
}

/** The named elements whose plugin file is installed; null when no plugin directory is found. */
export async function elementsFromPluginFiles(names: readonly string[], env: Readonly<Record<string, string | undefined>>): Promise<Set<string> | null> {
  const dirs = (await Promise.all(pluginDirs(env).map(async (d) => ((await exists(join(d, 'libgstcoreelements.so'))) ? d : null)))).filter((d): d is string => d !== null);
  if (dirs.length === 0) return null;
  const found = await Promise.all(
    names.map(async (n) => {
      const file = PLUGIN_FILE[n as keyof typeof PLUGIN_FILE] as string | undefined;
      return file && (await pluginFile(file, dirs)) ? n : null;
    }),
  );
  return new Set(found.filter((n): n is string => n !== null));
}

/** The named elements in GStreamer's registry, from one `gst-inspect-1.0` listing. */
export async function elementsFromRegistry(names: readonly string[]): Promise<Set<string>> {
  try {
    const { stdout } = await run('gst-inspect-1.0', [], { timeout: 10_000, maxBuffer: 16 * 1024 * 1024 });
    const installed = parseElementList(stdout);
    return new Set(names.filter((n) => installed.has(n)));
  } catch {
    return new Set();
  }
}

export const systemTools: DetectTools = {
  async cameraFormats(device) {
    try {
      // SIGKILL: a camera wedged in its driver must not keep a detection waiting on a polite SIGTERM.
      const { stdout } = await run('v4l2-ctl', ['--device', device, '--list-formats'], { timeout: 3000, killSignal: 'SIGKILL' });
      return parseV4l2Formats(stdout);
    } catch {
      return [];
    }
  },
  libcameraAfProperty() {
    return libcameraAf !== undefined ? Promise.resolve(libcameraAf) : findLibcameraAf();
  },
  async installedElements(names) {
    // Plugin files first: microseconds, where a registry listing costs ~60 ms of
    // the time to go live. The listing remains for systems with plugins elsewhere.
    return (await elementsFromPluginFiles(names, process.env)) ?? elementsFromRegistry(names);
  },
};
