import { boolean } from './boolean.js';
import { assignIds, parseDestination, type Destination } from '../destination.js';

/**
 * The one config schema of a box (STYLE.md #4): each field's environment
 * variable, default, documentation, parser, and what a change of it restarts.
 * README.md's variable table is generated from this file (`roomcast config-docs`)
 * and a unit test keeps the two equal.
 */

/** What has to restart when a field changes (used when reloading by diff). */
/** 'slate': only the still shown while the camera is lost; it is redrawn in place, live. */
export type RestartScope = 'pipeline' | 'slate' | 'destinations' | 'recorder' | 'agent';

/** One variable: what both the box's schema and the fleet service's are made of. */
export interface VariableSpec<T> {
  env: string;
  /** The default as the user would write it; undefined means "unset". */
  default: string | undefined;
  doc: string;
  /** Throws a plain Error whose message says what is wrong (never echoing a secret). */
  parse(raw: string): T;
  /** For the README table: the accepted values. */
  values: string;
}

export interface FieldSpec<T> extends VariableSpec<T> {
  restarts: RestartScope;
}

function field<T>(spec: FieldSpec<T>): FieldSpec<T> {
  return spec;
}

export function integer(min: number, max: number) {
  return (raw: string): number => {
    if (!/^-?\d+$/.test(raw.trim())) throw new Error(`"${raw}" is not a whole number`);
    const n = Number(raw.trim());
    if (n < min || n > max) throw new Error(`${n} is outside ${min}..${max}`);
    return n;
  };
}

export { boolean };

export type VideoSourceChoice =
  | { kind: 'auto' }
  | { kind: 'test' }
  | { kind: 'picam' }
  | { kind: 'usb' }
  | { kind: 'device'; path: string };

export type AudioSourceChoice = { kind: 'auto' } | { kind: 'test' } | { kind: 'none' } | { kind: 'alsa'; device: string };

/** ROOMCAST_RECORD_MIN_FREE: free space to keep under the recording folder. */
export type MinFree = { kind: 'auto' } | { kind: 'bytes'; bytes: number } | { kind: 'percent'; percent: number };

export type EncoderChoice = 'auto' | 'hardware' | 'x264' | 'passthrough';

export interface VideoSize {
  width: number;
  height: number;
}

function videoSource(raw: string): VideoSourceChoice {
  const v = raw.trim();
  if (v === 'auto' || v === 'test' || v === 'picam' || v === 'usb') return { kind: v };
  if (/^\/dev\/[A-Za-z0-9_./-]+$/.test(v)) return { kind: 'device', path: v };
  throw new Error(`"${raw}" is not auto, test, picam, usb or a V4L2 device path like /dev/video0`);
}

function audioSource(raw: string): AudioSourceChoice {
  const v = raw.trim();
  if (v === 'auto' || v === 'test' || v === 'none') return { kind: v };
  // ALSA names: hw:1,0  hw:CARD=Device,DEV=0  plughw:...  default  sysdefault:CARD=x
  if (/^[A-Za-z][A-Za-z0-9_]*(:[A-Za-z0-9_=,.-]+)?$/.test(v)) return { kind: 'alsa', device: v };
  throw new Error(`"${raw}" is not auto, test, none or an ALSA device like hw:CARD=Device,DEV=0`);
}

function videoSize(raw: string): VideoSize {
  const m = /^(\d{2,4})x(\d{2,4})$/.exec(raw.trim());
  if (!m) throw new Error(`"${raw}" is not WIDTHxHEIGHT, e.g. 1280x720`);
  const width = Number(m[1]);
  const height = Number(m[2]);
  if (width % 2 !== 0 || height % 2 !== 0) throw new Error(`${width}x${height}: H.264 needs even width and height`);
  if (width < 160 || height < 120 || width > 3840 || height > 2160) throw new Error(`${width}x${height} is outside 160x120..3840x2160`);
  return { width, height };
}

function encoder(raw: string): EncoderChoice {
  const v = raw.trim();
  if (v === 'auto' || v === 'hardware' || v === 'x264' || v === 'passthrough') return v;
  throw new Error(`"${raw}" is not auto, hardware, x264 or passthrough`);
}

