import type { DeviceConfig } from '../../common/config/schema.js';
import type { Destination } from '../../common/destination.js';
import type { Camera, CameraFormat, Hardware, LibcameraAfProperty } from '../hardware/types.js';
import { snapshotSteps, type SnapshotPlan } from './snapshot-plan.js';
import { pickX264Preset, type X264Preset } from './x264-budget.js';

/**
 * A typed description of one streaming session: what is captured, how it
 * is encoded, where it goes. Built by the pure `planPipeline`, turned into a
 * GStreamer launch description only by render.ts (STYLE.md #1).
 */
export type VideoInput =
  | { kind: 'test' }
  | { kind: 'v4l2'; device: string; format: CameraFormat }
  | { kind: 'libcamera'; autofocus?: LibcameraAfProperty };

export type VideoEncoder = 'x264' | 'v4l2h264enc' | 'passthrough';

export type AudioInput = { kind: 'test' } | { kind: 'silence' } | { kind: 'alsa'; device: string };

/**
 * The picture sent while the camera is lost. Null with passthrough: the
 * camera's own H.264 cannot be switched to a picture without an encoder.
 */
export interface SlatePlan {
  roomName: string;
  message: string;
  image: string | null;
}

export interface PipelinePlan {
  video: {
    input: VideoInput;
    encoder: VideoEncoder;
    /** x264's speed preset, chosen to fit the board's CPU budget (x264-budget.ts); null with other encoders. */
    x264Preset: X264Preset | null;
    /**
     * The raw format the camera and the slate are brought to before the
     * encoder: both must match exactly, or switching between them would
     * renegotiate the encoder (and bend a GOP). The colorimetry is what the
     * camera is expected to deliver, so that converting it costs nothing.
     */
    raw: { format: 'I420' | 'NV12'; colorimetry: string };
    slate: SlatePlan | null;
    /** Stills for the `snapshot` command, taken from the raw picture the encoder gets (the slate too). */
    snapshot: SnapshotPlan | null;
    width: number;
    height: number;
    framerate: number;
    bitrateKbps: number;
    /** Frames between keyframes: framerate x ROOMCAST_KEYFRAME_SECONDS. */
    keyframeInterval: number;
  };
  audio: { input: AudioInput; bitrateKbps: number; rate: 48000; channels: 2 };
  /** What test sources send (ROOMCAST_TEST_PATTERN). */
  testPattern: 'bars' | 'avsync' | 'flash';
  /** Audio is delayed by this much against video (ROOMCAST_AUDIO_DELAY_MS). */
  audioDelayMs: number;
  destinations: Destination[];
  recorder: { dir: string; segmentSeconds: number; filePrefix: string } | null;
  /** Why each choice was made, in words for the log and `roomcast probe`. */
  choices: string[];
}

export type PlanResult = { ok: true; plan: PipelinePlan } | { ok: false; errors: string[] };

export interface PlanContext {
  /** Distinguishes this session's recording files from earlier ones, e.g. 20261122-141503. */
  sessionStamp: string;
}

function pickCamera(config: DeviceConfig, hw: Hardware, choices: string[], errors: string[]): Camera | 'test' | null {
  const src = config.videoSource;
  switch (src.kind) {
    case 'test':
      choices.push('video: test pattern (ROOMCAST_VIDEO_SOURCE=test)');
      return 'test';
    case 'picam': {
      const cam = hw.cameras.find((c) => c.kind === 'picam' || c.kind === 'picam-legacy');
      if (!cam) errors.push('ROOMCAST_VIDEO_SOURCE=picam, but no Pi camera was found (check the ribbon cable and camera_auto_detect=1)');
      return cam ?? null;
    }
    case 'usb': {
      const cam = hw.cameras.find((c) => c.kind === 'usb');
      if (!cam) errors.push('ROOMCAST_VIDEO_SOURCE=usb, but no USB (UVC) camera was found');
      return cam ?? null;
    }
    case 'device': {
      const cam = hw.cameras.find((c) => c.device === src.path);
      if (cam) return cam;
      // A device the detector did not classify (e.g. a capture card): trust the user, raw format.
      choices.push(`video: ${src.path} was not detected as a camera; opening it as raw V4L2`);
      return { kind: 'usb', device: src.path, name: src.path, driver: 'unknown', formats: ['raw'] };
    }
    case 'auto': {
      const cam = hw.cameras.find((c) => c.kind === 'picam' || c.kind === 'picam-legacy') ?? hw.cameras.find((c) => c.kind === 'usb');
      if (cam) {
        choices.push(`video: ${cam.kind} "${cam.name}" at ${cam.device} (ROOMCAST_VIDEO_SOURCE=auto)`);
        return cam;
      }
      choices.push('video: no camera found, using the test pattern (ROOMCAST_VIDEO_SOURCE=auto)');
      return 'test';
    }
  }
}

