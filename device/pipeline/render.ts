import type { Destination } from '../../common/destination.js';
import type { AudioInput, PipelinePlan, VideoInput } from './plan.js';
import type { SnapshotStep } from './snapshot-plan.js';

/**
 * The only place that writes GStreamer launch syntax. A session is two kinds
 * of host process:
 *  - the core: the source pipelines (camera, microphone, slate) feeding the
 *    core pipeline through inter channels; it encodes once, records, and
 *    serves the FLV stream to the destinations on 127.0.0.1 (tcpserversink);
 *  - one relay per destination: read that stream and publish it with
 *    rtmp2sink. A destination that fails is restarted alone; the core and
 *    the recording never notice.
 * Launch descriptions hold no secret: stream URLs are returned separately as
 * properties the host sets after parsing, so descriptions can be logged and
 * shown by `roomcast probe` as they are.
 */
export interface RenderedPipeline {
  launch: string;
  /** element name -> property -> value, set by the host before PLAYING (the stream URLs). */
  secretProperties: Record<string, Record<string, string>>;
  /** Element names the host reads statistics from. */
  names: {
    /** The core's tcpserversink; the host reports the port it bound. */
    fanout: string | null;
    /** A relay's rtmp2sink. */
    rtmpSink: string | null;
    recorder: string | null;
    /** The core's input-selector between the camera (sink_0) and the slate (sink_1). */
    selector: string | null;
    /** The core's still branch, when planned: what the host opens, resizes, sets the quality of and pulls from. */
    snapshot: typeof SNAPSHOT_NAMES | null;
  };
}

type PropValue = string | number | boolean;