function destinations(raw: string): Destination[] {
  const words = raw.split(/\s+/).filter((w) => w.length > 0);
  const errors: string[] = [];
  const parsed = [];
  for (const [i, word] of words.entries()) {
    const d = parseDestination(word);
    if ('error' in d) errors.push(`#${i + 1}: ${d.error}`);
    else parsed.push(d);
  }
  if (parsed.filter((d) => d.platform === 'ipfs').length > 1) errors.push('ipfs is given more than once');
  if (errors.length > 0) throw new Error(errors.join('; '));
  return assignIds(parsed);
}

export function directory(raw: string): string {
  const v = raw.trim();
  if (!v.startsWith('/')) throw new Error(`"${raw}" is not an absolute path`);
  return v;
}

function minFree(raw: string): MinFree {
  const v = raw.trim();
  if (v === 'auto') return { kind: 'auto' };
  const pct = /^(\d{1,2})%$/.exec(v);
  if (pct) return { kind: 'percent', percent: Number(pct[1]) };
  if (/^\d+\s*(MiB|GiB)$/.test(v)) return { kind: 'bytes', bytes: size(v) };
  throw new Error(`"${raw}" is not auto, a size like 2GiB or 500MiB, or a share like 10%`);
}

export function optionalDirectory(raw: string): string | null {
  return raw.trim() === '' ? null : directory(raw);
}

function optionalFile(raw: string): string | null {
  const v = raw.trim();
  if (v === '') return null;
  if (!v.startsWith('/')) throw new Error(`"${raw}" is not an absolute path`);
  if (!/\.(png|jpe?g)$/i.test(v)) throw new Error(`"${raw}" is not a PNG or JPEG file`);
  return v;
}

/** Text drawn on the slate: printable, one or two short lines. */
function slateText(max: number) {
  return (raw: string): string => {
    const v = raw.trim();
    if (v.length > max) throw new Error(`is ${v.length} characters long, more than ${max}`);
    if ([...v].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) throw new Error('holds a control character');
    return v;
  };
}