function pickEncoder(config: DeviceConfig, hw: Hardware, camera: Camera | 'test' | null, choices: string[], errors: string[]): VideoEncoder | null {
  const cameraH264 = camera !== null && camera !== 'test' && camera.formats.includes('h264');
  const hardware = hw.hardwareEncoder && hw.elements.has('v4l2h264enc');
  const x264 = hw.elements.has('x264enc');
  switch (config.encoder) {
    case 'hardware':
      if (!hardware) errors.push('ROOMCAST_ENCODER=hardware, but this board has no V4L2 H.264 encoder (the Pi 5 has none: use x264)');
      return hardware ? 'v4l2h264enc' : null;
    case 'x264':
      if (!x264) errors.push('ROOMCAST_ENCODER=x264, but the x264enc element is not installed (gstreamer1.0-plugins-ugly)');
      return x264 ? 'x264' : null;
    case 'passthrough':
      if (!cameraH264 && camera !== null) errors.push('ROOMCAST_ENCODER=passthrough needs a camera that sends H.264 itself; this one does not');
      else choices.push('encoder: passthrough of the camera\'s H.264; keyframe interval and bitrate are the camera\'s');
      return cameraH264 ? 'passthrough' : null;
    case 'auto':
      // Not chosen by itself while an encoder exists: the camera's own H.264
      // has no slate and the camera's keyframe interval, which platforms check.
      if (cameraH264 && (hardware || x264)) choices.push("encoder: the camera also sends H.264; ROOMCAST_ENCODER=passthrough saves the encode, but gives up the slate and the fixed keyframe interval");
      if (hardware) {
        choices.push(`encoder: hardware v4l2h264enc (${hw.board.model ?? 'board'} has one)`);
        return 'v4l2h264enc';
      }
      if (x264) {
        choices.push(`encoder: x264 (no hardware encoder${hw.board.pi === 'pi5' ? ': the Pi 5 has none' : ''})`);
        return 'x264';
      }
      if (cameraH264) {
        choices.push('encoder: passthrough (no encoder available, the camera sends H.264)');
        return 'passthrough';
      }
      errors.push('no H.264 encoder: install gstreamer1.0-plugins-ugly (x264enc) or use a Pi 3/4 or a camera that sends H.264');
      return null;
  }
}

function fitX264(config: DeviceConfig, hw: Hardware, choices: string[], errors: string[]): X264Preset | null {
  const { width, height } = config.videoSize;
  const fit = pickX264Preset(hw.board.pi, width, height, config.framerate);
  if (!fit.ok) {
    errors.push(fit.error);
    return null;
  }
  choices.push(`encoder: ${fit.reason}`);
  return fit.preset;
}

/** The camera format to capture: H.264 only for passthrough; otherwise MJPEG over raw (USB 2 bandwidth). */
function captureFormat(camera: Camera, encoder: VideoEncoder, hw: Hardware): CameraFormat {
  if (encoder === 'passthrough') return 'h264';
  // The legacy PiCam is not on USB: its JPEG would only be decoded again in software.
  if (camera.kind === 'picam-legacy' && camera.formats.includes('raw')) return 'raw';
  if (camera.formats.includes('mjpeg') && hw.elements.has('jpegdec')) return 'mjpeg';
  return 'raw';
}

/** Where each element the planner may use comes from, for a message that says what to install. */
export const PACKAGE_OF: Readonly<Record<string, string>> = {
  x264enc: 'gstreamer1.0-plugins-ugly',
  v4l2h264enc: 'gstreamer1.0-plugins-good',
  v4l2src: 'gstreamer1.0-plugins-good',
  jpegdec: 'gstreamer1.0-plugins-good',
  aacparse: 'gstreamer1.0-plugins-good',
  flvmux: 'gstreamer1.0-plugins-good',
  flvdemux: 'gstreamer1.0-plugins-good',
  tcpserversink: 'gstreamer1.0-plugins-base',
  tcpclientsrc: 'gstreamer1.0-plugins-base',
  splitmuxsink: 'gstreamer1.0-plugins-good',
  libcamerasrc: 'gstreamer1.0-libcamera',
  alsasrc: 'gstreamer1.0-alsa',
  intervideosrc: 'gstreamer1.0-plugins-bad',
  intervideosink: 'gstreamer1.0-plugins-bad',
  interaudiosrc: 'gstreamer1.0-plugins-bad',
  interaudiosink: 'gstreamer1.0-plugins-bad',
  textoverlay: 'gstreamer1.0-x',
  jpegenc: 'gstreamer1.0-plugins-good',
  appsink: 'gstreamer1.0-plugins-base',
  audiomixer: 'gstreamer1.0-plugins-base',
  level: 'gstreamer1.0-plugins-good',
  voaacenc: 'gstreamer1.0-plugins-bad',
  h264parse: 'gstreamer1.0-plugins-bad',
  rtmp2sink: 'gstreamer1.0-plugins-bad',
  mpegtsmux: 'gstreamer1.0-plugins-bad',
};

