import type { Destination } from '../../common/destination.js';
import type { PipelinePlan, VideoInput } from './plan.js';

/**
 * The only place that writes GStreamer launch syntax. A session is two kinds
 * of pipeline, each run by its own host process:
 *  - the core: capture, encode once, record, and serve the FLV stream to the
 *    destinations on 127.0.0.1 (tcpserversink);
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
    videorate: string | null;
    /** The core's tcpserversink; the host reports the port it bound. */
    fanout: string | null;
    /** A relay's rtmp2sink. */
    rtmpSink: string | null;
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
  // The meter reads what the microphone gives, before any delay: peak and RMS per channel, 4 times a second.
  const meter = el('level', { name: 'meter', interval: 250_000_000, 'post-messages': true });
  return [el('audioconvert'), el('audioresample'), el('audiorate'), raw, meter, ...delay, el('voaacenc', { bitrate: a.bitrateKbps * 1000 }), el('aacparse')];
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
 * The core pipeline. `fanoutPort` 0 (the agent's choice) lets the kernel pick
 * a free port, which the host reports once the pipeline plays.
 */
export function renderCore(plan: PipelinePlan, opts: { fanoutPort?: number } = {}): RenderedPipeline {
  const v = plan.video;
  const branches: string[] = [];
  branches.push(chain([...videoCapture(v.input, v), ...videoEncode(v), el('h264parse', { 'config-interval': -1 }), el('tee', { name: 'vtee', 'allow-not-linked': true })]));
  branches.push(chain([...audioCapture(plan), ...audioEncode(plan), el('tee', { name: 'atee', 'allow-not-linked': true })]));

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
    names: { videorate: v.encoder === 'passthrough' ? null : 'vrate', fanout, rtmpSink: null, recorder },
  };
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
  return { launch, secretProperties: { [sink]: { location: d.url } }, names: { videorate: null, fanout: null, rtmpSink: sink, recorder: null } };
}