/** A URL of one of these schemes, or null when empty. Errors never echo the value: it may hold a password. */
export function optionalUrl(raw: string, protocols: readonly string[], example: string): URL | null {
  const v = raw.trim();
  if (v === '') return null;
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new Error(`is not a URL like ${example}`);
  }
  if (!protocols.includes(url.protocol)) throw new Error(`must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  return url;
}

function optionalBaseUrl(raw: string): string | null {
  const url = optionalUrl(raw, ['http:', 'https:'], 'https://fleet.example.org');
  if (url === null) return null;
  if (url.username !== '' || url.password !== '') throw new Error('must not hold a user name or password');
  return url.origin + url.pathname.replace(/\/+$/, '');
}

/** An optional whole number in a range: empty means unset. */
export function optionalInteger(min: number, max: number) {
  const parse = integer(min, max);
  return (raw: string): number | null => (raw === '' ? null : parse(raw));
}

export function optionalSecret(raw: string): string | null {
  const v = raw.trim();
  if (v === '') return null;
  if (!/^[A-Za-z0-9_\-.~+/=]{16,256}$/.test(v)) throw new Error('is not a token (16 to 256 letters, digits or -._~+/=)');
  return v;
}

/** A libp2p TCP multiaddr: /ip4/<address>/tcp/<port> or /ip6/<address>/tcp/<port>. */
export function tcpMultiaddr(raw: string): string {
  const v = raw.trim();
  if (!/^\/(ip4\/[0-9.]{7,15}|ip6\/[0-9a-fA-F:]{2,39})\/tcp\/\d{1,5}$/.test(v) || Number(v.split('/').pop()) > 65535) {
    throw new Error(`"${raw}" is not a TCP multiaddr like /ip4/0.0.0.0/tcp/4001`);
  }
  return v;
}

/** A TCP multiaddr to dial: an address as for tcpMultiaddr, or a DNS name (/dns4/fleet.example.org/tcp/4001). */
function dialMultiaddr(raw: string): string {
  const v = raw.trim();
  if (/^\/(dns4|dns6|dns)\/[A-Za-z0-9.-]{1,253}\/tcp\/\d{1,5}$/.test(v) && Number(v.split('/').pop()) <= 65535) return v;
  try {
    return tcpMultiaddr(v);
  } catch {
    throw new Error(`"${raw}" is not a TCP multiaddr like /ip4/192.0.2.7/tcp/4001 or /dns4/fleet.example.org/tcp/4001`);
  }
}

/** Addresses others dial, separated by spaces. */
export function multiaddrList(raw: string): string[] {
  return raw.split(/\s+/).filter((w) => w.length > 0).map(dialMultiaddr);
}

/** A size like 500MiB or 2GiB, in bytes. */
function size(raw: string): number {
  const m = /^(\d+)\s*(MiB|GiB)$/.exec(raw.trim());
  if (!m) throw new Error(`"${raw}" is not a size like 500MiB or 2GiB`);
  return Number(m[1]) * (m[2] === 'GiB' ? 1024 ** 3 : 1024 ** 2);
}

function optionalKuboApi(raw: string): string | null {
  const url = optionalUrl(raw, ['http:', 'https:'], 'http://127.0.0.1:5001');
  return url === null ? null : url.origin;
}

export type TestPattern = 'bars' | 'avsync' | 'flash';

function testPattern(raw: string): TestPattern {
  const v = raw.trim();
  if (v === 'bars' || v === 'avsync' || v === 'flash') return v;
  throw new Error(`"${raw}" is not bars, avsync or flash`);
}

export const SCHEMA = {
  videoSource: field({
    env: 'ROOMCAST_VIDEO_SOURCE',
    default: 'auto',
    values: 'auto, test, picam, usb, /dev/videoN',
    doc: 'Camera. auto picks a PiCam, else the first USB (UVC) camera, else the test pattern, and logs the choice.',
    restarts: 'pipeline',
    parse: videoSource,
  }),
  audioSource: field({
    env: 'ROOMCAST_AUDIO_SOURCE',
    default: 'auto',
    values: 'auto, test, none, an ALSA device',
    doc: "Microphone. auto picks the first USB audio capture card that is not a webcam's own microphone (a USB audio interface), else a webcam's microphone (and says to plug an interface), else none. An ALSA device given here is used as it is. none still sends a silent AAC track (platforms want audio). Example: hw:CARD=Device,DEV=0.",
    restarts: 'pipeline',
    parse: audioSource,
  }),
  videoSize: field({
    env: 'ROOMCAST_VIDEO_SIZE',
    default: '1280x720',
    values: 'WIDTHxHEIGHT',
    doc: 'Size of the encoded video.',
    restarts: 'pipeline',
    parse: videoSize,
  }),
  framerate: field({
    env: 'ROOMCAST_FRAMERATE',
    default: '30',
    values: '1..60',
    doc: 'Frames per second of the encoded video.',
    restarts: 'pipeline',
    parse: integer(1, 60),
  }),
  videoBitrateKbps: field({
    env: 'ROOMCAST_VIDEO_BITRATE',
    default: '2500',
    values: '200..20000 (kbit/s)',
    doc: 'Constant video bitrate. Twitch accepts up to 6000; YouTube wants 3000-8000 for 720p30/1080p30.',
    restarts: 'pipeline',
    parse: integer(200, 20000),
  }),
  audioBitrateKbps: field({
    env: 'ROOMCAST_AUDIO_BITRATE',
    default: '128',
    values: '32..320 (kbit/s)',
    doc: 'AAC-LC audio bitrate (stereo, 48 kHz).',
    restarts: 'pipeline',
    parse: integer(32, 320),
  }),
  keyframeSeconds: field({
    env: 'ROOMCAST_KEYFRAME_SECONDS',
    default: '2',
    values: '1..4',
    doc: 'A keyframe exactly every this many seconds. Twitch and YouTube want 2.',
    restarts: 'pipeline',
    parse: integer(1, 4),
  }),
  encoder: field({
    env: 'ROOMCAST_ENCODER',
    default: 'auto',
    values: 'auto, hardware, x264, passthrough',
    doc: 'H.264 encoder. auto: the Pi hardware encoder (v4l2h264enc) where the board has one (Pi 3/4/Zero 2 W), else x264 (Pi 5, PCs). On a Pi, x264 gets one core: the fastest preset that fits is chosen, and a size and frame rate that none fits are refused (Pi 5: up to 1080p60). passthrough sends the camera\'s own H.264 (no slate, no keyframe or bitrate control); auto never picks it while an encoder exists.',
    restarts: 'pipeline',
    parse: encoder,
  }),
  destinations: field({
    env: 'ROOMCAST_DESTINATIONS',
    default: '',
    values: 'rtmp://..., rtmps://..., youtube:KEY, twitch:KEY, facebook:KEY',
    doc: 'Where to stream, separated by spaces. Presets expand to the platforms\' ingest URLs (facebook uses RTMPS). Stream keys are shown only by their last 4 characters.',
    restarts: 'destinations',
    parse: destinations,
  }),
  recordDir: field({
    env: 'ROOMCAST_RECORD_DIR',
    default: undefined,
    values: 'absolute path',
    doc: 'When set, every stream is also recorded here as MPEG-TS segments, each playable as soon as it is closed.',
    restarts: 'recorder',
    parse: optionalDirectory,
  }),
  recordSegmentSeconds: field({
    env: 'ROOMCAST_RECORD_SEGMENT_SECONDS',
    default: '60',
    values: '2..3600',
    doc: 'Length of each recording segment (cut on a keyframe).',
    restarts: 'recorder',
    parse: integer(2, 3600),
  }),
  recordMinFree: field({
    env: 'ROOMCAST_RECORD_MIN_FREE',
    default: 'auto',
    values: 'auto, 500MiB, 2GiB, 10%',
    doc: 'Free space to keep under the recording folder: the oldest segments are deleted to keep it. auto is 1 GiB, or 10% of the disk where that is less. If deleting cannot keep up, recording stops and is flagged while streaming goes on.',
    restarts: 'agent',
    parse: minFree,
  }),
  autostart: field({
    env: 'ROOMCAST_AUTOSTART',
    default: 'false',
    values: 'true, false',
    doc: 'Go live as soon as the agent starts.',
    restarts: 'agent',
    parse: boolean,
  }),
  dataDir: field({
    env: 'ROOMCAST_DATA_DIR',
    default: '/data',
    values: 'absolute path',
    doc: 'Persistent state of the box (the balena volume).',
    restarts: 'agent',
    parse: directory,
  }),
  audioDelayMs: field({
    env: 'ROOMCAST_AUDIO_DELAY_MS',
    default: '0',
    values: '0..2000 (ms)',
    doc: 'A/V offset correction: delays the audio by this much. Cameras (USB ones and HDMI dongles especially) deliver video later than a USB microphone delivers sound, so audio is the side to delay.',
    restarts: 'pipeline',
    parse: integer(0, 2000),
  }),
  roomName: field({
    env: 'ROOMCAST_ROOM_NAME',
    default: '',
    values: 'up to 60 characters',
    doc: 'The room this box films, e.g. "Main hall". Shown on the slate.',
    restarts: 'slate',
    parse: slateText(60),
  }),
  slateMessage: field({
    env: 'ROOMCAST_SLATE_MESSAGE',
    default: "We'll be right back",
    values: 'up to 80 characters',
    doc: 'The line under the room name on the slate, the picture sent while the camera is lost.',
    restarts: 'slate',
    parse: slateText(80),
  }),
  slateImage: field({
    env: 'ROOMCAST_SLATE_IMAGE',
    default: undefined,
    values: 'absolute path of a PNG or JPEG',
    doc: 'A picture to use as the slate (scaled to fit, with the room name and message on it). Unset: a plain dark background.',
    restarts: 'slate',
    parse: optionalFile,
  }),
  testPattern: field({
    env: 'ROOMCAST_TEST_PATTERN',
    default: 'bars',
    values: 'bars, avsync, flash',
    doc: 'What the test sources send. bars: colour bars with a clock and a 440 Hz tone. avsync: a white flash and a beep together once a second, for measuring A/V sync at the far end. flash: black, turned white by a benchmark\'s test control, for timing capture to playback.',
    restarts: 'pipeline',
    parse: testPattern,
  }),
  fleetUrl: field({
    env: 'ROOMCAST_FLEET_URL',
    default: undefined,
    values: 'http(s)://host[:port]',
    doc: 'The fleet service this box enrols with and is managed by (over MQTT, with the address and credentials enrolment gives it). Unset: the box runs on its own.',
    restarts: 'agent',
    parse: optionalBaseUrl,
  }),
  enrollToken: field({
    env: 'ROOMCAST_ENROLL_TOKEN',
    default: undefined,
    values: 'the fleet\'s enrolment token',
    doc: 'Lets a new box enrol with the fleet service (set it once as a balena fleet variable). Only needed until the box has its credentials.',
    restarts: 'agent',
    parse: optionalSecret,
  }),
  ipfsListen: field({
    env: 'ROOMCAST_IPFS_LISTEN',
    default: '/ip4/0.0.0.0/tcp/4001',
    values: 'TCP multiaddr, or none',
    doc: 'With the ipfs destination: where the box\'s embedded IPFS node (Helia) listens for the fleet\'s node, e.g. /ip4/0.0.0.0/tcp/4001. No discovery, DHT, relay or bootstrap: it is dialled only by those it tells its address. none: it does not listen, and the fleet gets segments only over the connection the box opens to the fleet\'s node (ROOMCAST_FLEET_IPFS_LISTEN on the fleet).',
    restarts: 'destinations',
    parse: (raw: string): string | null => (raw.trim() === 'none' ? null : tcpMultiaddr(raw)),
  }),
  ipfsAnnounce: field({
    env: 'ROOMCAST_IPFS_ANNOUNCE',
    default: '',
    values: 'TCP multiaddrs (or /dns4/name/tcp/port), separated by spaces',
    doc: 'The addresses the box gives the fleet to fetch its segments from (e.g. behind NAT, a forwarded port). Unset: the addresses it listens on. Not needed when the fleet\'s node listens: the box dials it.',
    restarts: 'destinations',
    parse: multiaddrList,
  }),
  ipfsKeep: field({
    env: 'ROOMCAST_IPFS_KEEP',
    default: '1GiB',
    values: '500MiB, 2GiB, ...',
    doc: 'The most the box\'s IPFS store keeps pinned: past it, the oldest finished talks are unpinned first, then the oldest segments of the talk going on, and their blocks are garbage-collected. The fleet keeps its own copy.',
    restarts: 'destinations',
    parse: size,
  }),
  ipfsKuboApi: field({
    env: 'ROOMCAST_IPFS_KUBO_API',
    default: undefined,
    values: 'http://host:port',
    doc: 'An external Kubo node\'s RPC API to add segments to, instead of the embedded Helia node (documented, not tested here). Unset: embedded Helia, its blocks under ROOMCAST_DATA_DIR/ipfs.',
    restarts: 'destinations',
    parse: optionalKuboApi,
  }),
  gpioButton: field({
    env: 'ROOMCAST_GPIO_BUTTON',
    default: '',
    values: '0..27 (BCM number)',
    doc: 'The header pin of the go-live button (wired to ground; set its pull-up with the balena config variable BALENA_HOST_CONFIG_gpio, e.g. 17=ip,pu). A press starts or stops the stream; holding it 2 s makes the box identify itself. Unset: no button.',
    restarts: 'agent',
    parse: optionalInteger(0, 27),
  }),
  gpioLed: field({
    env: 'ROOMCAST_GPIO_LED',
    default: '',
    values: '0..27 (BCM number)',
    doc: 'The header pin of the tally light: off idle, steady live, slow blink connecting or retrying, fast blink on an error, three quick flashes while identifying. Unset: no light.',
    restarts: 'agent',
    parse: optionalInteger(0, 27),
  }),
  healthSeconds: field({
    env: 'ROOMCAST_HEALTH_SECONDS',
    default: '10',
    values: '2..3600 (s)',
    doc: 'How often the box sends a health sample (CPU, temperature, memory, disk, network, Pi throttling) to the fleet.',
    restarts: 'agent',
    parse: integer(2, 3600),
  }),
  updateLockPath: field({
    env: 'ROOMCAST_UPDATE_LOCK_PATH',
    default: '/tmp/balena/updates.lock',
    values: 'absolute path',
    doc: 'The balena update lock: held while the box is live, so an update waits for the talk to end (docs/updates.md). If its folder does not exist (not on balena), there is no lock.',
    restarts: 'agent',
    parse: directory,
  }),
  updateCheckSeconds: field({
    env: 'ROOMCAST_UPDATE_CHECK_SECONDS',
    default: '30',
    values: '1..3600 (s)',
    doc: 'How often the box asks the balena supervisor whether an update is waiting (with BALENA_SUPERVISOR_ADDRESS and BALENA_SUPERVISOR_API_KEY, which balena sets), to tell the fleet.',
    restarts: 'agent',
    parse: integer(1, 3600),
  }),
} as const;

export type ConfigKey = keyof typeof SCHEMA;

export type DeviceConfig = { [K in ConfigKey]: ReturnType<(typeof SCHEMA)[K]['parse']> };