/** What the snapshot branch needs besides GStreamer's core and video elements. */
const SNAPSHOT_ELEMENTS = ['jpegenc', 'appsink'];

/**
 * The elements the parts of a plan render to (besides the core ones every
 * GStreamer install has). Works on the parts known so far, so that missing
 * elements are reported together with every other problem.
 */
export function requiredElements(parts: { input: VideoInput | null; encoder: VideoEncoder | null; audio: AudioInput; audioDelayMs: number; destinations: number; recording: boolean; ipfs?: boolean }): string[] {
  const els = ['h264parse', 'voaacenc', 'aacparse', 'level', 'interaudiosrc', 'interaudiosink'];
  if (parts.encoder !== 'passthrough') els.push('intervideosrc', 'intervideosink', 'textoverlay');
  if (parts.input?.kind === 'libcamera') els.push('libcamerasrc');
  if (parts.input?.kind === 'v4l2') els.push('v4l2src', ...(parts.input.format === 'mjpeg' ? ['jpegdec'] : []));
  if (parts.encoder === 'x264') els.push('x264enc');
  if (parts.encoder === 'v4l2h264enc') els.push('v4l2h264enc');
  if (parts.audio.kind === 'alsa') els.push('alsasrc');
  if (parts.audioDelayMs > 0 || parts.encoder !== 'passthrough') els.push('audiomixer');
  if (parts.destinations > 0) els.push('flvmux', 'flvdemux', 'tcpserversink', 'tcpclientsrc', 'rtmp2sink');
  if (parts.recording || parts.ipfs === true) els.push('splitmuxsink', 'mpegtsmux');
  return [...new Set(els)];
}

function pickAudio(config: DeviceConfig, hw: Hardware, choices: string[]): AudioInput {
  const src = config.audioSource;
  switch (src.kind) {
    case 'test':
      choices.push('audio: test tone (ROOMCAST_AUDIO_SOURCE=test)');
      return { kind: 'test' };
    case 'none':
      choices.push('audio: silent AAC track (ROOMCAST_AUDIO_SOURCE=none)');
      return { kind: 'silence' };
    case 'alsa':
      return { kind: 'alsa', device: src.device };
    case 'auto': {
      // A webcam's own microphone hears the room from the back wall, so a
      // USB audio interface wins whatever the card order; the webcam's is
      // taken only when it is all there is.
      const usb = hw.microphones.filter((m) => m.usb);
      const webcamMic = usb.find((m) => m.webcam) ?? null;
      const mic = usb.find((m) => !m.webcam) ?? webcamMic;
      if (mic && hw.elements.has('alsasrc')) {
        if (mic.webcam) {
          choices.push(`audio: the webcam's microphone "${mic.name}" at ${mic.device} (ROOMCAST_AUDIO_SOURCE=auto)`);
          choices.push(`audio: only the webcam's microphone was found (card ${mic.id}): plug a USB audio interface for the talk's sound`);
        } else {
          const passedOver = webcamMic ? `, not the webcam's microphone on card ${webcamMic.id}` : '';
          choices.push(`audio: USB audio "${mic.name}" at ${mic.device}${passedOver} (ROOMCAST_AUDIO_SOURCE=auto)`);
        }
        return { kind: 'alsa', device: mic.device };
      }
      choices.push('audio: no USB microphone found, sending a silent track (ROOMCAST_AUDIO_SOURCE=auto)');
      return { kind: 'silence' };
    }
  }
}

/**
 * What each camera kind delivers: libcamera gives NV12 (which both encoders
 * take), jpegdec full-range BT.601 ("1:4:0:0", not for v4l2h264enc), UVC raw and the test pattern
 * BT.601. A camera that differs is converted, at some CPU cost.
 */
function rawFormat(input: VideoInput, encoder: VideoEncoder): PipelinePlan['video']['raw'] {
  switch (input.kind) {
    case 'libcamera':
      return { format: 'NV12', colorimetry: 'bt709' };
    case 'v4l2':
      // v4l2h264enc only negotiates colorimetries that map to a V4L2 colour
      // space, all with a known transfer: not "1:4:0:0". The JPEG's full range
      // is then converted to limited-range BT.601 first.
      return { format: 'I420', colorimetry: input.format === 'mjpeg' && encoder !== 'v4l2h264enc' ? '1:4:0:0' : 'bt601' };
    case 'test':
      return { format: 'I420', colorimetry: 'bt601' };
  }
}