/** Quotes a value for gst_parse_launch when it holds anything but plain characters. */
export function quote(value: PropValue): string {
  const s = String(value);
  if (/^[A-Za-z0-9_.:/+-]+$/.test(s)) return s;
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function el(factory: string, props: Record<string, PropValue> = {}): string {
  const parts = [factory];
  for (const [k, v] of Object.entries(props)) parts.push(`${k}=${quote(v)}`);
  return parts.join(' ');
}

const chain = (parts: string[]): string => parts.join(' ! ');

function caps(media: string, fields: Record<string, string | number>): string {
  return [media, ...Object.entries(fields).map(([k, v]) => `${k}=${v}`)].join(',');
}

/** The flash pattern's colours (ARGB; exact in the float the binding passes numbers as). */
export const FLASH_COLOURS = { off: 0xff000000, on: 0xfff0f100 } as const;

/** Names the host looks up in source pipelines. */
export const SOURCE_NAMES = {
  /**
   * A capsfilter (caps ANY, so it does nothing) on each source's path. Fault
   * injection sets caps no source can produce: the source element itself then
   * fails negotiation and posts a real streaming error, as a camera does when
   * its driver gives up.
   */
  videoFault: 'vfault',
  audioFault: 'afault',
  /** Counts the camera's frames (videorate, dropping only above the frame rate), for fps and stall detection. */
  videoCounter: 'vcount',
  /** The test pattern's videotestsrc; with the flash pattern, a benchmark turns it white to time a frame to the ingest. */
  testVideo: 'vtest',
} as const;

/** The elements of the core's still branch (snapshot). */
export const SNAPSHOT_NAMES = { tee: 'rawtee', valve: 'snapvalve', size: 'snapsize', encoder: 'snapenc', sink: 'snapsink' } as const;

/** The caps the still branch scales to; the host sets them again for a smaller try. */
export function snapshotCaps(step: SnapshotStep): string {
  return caps('video/x-raw', { format: 'I420', width: step.width, height: step.height, 'pixel-aspect-ratio': '1/1' });
}

/**
 * The still branch, off the raw video the encoder gets (so the slate when it
 * shows). The valve is shut but for the frame the host asks for: while shut it
 * drops each frame in the tee's own thread, so the idle branch costs a
 * function call per frame; scaling and JPEG happen only for a still. It lets
 * the caps through (forward-sticky-events) so the branch is negotiated before
 * the first still. The queue takes the work off the encoder's thread when
 * open; the appsink neither waits for a preroll (async=false: a shut branch
 * would hold the pipeline out of PLAYING) nor keeps more than one still.
 */
function snapshotBranch(first: SnapshotStep): string {
  const n = SNAPSHOT_NAMES;
  return chain([
    `${n.tee}.`,
    el('valve', { name: n.valve, drop: true, 'drop-mode': 'forward-sticky-events' }),
    el('queue', { leaky: 'downstream', 'max-size-buffers': 1, 'max-size-bytes': 0, 'max-size-time': 0 }),
    el('videoscale'),
    el('videoconvert'),
    el('capsfilter', { name: n.size, caps: snapshotCaps(first) }),
    el('jpegenc', { name: n.encoder, quality: first.quality }),
    el('appsink', { name: n.sink, 'max-buffers': 1, drop: true, sync: false, async: false, 'enable-last-sample': false }),
  ]);
}

/**
 * The inter channels that carry raw video and audio from the source
 * pipelines to the core, inside one host process. A source that fails is
 * rebuilt without touching the encoder or the connections.
 */
export const CHANNELS = { camera: 'roomcast-camera', slate: 'roomcast-slate', mic: 'roomcast-mic' } as const;

/** The camera's raw video as the encoder takes it, exactly: the slate is made the same. */
function rawCaps(v: PipelinePlan['video'], framerate: string | null = `${v.framerate}/1`): string {
  return caps('video/x-raw', { format: v.raw.format, width: v.width, height: v.height, 'pixel-aspect-ratio': '1/1', colorimetry: v.raw.colorimetry, ...(framerate ? { framerate } : {}) });
}

function videoCapture(input: VideoInput, v: PipelinePlan['video'], pattern: PipelinePlan['testPattern']): string[] {
  const size = { width: v.width, height: v.height, framerate: `${v.framerate}/1` };
  switch (input.kind) {
    case 'test':
      // avsync: black and white by turns, changing on every whole second of the clock, as the ticks do.
      if (pattern === 'avsync') return [el('videotestsrc', { name: SOURCE_NAMES.testVideo, 'is-live': true, pattern: 'blink' }), caps('video/x-raw', { width: v.width, height: v.height, framerate: '1/1' })];
      // flash: a solid colour, black until a test control sets it white.
      if (pattern === 'flash') return [el('videotestsrc', { name: SOURCE_NAMES.testVideo, 'is-live': true, pattern: 'solid-color', 'foreground-color': FLASH_COLOURS.off }), caps('video/x-raw', size)];
      // A moving clock keeps the test picture from being a still image the encoder could starve.
      return [el('videotestsrc', { name: SOURCE_NAMES.testVideo, 'is-live': true, pattern: 'smpte' }), caps('video/x-raw', size), el('timeoverlay', { halignment: 'right', valignment: 'bottom', 'font-desc': 'Sans 24' })];
    case 'libcamera':
      // AfModeContinuous is 2 in both properties' enums (libcamera's controls::AfModeEnum).
      return [el('libcamerasrc', input.autofocus ? { [input.autofocus]: 2 } : {}), caps('video/x-raw', { ...size, format: 'NV12' })];
    case 'v4l2': {
      const src = el('v4l2src', { device: input.device, 'do-timestamp': true });
      switch (input.format) {
        case 'raw':
          return [src, caps('video/x-raw', size)];
        case 'mjpeg':
          return [src, caps('image/jpeg', size), el('jpegdec')];
        case 'h264':
          return [src, caps('video/x-h264', size), el('h264parse')];
      }
    }
  }
}

function videoEncode(v: PipelinePlan['video']): string[] {
  switch (v.encoder) {
    case 'passthrough':
      return [];
    case 'x264':
      return [
        // scenecut=0 keeps the keyframe interval fixed; nal-hrd=cbr with filler
        // holds the bitrate constant even on a still picture (platforms check);
        // vbv-init=0.5 (x264's default is 0.9) stops the first seconds
        // overshooting by ~15% while the buffer drains.
        el('x264enc', {
          name: 'venc',
          bitrate: v.bitrateKbps,
          pass: 'cbr',
          'vbv-buf-capacity': 1000,
          'speed-preset': v.x264Preset ?? 'veryfast',
          tune: 'zerolatency',
          'key-int-max': v.keyframeInterval,
          'option-string': 'scenecut=0:nal-hrd=cbr:filler=1:vbv-init=0.5',
        }),
        caps('video/x-h264', { profile: 'main' }),
      ];
    case 'v4l2h264enc':
      return [
        el('v4l2h264enc', {
          name: 'venc',
          'extra-controls': `controls,video_bitrate_mode=1,video_bitrate=${v.bitrateKbps * 1000},h264_i_frame_period=${v.keyframeInterval},repeat_sequence_header=1`,
        }),
        // level 4 lets the Pi encoder do 1080p30; profile main is what platforms expect.
        caps('video/x-h264', { profile: 'main', level: '(string)4' }),
      ];
  }
}

function audioCapture(input: AudioInput, pattern: PipelinePlan['testPattern']): string[] {
  switch (input.kind) {
    case 'test':
      // avsync: a 50 ms 1 kHz beep on every whole second, with the flash.
      if (pattern === 'avsync') return [el('audiotestsrc', { 'is-live': true, wave: 'ticks', freq: 1000, 'sine-periods-per-tick': 50, volume: 0.8 })];
      return [el('audiotestsrc', { 'is-live': true, wave: 'sine', freq: 440, volume: 0.05 })];
    case 'silence':
      return [];
    case 'alsa':
      // provide-clock=false: the system clock stays the pipeline clock and the
      // sound card is slaved to it, so a USB mic's crystal cannot drift the A/V sync.
      return [el('alsasrc', { device: input.device, 'provide-clock': false, 'slave-method': 'skew' })];
  }
}

/** The raw audio the microphone channel carries. */
function audioCaps(a: PipelinePlan['audio']): string {
  return caps('audio/x-raw', { format: 'S16LE', layout: 'interleaved', rate: a.rate, channels: a.channels });
}

/**
 * The microphone reaches the core through a 10 ms-period inter channel. The
 * core starts before the sources, so the channel runs nearly empty and adds
 * ~10 ms; it holds at most 200 ms, beyond which the oldest audio is dropped
 * rather than delayed (a delay would break A/V sync for good).
 */
const AUDIO_CHANNEL = { 'buffer-time': 200_000_000, 'latency-time': 10_000_000, 'period-time': 10_000_000 };

/** Frames the camera channel repeats the last picture before the host has switched to the slate. */
const CAMERA_HOLD_NS = 5_000_000_000;

/**
 * A frame waits 0 to 1 frame in the camera channel before the core samples
 * it, half a frame on average; sound waits about nothing in its channel. The
 * sound is held back by that half frame, which centres the A/V offset on
 * zero (measured at the ingest: -24 ms without it, see docs/benchmarks.md).
 */
export function channelCompensationNs(plan: PipelinePlan): number {
  return plan.video.encoder === 'passthrough' ? 0 : Math.round(500_000_000 / plan.video.framerate);
}

function audioEncode(plan: PipelinePlan): string[] {
  const a = plan.audio;
  // A running-time offset on the mixer's input pad delays the audio; with one
  // input the mixer only re-times, it mixes nothing.
  const delayNs = plan.audioDelayMs * 1_000_000 + channelCompensationNs(plan);
  // The mixer picks its output caps from what downstream accepts (voaacenc
  // takes 44.1 kHz mono too), so the caps are pinned after it.
  const delay = delayNs > 0 ? [el('audiomixer', { name: 'adelay', 'sink_0::offset': delayNs }), audioCaps(a)] : [];
  // The meter reads what is sent, before any delay: peak and RMS per channel, 4 times a second.
  const meter = el('level', { name: 'meter', interval: 250_000_000, 'post-messages': true });
  return [el('interaudiosrc', { channel: CHANNELS.mic, ...AUDIO_CHANNEL }), audioCaps(a), meter, ...delay, el('voaacenc', { bitrate: a.bitrateKbps * 1000 }), el('aacparse')];
}

/** A source pipeline: what it captures, and which channels it feeds. */
export interface SourcePipeline {
  feeds: { video: boolean; audio: boolean };
  launch: string;
  /** Device nodes that must exist before the pipeline is built (an unplugged camera is waited for, not retried). */
  requires: string[];
}

/** The /proc/asound entry of an ALSA device name: hw:CARD=Device,DEV=0 -> /proc/asound/Device, hw:1,0 -> /proc/asound/card1. */
export function alsaCardPath(device: string): string | null {
  const named = /CARD=([A-Za-z0-9_]+)/.exec(device);
  if (named) return `/proc/asound/${named[1]}`;
  const numbered = /^[a-z]*hw:(\d+)/.exec(device);
  return numbered ? `/proc/asound/card${numbered[1]}` : null;
}

function requiredPaths(plan: PipelinePlan, feeds: SourcePipeline['feeds']): string[] {
  const paths: string[] = [];
  const v = plan.video.input;
  if (feeds.video && v.kind === 'v4l2') paths.push(v.device);
  const a = plan.audio.input;
  const card = a.kind === 'alsa' ? alsaCardPath(a.device) : null;
  if (feeds.audio && card) paths.push(card);
  return paths;
}

function videoSourceChain(plan: PipelinePlan): string {
  const v = plan.video;
  return chain([
    ...videoCapture(v.input, v, plan.testPattern),
    el('capsfilter', { name: SOURCE_NAMES.videoFault }),
    el('videorate', { name: SOURCE_NAMES.videoCounter, 'drop-only': true, 'max-rate': v.framerate }),
    el('videoconvert'),
    el('videoscale'),
    rawCaps(v, null),
    // sync=false: a frame is handed over the moment it is captured; the core samples the latest one on its own clock.
    el('intervideosink', { channel: CHANNELS.camera, sync: false }),
  ]);
}

function audioSourceChain(plan: PipelinePlan): string | null {
  const capture = audioCapture(plan.audio.input, plan.testPattern);
  if (capture.length === 0) return null;
  return chain([...capture, el('capsfilter', { name: SOURCE_NAMES.audioFault }), el('audioconvert'), el('audioresample'), audioCaps(plan.audio), el('interaudiosink', { channel: CHANNELS.mic, sync: false })]);
}

/**
 * The source pipelines of a session. The camera and the microphone each get
 * their own, so either can fail and be rebuilt alone, except for the A/V sync
 * test source: its flash and beep share one pipeline, hence one clock.
 */
export function renderSources(plan: PipelinePlan): SourcePipeline[] {
  const source = (launch: string, video: boolean, audio: boolean): SourcePipeline => ({ feeds: { video, audio }, launch, requires: requiredPaths(plan, { video, audio }) });
  const audio = audioSourceChain(plan);
  if (plan.video.encoder === 'passthrough') return audio ? [source(audio, false, true)] : [];
  const video = videoSourceChain(plan);
  if (audio && plan.testPattern === 'avsync' && plan.video.input.kind === 'test' && plan.audio.input.kind === 'test') return [source(`${video}  ${audio}`, true, true)];
  return [source(video, true, false), ...(audio ? [source(audio, false, true)] : [])];
}

/**
 * The slate: one still frame (a dark background or ROOMCAST_SLATE_IMAGE, with
 * the room name and message) written once into its channel, which the core
 * repeats. Made to the camera's exact caps, so switching renegotiates nothing.
 */
export function renderSlate(plan: PipelinePlan): string | null {
  const v = plan.video;
  const s = v.slate;
  if (!s) return null;
  const size = { width: v.width, height: v.height, 'pixel-aspect-ratio': '1/1' };
  const background = s.image
    ? [el('filesrc', { location: s.image }), el('decodebin'), el('videoconvert'), el('videoscale', { 'add-borders': true }), caps('video/x-raw', { ...size, format: 'I420' })]
    : [el('videotestsrc', { 'num-buffers': 1, pattern: 'solid-color', 'foreground-color': 0xff1e293b }), caps('video/x-raw', { ...size, format: 'I420', framerate: `${v.framerate}/1` })];
  const points = Math.max(8, Math.round(v.height / 18));
  const text: string[] = [];
  // With a picture the text sits low on a shaded band; on the plain background, in the middle.
  const shaded = s.image ? { 'shaded-background': true } : {};
  if (s.roomName) text.push(el('textoverlay', { text: s.roomName, valignment: 'position', ypos: s.image ? 0.72 : 0.42, halignment: 'center', 'font-desc': `Sans Bold ${points}`, ...shaded }));
  if (s.message) text.push(el('textoverlay', { text: s.message, valignment: 'position', ypos: s.image ? 0.85 : 0.58, halignment: 'center', 'font-desc': `Sans ${Math.round(points * 0.6)}`, ...shaded }));
  return chain([...background, ...text, el('videoconvert'), rawCaps(v, null), el('intervideosink', { channel: CHANNELS.slate, sync: false })]);
}

/**
 * Muxers are live aggregators: when the encoder is slow to start (a busy CPU)
 * they time out on video, send audio ahead, then clamp the late video
 * timestamps forward, which bends the first GOP (1.936 s instead of 2 s,
 * measured). Half a second of slack lets them wait; it costs latency only
 * while a stream is actually late.
 */
const MUX_LATENCY_NS = 500_000_000;

/**
 * The core pipeline. `fanoutPort` 0 (the agent's choice) lets the kernel pick
 * a free port, which the host reports once the pipeline plays.
 */
export function renderCore(plan: PipelinePlan, opts: { fanoutPort?: number } = {}): RenderedPipeline {
  const v = plan.video;
  const branches: string[] = [];
  const encoded = [...videoEncode(v), el('h264parse', { 'config-interval': -1 }), el('tee', { name: 'vtee', 'allow-not-linked': true })];
  let selector: string | null = null;
  let snapshot: RenderedPipeline['names']['snapshot'] = null;
  if (v.encoder === 'passthrough') {
    branches.push(chain([...videoCapture(v.input, v, plan.testPattern), ...encoded]));
  } else {
    // The camera and the slate arrive on two channels read on the same frame
    // clock (both sources start with the pipeline), and the host switches
    // between them: a lost camera never stops the encoder or a connection.
    selector = 'slatesel';
    branches.push(chain([el('intervideosrc', { channel: CHANNELS.camera, timeout: CAMERA_HOLD_NS }), rawCaps(v), `${selector}.sink_0`]));
    branches.push(chain([el('intervideosrc', { channel: CHANNELS.slate, timeout: 3600 * 1_000_000_000 }), rawCaps(v), `${selector}.sink_1`]));
    const firstStill = v.snapshot?.steps[0];
    const raw = firstStill ? [el('tee', { name: SNAPSHOT_NAMES.tee, 'allow-not-linked': true })] : [];
    branches.push(chain([el('input-selector', { name: selector }), ...raw, ...encoded]));
    if (firstStill) {
      snapshot = SNAPSHOT_NAMES;
      branches.push(snapshotBranch(firstStill));
    }
  }
  branches.push(chain([...audioEncode(plan), el('tee', { name: 'atee', 'allow-not-linked': true })]));

  let fanout: string | null = null;
  if (plan.destinations.length > 0) {
    fanout = 'fanout';
    // One FLV mux for every destination, served on loopback. tcpserversink
    // sends each new client the FLV headers, starts it on the latest keyframe,
    // and never blocks on a slow client: past 2 s behind it skips the client
    // to the next keyframe, past 4 s it drops it (the relay then restarts).
    branches.push(
      chain([
        el('flvmux', { name: 'flv', streamable: true, latency: MUX_LATENCY_NS }),
        el('tcpserversink', {
          name: fanout,
          host: '127.0.0.1',
          port: opts.fanoutPort ?? 0,
          sync: false,
          'sync-method': 'latest-keyframe',
          'recover-policy': 'keyframe',
          'unit-format': 'time',
          'units-soft-max': 2_000_000_000,
          'units-max': 4_000_000_000,
        }),
      ]),
    );
    branches.push(chain(['vtee.', el('queue', { 'max-size-time': 2_000_000_000, 'max-size-bytes': 0, 'max-size-buffers': 0 }), el('h264parse'), 'flv.video']));
    branches.push(chain(['atee.', el('queue', { 'max-size-time': 2_000_000_000, 'max-size-bytes': 0, 'max-size-buffers': 0 }), 'flv.audio']));
  }

  let recorder: string | null = null;
  if (plan.recorder) {
    recorder = 'rec';
    const r = plan.recorder;
    // MPEG-TS segments cut on keyframes: each closed file plays on its own, and
    // even the file being written is readable after a power cut.
    branches.push(
      el('splitmuxsink', {
        name: recorder,
        'muxer-factory': 'mpegtsmux',
        'muxer-properties': `properties,latency=(guint64)${MUX_LATENCY_NS}`,
        'async-finalize': true,
        'max-size-time': r.segmentSeconds * 1_000_000_000,
        location: `${r.dir}/${r.filePrefix}-%05d.ts`,
      }),
    );
    // The recorder must not lose data, so its queues do not leak; they are deep
    // enough (10 s) to ride out a slow SD card write.
    branches.push(chain(['vtee.', el('queue', { 'max-size-time': 10_000_000_000, 'max-size-bytes': 0, 'max-size-buffers': 0 }), el('h264parse'), `${recorder}.video`]));
    branches.push(chain(['atee.', el('queue', { 'max-size-time': 10_000_000_000, 'max-size-bytes': 0, 'max-size-buffers': 0 }), `${recorder}.audio_0`]));
  }

  return {
    launch: branches.join('  '),
    secretProperties: {},
    names: { fanout, rtmpSink: null, recorder, selector, snapshot },
  };
}

/**
 * The ipfs destination's segmenter: the core's FLV stream from
 * 127.0.0.1:`fanoutPort`, cut into MPEG-TS segments on its keyframes (every
 * `segmentSeconds`, ROOMCAST_KEYFRAME_SECONDS, so one GOP each), with no
 * second encode. h264parse puts SPS/PPS before every keyframe so that each
 * segment decodes on its own. The host reports each segment opened and
 * closed, with its running time, which gives its duration.
 */
export function renderIpfsSegmenter(fanoutPort: number, opts: { dir: string; filePrefix: string; segmentSeconds: number }): RenderedPipeline {
  const seg = 'seg';
  const queue = el('queue', { 'max-size-time': 2_000_000_000, 'max-size-bytes': 0, 'max-size-buffers': 0 });
  const launch = [
    chain([el('tcpclientsrc', { host: '127.0.0.1', port: fanoutPort }), el('flvdemux', { name: 'demux' })]),
    el('splitmuxsink', {
      name: seg,
      'muxer-factory': 'mpegtsmux',
      'muxer-properties': `properties,latency=(guint64)${MUX_LATENCY_NS}`,
      'max-size-time': opts.segmentSeconds * 1_000_000_000,
      location: `${opts.dir}/${opts.filePrefix}-%05d.ts`,
    }),
    chain(['demux.video', queue, el('h264parse', { 'config-interval': -1 }), `${seg}.video`]),
    chain(['demux.audio', queue, el('aacparse'), `${seg}.audio_0`]),
  ].join('  ');
  return { launch, secretProperties: {}, names: { fanout: null, rtmpSink: null, recorder: seg, selector: null, snapshot: null } };
}

/**
 * A destination's relay: the core's FLV stream from 127.0.0.1:`fanoutPort`,
 * demuxed and muxed again (cheap: no decoding) so rtmp2sink gets whole FLV
 * tags. `inlineSecrets` writes the stream URL into the description, only for
 * running it under plain gst-launch-1.0 (the benchmark's baseline); such a
 * description must never be logged.
 */
export function renderDestination(d: Destination, fanoutPort: number, opts: { inlineSecrets?: boolean } = {}): RenderedPipeline {
  const sink = 'rtmp';
  const queue = el('queue', { 'max-size-time': 2_000_000_000, 'max-size-bytes': 0, 'max-size-buffers': 0 });
  const launch = [
    chain([el('tcpclientsrc', { host: '127.0.0.1', port: fanoutPort }), el('flvdemux', { name: 'demux' })]),
    chain([el('flvmux', { name: 'mux', streamable: true, latency: MUX_LATENCY_NS }), el('rtmp2sink', { name: sink, sync: false, 'async-connect': true, ...(opts.inlineSecrets ? { location: d.url } : {}) })]),
    chain(['demux.video', queue, el('h264parse'), 'mux.video']),
    chain(['demux.audio', queue, el('aacparse'), 'mux.audio']),
  ].join('  ');
  return { launch, secretProperties: { [sink]: { location: d.url } }, names: { fanout: null, rtmpSink: sink, recorder: null, selector: null, snapshot: null } };
}
