import type { PipelinePlan, VideoInput } from './plan.js';

/**
 * The only place that writes GStreamer launch syntax. A plan becomes a launch
 * description that holds no secret: stream URLs are returned separately as
 * properties the host sets on the named rtmp2sink elements after parsing, so
 * the description can be logged and shown by `roomcast probe` as it is.
 */
export interface RenderedPipeline {
  launch: string;
  /** element name -> property -> value, set by the host before PLAYING (the stream URLs). */
  secretProperties: Record<string, Record<string, string>>;
  /** Element names the host reads statistics from. */
  names: {
    videorate: string | null;
    /** destination id -> rtmp2sink element name */
    destinations: Record<string, string>;
    recorder: string | null;
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

function caps(media: string, fields: Record<string, string | number>): string {
  return [media, ...Object.entries(fields).map(([k, v]) => `${k}=${v}`)].join(',');
}

/** rtmp2sink names must be valid element names: destination ids use [a-z0-9-]. */
export function sinkName(destinationId: string): string {
  return `dest_${destinationId.replace(/[^A-Za-z0-9]/g, '_')}`;
}

function videoCapture(input: VideoInput, v: PipelinePlan['video']): string[] {
  const size = { width: v.width, height: v.height, framerate: `${v.framerate}/1` };
  switch (input.kind) {
    case 'test':
      // A moving clock keeps the test picture from being a still image the encoder could starve.
      return [el('videotestsrc', { 'is-live': true, pattern: 'smpte' }), caps('video/x-raw', size), el('timeoverlay', { halignment: 'right', valignment: 'bottom', 'font-desc': 'Sans 24' })];
    case 'libcamera':
      return [el('libcamerasrc'), caps('video/x-raw', { ...size, format: 'NV12' })];
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
  const raw = caps('video/x-raw', { format: 'I420', width: v.width, height: v.height, framerate: `${v.framerate}/1`, 'pixel-aspect-ratio': '1/1' });
  const prep = [el('videoconvert'), el('videoscale'), el('videorate', { name: 'vrate' }), raw];
  switch (v.encoder) {
    case 'passthrough':
      return [];
    case 'x264':
      return [
        ...prep,
        // scenecut=0 keeps the keyframe interval fixed; nal-hrd=cbr with filler
        // holds the bitrate constant even on a still picture (platforms check);
        // vbv-init=0.5 (x264's default is 0.9) stops the first seconds
        // overshooting by ~15% while the buffer drains.
        el('x264enc', {
          name: 'venc',
          bitrate: v.bitrateKbps,
          pass: 'cbr',
          'vbv-buf-capacity': 1000,
          'speed-preset': 'veryfast',
          tune: 'zerolatency',
          'key-int-max': v.keyframeInterval,
          'option-string': 'scenecut=0:nal-hrd=cbr:filler=1:vbv-init=0.5',
        }),
        caps('video/x-h264', { profile: 'main' }),
      ];
    case 'v4l2h264enc':
      return [
        ...prep,
        el('v4l2h264enc', {
          name: 'venc',
          'extra-controls': `controls,video_bitrate_mode=1,video_bitrate=${v.bitrateKbps * 1000},h264_i_frame_period=${v.keyframeInterval},repeat_sequence_header=1`,
        }),
        // level 4 lets the Pi encoder do 1080p30; profile main is what platforms expect.
        caps('video/x-h264', { profile: 'main', level: '(string)4' }),
      ];
  }
}

function audioCapture(plan: PipelinePlan): string[] {
  const a = plan.audio;
  switch (a.input.kind) {
    case 'test':
      return [el('audiotestsrc', { 'is-live': true, wave: 'sine', freq: 440, volume: 0.05 })];
    case 'silence':
      return [el('audiotestsrc', { 'is-live': true, wave: 'silence' })];
    case 'alsa':
      // provide-clock=false: the system clock stays the pipeline clock and the
      // sound card is slaved to it, so a USB mic's crystal cannot drift the A/V sync.
      return [el('alsasrc', { device: a.input.device, 'provide-clock': false, 'slave-method': 'skew' })];
  }
}

function audioEncode(plan: PipelinePlan): string[] {
  const a = plan.audio;
  const raw = caps('audio/x-raw', { rate: a.rate, channels: a.channels });
  // A running-time offset on the mixer's input pad delays the audio; with one
  // input the mixer only re-times, it mixes nothing.
  const delay = plan.audioDelayMs > 0 ? [el('audiomixer', { name: 'adelay', 'sink_0::offset': plan.audioDelayMs * 1_000_000 })] : [];
  return [el('audioconvert'), el('audioresample'), el('audiorate'), raw, ...delay, el('voaacenc', { bitrate: a.bitrateKbps * 1000 }), el('aacparse')];
}

const chain = (parts: string[]): string => parts.join(' ! ');

/**
 * Muxers are live aggregators: when the encoder is slow to start (a busy CPU)
 * they time out on video, send audio ahead, then clamp the late video
 * timestamps forward, which bends the first GOP (1.936 s instead of 2 s,
 * measured). Half a second of slack lets them wait; it costs latency only
 * while a stream is actually late.
 */
const MUX_LATENCY_NS = 500_000_000;

/**
 * `inlineSecrets` writes each stream URL into the launch description itself,
 * for running the same pipeline under plain gst-launch-1.0 (the benchmark's
 * baseline). The agent never uses it: such a description must not be logged.
 */
export function renderPipeline(plan: PipelinePlan, opts: { inlineSecrets?: boolean } = {}): RenderedPipeline {
  const v = plan.video;
  const branches: string[] = [];
  branches.push(chain([...videoCapture(v.input, v), ...videoEncode(v), el('h264parse', { 'config-interval': -1 }), el('tee', { name: 'vtee', 'allow-not-linked': true })]));
  branches.push(chain([...audioCapture(plan), ...audioEncode(plan), el('tee', { name: 'atee', 'allow-not-linked': true })]));

  const secretProperties: RenderedPipeline['secretProperties'] = {};
  const destinations: Record<string, string> = {};
  if (plan.destinations.length > 0) {
    // One FLV mux for every destination; each destination behind its own leaky
    // queue so a slow or stalled server drops its own data and never holds back
    // the encoder, the recorder or the other destinations.
    branches.push(chain([el('flvmux', { name: 'flv', streamable: true, latency: MUX_LATENCY_NS }), el('tee', { name: 'ftee', 'allow-not-linked': true })]));
    branches.push(chain(['vtee.', el('queue', { 'max-size-time': 2_000_000_000, 'max-size-bytes': 0, 'max-size-buffers': 0 }), el('h264parse'), 'flv.video']));
    branches.push(chain(['atee.', el('queue', { 'max-size-time': 2_000_000_000, 'max-size-bytes': 0, 'max-size-buffers': 0 }), 'flv.audio']));
    for (const d of plan.destinations) {
      const name = sinkName(d.id);
      destinations[d.id] = name;
      secretProperties[name] = { location: d.url };
      branches.push(
        chain([
          'ftee.',
          el('queue', { name: `q_${name}`, leaky: 'downstream', 'max-size-time': 4_000_000_000, 'max-size-bytes': 0, 'max-size-buffers': 0 }),
          el('rtmp2sink', { name, sync: false, 'async-connect': true, ...(opts.inlineSecrets ? { location: d.url } : {}) }),
        ]),
      );
    }
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
    secretProperties,
    names: { videorate: v.encoder === 'passthrough' ? null : 'vrate', destinations, recorder },
  };
}