/**
 * Stills come from the raw video before the encoder, so they show what is
 * sent, slate included. Passthrough has no raw video in the pipeline (decoding
 * the camera's H.264 all the time for a rare still would cost the most); a
 * missing JPEG encoder costs the stills, never the stream.
 */
function planSnapshot(encoder: VideoEncoder, size: { width: number; height: number }, hw: Hardware, choices: string[]): SnapshotPlan | null {
  if (encoder === 'passthrough') {
    choices.push('snapshot: not available with passthrough (no raw picture in the pipeline)');
    return null;
  }
  const missing = SNAPSHOT_ELEMENTS.filter((e) => !hw.elements.has(e));
  if (missing.length > 0) {
    choices.push(`snapshot: not available, ${missing.join(' and ')} not installed (${missing.map((e) => PACKAGE_OF[e] ?? 'unknown').join(', ')})`);
    return null;
  }
  return { steps: snapshotSteps(size.width, size.height) };
}

/** A Pi camera with a focus lens gets continuous autofocus (as rpicam-apps give it), where libcamerasrc can set it. */
function libcameraInput(camera: Camera, hw: Hardware, choices: string[]): VideoInput {
  if (!camera.autofocus) return { kind: 'libcamera' };
  if (hw.libcameraAf) {
    choices.push('video: continuous autofocus (the camera has a focus lens)');
    return { kind: 'libcamera', autofocus: hw.libcameraAf };
  }
  choices.push('video: the camera has a focus lens, but this libcamerasrc cannot switch autofocus on: the lens stays at its default focus (about 1 m)');
  return { kind: 'libcamera' };
}

/** Pure: config + detected hardware -> a plan, or every reason there cannot be one. */
export function planPipeline(config: DeviceConfig, hw: Hardware, ctx: PlanContext): PlanResult {
  const choices: string[] = [];
  const errors: string[] = [];
  const camera = pickCamera(config, hw, choices, errors);
  const encoder = pickEncoder(config, hw, camera, choices, errors);
  const x264Preset = encoder === 'x264' ? fitX264(config, hw, choices, errors) : null;
  const audio = pickAudio(config, hw, choices);
  if (config.destinations.length === 0 && config.recordDir === null) {
    errors.push('nothing to do: set ROOMCAST_DESTINATIONS, ROOMCAST_RECORD_DIR, or both');
  }
  let input: VideoInput | null = null;
  if (camera === 'test') input = { kind: 'test' };
  else if (camera?.kind === 'picam') input = libcameraInput(camera, hw, choices);
  else if (camera && encoder) input = { kind: 'v4l2', device: camera.device, format: captureFormat(camera, encoder, hw) };
  const needed = requiredElements({ input, encoder, audio, audioDelayMs: config.audioDelayMs, destinations: config.destinations.length, recording: config.recordDir !== null, ipfs: config.destinations.some((d) => d.platform === 'ipfs') });
  for (const el of needed.filter((e) => !hw.elements.has(e))) {
    errors.push(`the GStreamer element ${el} is not installed (Debian package ${PACKAGE_OF[el] ?? 'unknown'})`);
  }
  if (!input || !encoder || errors.length > 0) return { ok: false, errors };

  if (encoder === 'passthrough') choices.push('slate: not available with passthrough (a camera failure restarts the pipeline instead)');
  const plan: PipelinePlan = {
    video: {
      input,
      encoder,
      x264Preset,
      raw: rawFormat(input, encoder),
      slate: encoder === 'passthrough' ? null : { roomName: config.roomName, message: config.slateMessage, image: config.slateImage },
      snapshot: planSnapshot(encoder, config.videoSize, hw, choices),
      width: config.videoSize.width,
      height: config.videoSize.height,
      framerate: config.framerate,
      bitrateKbps: config.videoBitrateKbps,
      keyframeInterval: config.framerate * config.keyframeSeconds,
    },
    audio: { input: audio, bitrateKbps: config.audioBitrateKbps, rate: 48000, channels: 2 },
    testPattern: config.testPattern,
    audioDelayMs: config.audioDelayMs,
    destinations: config.destinations,
    recorder: config.recordDir === null ? null : { dir: config.recordDir, segmentSeconds: config.recordSegmentSeconds, filePrefix: `roomcast-${ctx.sessionStamp}` },
    choices,
  };
  return { ok: true, plan };
}
