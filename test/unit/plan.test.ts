import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Env } from '../../common/config/load.js';
import type { Hardware } from '../../device/hardware/types.js';
import { KNOWN_ELEMENTS } from '../../device/hardware/detect.js';
import { planPipeline, requiredElements, type PipelinePlan } from '../../device/pipeline/plan.js';
import { configFrom } from '../helpers/config.js';
import { ALL_ELEMENTS, C920, C920_H264, C920_MIC, elementsWithout, HDMI_RAW, I2S_MIC, PICAM3, PICAM_LEGACY, pi4, pi5, UMC202HD, USB_MIC } from '../helpers/hardware.js';

const CTX = { sessionStamp: '20261122-141503' };

function plan(env: Env, hw: Hardware): PipelinePlan {
  const result = planPipeline(configFrom(env), hw, CTX);
  if (!result.ok) assert.fail(`expected a plan, got errors: ${result.errors.join('; ')}`);
  return result.plan;
}

function errors(env: Env, hw: Hardware): string[] {
  const result = planPipeline(configFrom(env), hw, CTX);
  if (result.ok) assert.fail('expected the plan to fail');
  return result.errors;
}

function hasError(list: string[], pattern: RegExp): void {
  assert.ok(list.some((e) => pattern.test(e)), `no error matching ${pattern} in ${JSON.stringify(list)}`);
}

describe('video source', () => {
  it('auto prefers a Pi camera over a USB camera', () => {
    const p = plan({}, pi4({ cameras: [C920, { ...PICAM3, device: '/dev/video2' }] }));
    assert.deepEqual(p.video.input, { kind: 'libcamera' });
    assert.ok(p.choices.some((c) => c.startsWith('video: picam')), p.choices.join('\n'));
  });

  it('a Pi camera with a focus lens gets continuous autofocus through the property this libcamerasrc has', () => {
    const cm3 = { ...PICAM3, autofocus: true };
    for (const prop of ['af-mode', 'auto-focus-mode'] as const) {
      const p = plan({}, pi5({ cameras: [cm3], libcameraAf: prop }));
      assert.deepEqual(p.video.input, { kind: 'libcamera', autofocus: prop });
      assert.ok(p.choices.includes('video: continuous autofocus (the camera has a focus lens)'), p.choices.join('\n'));
    }
  });

  it('a focus lens that libcamerasrc cannot drive is said, and the pipeline sets nothing (an unknown property would fail it)', () => {
    const p = plan({}, pi5({ cameras: [{ ...PICAM3, autofocus: true }], libcameraAf: null }));
    assert.deepEqual(p.video.input, { kind: 'libcamera' });
    assert.ok(p.choices.some((c) => c.includes('cannot switch autofocus on')), p.choices.join('\n'));
  });

  it('a fixed-focus Pi camera gets no autofocus (libcamerasrc fails on a camera without AfMode)', () => {
    const p = plan({}, pi5({ cameras: [PICAM3], libcameraAf: 'af-mode' }));
    assert.deepEqual(p.video.input, { kind: 'libcamera' });
    assert.ok(!p.choices.some((c) => c.includes('autofocus')), p.choices.join('\n'));
  });

  it('auto with only a USB camera captures from it', () => {
    const p = plan({}, pi4({ cameras: [C920] }));
    assert.deepEqual(p.video.input, { kind: 'v4l2', device: '/dev/video0', format: 'mjpeg' });
  });

  it('auto with a legacy-stack Pi camera captures it raw through V4L2 (its JPEG would only be decoded again)', () => {
    const p = plan({}, pi4({ cameras: [PICAM_LEGACY] }));
    assert.deepEqual(p.video.input, { kind: 'v4l2', device: '/dev/video0', format: 'raw' });
    assert.deepEqual(p.video.raw, { format: 'I420', colorimetry: 'bt601' });
  });

  it('MJPEG into the hardware encoder is brought to limited-range BT.601 (v4l2h264enc refuses "1:4:0:0"); x264 takes the JPEG\'s own', () => {
    assert.deepEqual(plan({}, pi4({ cameras: [C920] })).video.raw, { format: 'I420', colorimetry: 'bt601' });
    assert.deepEqual(plan({}, pi5({ cameras: [C920] })).video.raw, { format: 'I420', colorimetry: '1:4:0:0' });
  });

  it('auto with no camera falls back to the test pattern and says so', () => {
    const p = plan({}, pi4());
    assert.deepEqual(p.video.input, { kind: 'test' });
    assert.ok(p.choices.some((c) => /test pattern/.test(c)), p.choices.join('\n'));
  });

  it('test uses the test pattern even with a camera attached', () => {
    assert.deepEqual(plan({ ROOMCAST_VIDEO_SOURCE: 'test' }, pi4({ cameras: [C920] })).video.input, { kind: 'test' });
  });

  it('picam without a Pi camera is an error', () => {
    hasError(errors({ ROOMCAST_VIDEO_SOURCE: 'picam' }, pi4({ cameras: [C920] })), /ROOMCAST_VIDEO_SOURCE=picam/);
  });

  it('usb without a USB camera is an error', () => {
    hasError(errors({ ROOMCAST_VIDEO_SOURCE: 'usb' }, pi4({ cameras: [PICAM3] })), /ROOMCAST_VIDEO_SOURCE=usb/);
  });

  it('an explicit device path that was detected uses that camera and its formats', () => {
    const p = plan({ ROOMCAST_VIDEO_SOURCE: '/dev/video2' }, pi4({ cameras: [C920, { ...C920_H264, device: '/dev/video2' }] }));
    assert.deepEqual(p.video.input, { kind: 'v4l2', device: '/dev/video2', format: 'mjpeg' });
  });

  it('an explicit device path that was not detected is opened as raw V4L2', () => {
    const p = plan({ ROOMCAST_VIDEO_SOURCE: '/dev/video4' }, pi4({ cameras: [C920] }));
    assert.deepEqual(p.video.input, { kind: 'v4l2', device: '/dev/video4', format: 'raw' });
    assert.ok(p.choices.some((c) => c.includes('/dev/video4')), p.choices.join('\n'));
  });
});

describe('encoder', () => {
  it('auto on a Pi 4 with the hardware encoder uses v4l2h264enc', () => {
    assert.equal(plan({}, pi4({ cameras: [C920] })).video.encoder, 'v4l2h264enc');
  });

  it('auto on a Pi 4 whose v4l2h264enc element is missing uses x264', () => {
    assert.equal(plan({}, pi4({ elements: elementsWithout('v4l2h264enc') })).video.encoder, 'x264');
  });

  it('auto on a Pi 5 uses x264 and says the Pi 5 has no hardware encoder', () => {
    const p = plan({}, pi5({ cameras: [PICAM3] }));
    assert.equal(p.video.encoder, 'x264');
    assert.ok(p.choices.some((c) => c.includes('Pi 5 has none')), p.choices.join('\n'));
  });

  it('x264 fits the board: a Pi 5 takes 720p30 and 1080p30 at veryfast, 1080p60 at ultrafast, and refuses 2160p30', () => {
    const preset = (size: string, fps: string): string | null => plan({ ROOMCAST_VIDEO_SIZE: size, ROOMCAST_FRAMERATE: fps }, pi5({ cameras: [PICAM3] })).video.x264Preset;
    assert.equal(preset('1280x720', '30'), 'veryfast');
    assert.equal(preset('1920x1080', '30'), 'veryfast');
    assert.equal(preset('1920x1080', '60'), 'ultrafast');
    hasError(errors({ ROOMCAST_VIDEO_SIZE: '3840x2160' }, pi5({ cameras: [PICAM3] })), /x264 cannot encode 3840x2160 at 30 fps on this board within 1 core.*ROOMCAST_VIDEO_SIZE/);
    assert.ok(plan({}, pi5({ cameras: [PICAM3] })).choices.some((c) => /x264 preset veryfast: about 0\.4 of 1 core for 1280x720 at 30 fps/.test(c)));
  });

  it('x264 forced on a Pi 4 drops to a faster preset at 720p30 and refuses 1080p30; off a Pi it is veryfast', () => {
    assert.equal(plan({ ROOMCAST_ENCODER: 'x264' }, pi4()).video.x264Preset, 'superfast');
    hasError(errors({ ROOMCAST_ENCODER: 'x264', ROOMCAST_VIDEO_SIZE: '1920x1080' }, pi4()), /x264 cannot encode 1920x1080/);
    assert.equal(plan({ ROOMCAST_ENCODER: 'x264' }, pi4({ board: { model: null, pi: null } })).video.x264Preset, 'veryfast');
    assert.equal(plan({}, pi4()).video.x264Preset, null);
  });

  it('hardware on a Pi 5 is an error', () => {
    hasError(errors({ ROOMCAST_ENCODER: 'hardware' }, pi5({ cameras: [PICAM3] })), /ROOMCAST_ENCODER=hardware/);
  });

  it('hardware on a Pi 4 uses v4l2h264enc', () => {
    assert.equal(plan({ ROOMCAST_ENCODER: 'hardware' }, pi4()).video.encoder, 'v4l2h264enc');
  });

  it('x264 on a Pi 4 uses x264 even though it has a hardware encoder', () => {
    assert.equal(plan({ ROOMCAST_ENCODER: 'x264' }, pi4()).video.encoder, 'x264');
  });

  it('x264 without the x264enc element is an error', () => {
    hasError(errors({ ROOMCAST_ENCODER: 'x264' }, pi5({ elements: elementsWithout('x264enc') })), /x264enc/);
  });

  it('auto with an encoder and an H.264 camera encodes, and offers passthrough in its choices', () => {
    const p = plan({}, pi5({ cameras: [C920_H264] }));
    assert.equal(p.video.encoder, 'x264');
    assert.ok(p.choices.some((c) => c.includes('ROOMCAST_ENCODER=passthrough saves the encode')), p.choices.join('\n'));
    assert.ok(!plan({}, pi5({ cameras: [C920] })).choices.some((c) => c.includes('passthrough')));
  });

  it('auto with no encoder element but an H.264 camera passes the camera stream through', () => {
    const p = plan({}, pi5({ cameras: [C920_H264], elements: elementsWithout('x264enc') }));
    assert.equal(p.video.encoder, 'passthrough');
    assert.deepEqual(p.video.input, { kind: 'v4l2', device: '/dev/video0', format: 'h264' });
  });

  it('auto with no encoder element and no H.264 camera is an error', () => {
    hasError(errors({}, pi5({ cameras: [C920], elements: elementsWithout('x264enc') })), /no H\.264 encoder/);
  });

  it('passthrough with an H.264 camera captures H.264', () => {
    const p = plan({ ROOMCAST_ENCODER: 'passthrough' }, pi4({ cameras: [C920_H264] }));
    assert.equal(p.video.encoder, 'passthrough');
    assert.deepEqual(p.video.input, { kind: 'v4l2', device: '/dev/video0', format: 'h264' });
  });

  it('passthrough with a camera that does not send H.264 is an error', () => {
    hasError(errors({ ROOMCAST_ENCODER: 'passthrough' }, pi4({ cameras: [C920] })), /ROOMCAST_ENCODER=passthrough/);
  });

  it('passthrough with the test pattern is an error', () => {
    hasError(errors({ ROOMCAST_ENCODER: 'passthrough', ROOMCAST_VIDEO_SOURCE: 'test' }, pi4()), /ROOMCAST_ENCODER=passthrough/);
  });
});

describe('capture format', () => {
  it('prefers MJPEG over raw when encoding', () => {
    assert.deepEqual(plan({ ROOMCAST_ENCODER: 'x264' }, pi4({ cameras: [C920_H264] })).video.input, { kind: 'v4l2', device: '/dev/video0', format: 'mjpeg' });
  });

  it('captures raw from a camera without MJPEG', () => {
    assert.deepEqual(plan({}, pi4({ cameras: [HDMI_RAW] })).video.input, { kind: 'v4l2', device: '/dev/video2', format: 'raw' });
  });
});

describe('audio', () => {
  it('auto with a USB microphone opens it through ALSA', () => {
    assert.deepEqual(plan({}, pi4({ microphones: [I2S_MIC, USB_MIC] })).audio.input, { kind: 'alsa', device: 'hw:CARD=Device,DEV=0' });
  });

  it('auto ignores capture cards that are not USB', () => {
    assert.deepEqual(plan({}, pi4({ microphones: [I2S_MIC] })).audio.input, { kind: 'silence' });
  });

  it('auto without a microphone sends silence', () => {
    const p = plan({}, pi4());
    assert.deepEqual(p.audio.input, { kind: 'silence' });
    assert.ok(p.choices.some((c) => c.startsWith('audio: no USB microphone')), p.choices.join('\n'));
  });

  it('auto with a USB microphone but no alsasrc sends silence', () => {
    assert.deepEqual(plan({}, pi4({ microphones: [USB_MIC], elements: elementsWithout('alsasrc') })).audio.input, { kind: 'silence' });
  });

  it('none sends silence even with a microphone', () => {
    assert.deepEqual(plan({ ROOMCAST_AUDIO_SOURCE: 'none' }, pi4({ microphones: [USB_MIC] })).audio.input, { kind: 'silence' });
  });

  it('test sends the test tone', () => {
    assert.deepEqual(plan({ ROOMCAST_AUDIO_SOURCE: 'test' }, pi4()).audio.input, { kind: 'test' });
  });

  it('an explicit ALSA device is used as given', () => {
    assert.deepEqual(plan({ ROOMCAST_AUDIO_SOURCE: 'hw:2,0' }, pi4({ microphones: [USB_MIC] })).audio.input, { kind: 'alsa', device: 'hw:2,0' });
  });

  describe("a webcam's microphone and a USB audio interface", () => {
    const interfaceChoice = `audio: USB audio "UMC202HD 192k" at hw:CARD=U192k,DEV=0, not the webcam's microphone on card C920 (ROOMCAST_AUDIO_SOURCE=auto)`;

    it('auto takes the interface when the webcam is card 1 and the interface card 2', () => {
      const p = plan({}, pi4({ cameras: [C920], microphones: [C920_MIC, UMC202HD] }));
      assert.deepEqual(p.audio.input, { kind: 'alsa', device: 'hw:CARD=U192k,DEV=0' });
      assert.ok(p.choices.includes(interfaceChoice), p.choices.join('\n'));
    });

    it('auto takes the interface when the cards come the other way round', () => {
      const p = plan({}, pi4({ cameras: [C920], microphones: [{ ...UMC202HD, card: 1 }, { ...C920_MIC, card: 2 }] }));
      assert.deepEqual(p.audio.input, { kind: 'alsa', device: 'hw:CARD=U192k,DEV=0' });
      assert.ok(p.choices.includes(interfaceChoice), p.choices.join('\n'));
    });

    it("auto with only the webcam's microphone takes it, and says to plug an interface", () => {
      const p = plan({}, pi4({ cameras: [C920], microphones: [I2S_MIC, C920_MIC] }));
      assert.deepEqual(p.audio.input, { kind: 'alsa', device: 'hw:CARD=C920,DEV=0' });
      assert.ok(p.choices.includes(`audio: the webcam's microphone "HD Pro Webcam C920" at hw:CARD=C920,DEV=0 (ROOMCAST_AUDIO_SOURCE=auto)`), p.choices.join('\n'));
      assert.ok(p.choices.includes("audio: only the webcam's microphone was found (card C920): plug a USB audio interface for the talk's sound"), p.choices.join('\n'));
    });

    it("says nothing of webcams when there is no webcam's microphone", () => {
      const p = plan({}, pi4({ microphones: [UMC202HD] }));
      assert.deepEqual(p.choices.filter((c) => c.startsWith('audio:')), ['audio: USB audio "UMC202HD 192k" at hw:CARD=U192k,DEV=0 (ROOMCAST_AUDIO_SOURCE=auto)']);
    });

    it("an explicit ALSA device is never second-guessed, even the webcam's", () => {
      const p = plan({ ROOMCAST_AUDIO_SOURCE: 'hw:CARD=C920,DEV=0' }, pi4({ cameras: [C920], microphones: [C920_MIC, UMC202HD] }));
      assert.deepEqual(p.audio.input, { kind: 'alsa', device: 'hw:CARD=C920,DEV=0' });
      assert.deepEqual(p.choices.filter((c) => c.startsWith('audio:')), []);
    });
  });

  it('is 48 kHz stereo at the configured bitrate', () => {
    assert.deepEqual(plan({ ROOMCAST_AUDIO_BITRATE: '160' }, pi4()).audio, { input: { kind: 'silence' }, bitrateKbps: 160, rate: 48000, channels: 2 });
  });
});

describe('numbers, destinations and recorder', () => {
  it('keyframeInterval is framerate x keyframe seconds; size and bitrate are copied', () => {
    const p = plan({ ROOMCAST_FRAMERATE: '25', ROOMCAST_KEYFRAME_SECONDS: '3', ROOMCAST_VIDEO_SIZE: '1920x1080', ROOMCAST_VIDEO_BITRATE: '4500' }, pi4());
    assert.equal(p.video.keyframeInterval, 75);
    assert.deepEqual([p.video.width, p.video.height, p.video.framerate, p.video.bitrateKbps], [1920, 1080, 25, 4500]);
  });

  it('copies the audio delay', () => {
    assert.equal(plan({ ROOMCAST_AUDIO_DELAY_MS: '120' }, pi4()).audioDelayMs, 120);
  });

  it('with no destinations and no recording directory there is nothing to do', () => {
    hasError(errors({ ROOMCAST_DESTINATIONS: '' }, pi4()), /^nothing to do/);
  });

  it('recording alone is enough', () => {
    const p = plan({ ROOMCAST_DESTINATIONS: '', ROOMCAST_RECORD_DIR: '/data/recordings' }, pi4());
    assert.deepEqual(p.destinations, []);
    assert.notEqual(p.recorder, null);
  });

  it('the recorder uses the record dir, segment length and the session stamp', () => {
    const p = plan({ ROOMCAST_RECORD_DIR: '/data/recordings', ROOMCAST_RECORD_SEGMENT_SECONDS: '30' }, pi4());
    assert.deepEqual(p.recorder, { dir: '/data/recordings', segmentSeconds: 30, filePrefix: 'roomcast-20261122-141503' });
  });

  it('there is no recorder without a record dir', () => {
    assert.equal(plan({}, pi4()).recorder, null);
  });

  it('passes the destinations through in order', () => {
    const p = plan({ ROOMCAST_DESTINATIONS: 'youtube:abcd-efgh-ijkl twitch:live_1234_abcd youtube:mnop-qrst-uvwx' }, pi4());
    assert.deepEqual(p.destinations.map((d) => d.id), ['youtube', 'twitch', 'youtube-2']);
  });
});

describe('snapshot', () => {
  it('takes stills off the raw picture: 640 wide at most, quality first, then half size', () => {
    const p = plan({ ROOMCAST_VIDEO_SIZE: '1920x1080' }, pi4());
    assert.deepEqual(p.video.snapshot?.steps[0], { width: 640, height: 360, quality: 85 });
    assert.deepEqual(p.video.snapshot?.steps.at(-1), { width: 320, height: 180, quality: 30 });
  });

  it('follows the picture\'s own size and aspect', () => {
    assert.deepEqual(plan({ ROOMCAST_VIDEO_SIZE: '640x480' }, pi4()).video.snapshot?.steps[0], { width: 640, height: 480, quality: 85 });
  });

  it('is not planned with passthrough, and says why', () => {
    const p = plan({ ROOMCAST_ENCODER: 'passthrough' }, pi4({ cameras: [C920_H264] }));
    assert.equal(p.video.snapshot, null);
    assert.ok(p.choices.some((c) => /snapshot: not available with passthrough/.test(c)), p.choices.join('\n'));
  });

  it('a missing JPEG encoder costs the stills, not the stream, and names the package', () => {
    const p = plan({}, pi4({ elements: elementsWithout('jpegenc') }));
    assert.equal(p.video.snapshot, null);
    assert.ok(p.choices.some((c) => /snapshot: not available, jpegenc not installed \(gstreamer1\.0-plugins-good\)/.test(c)), p.choices.join('\n'));
  });
});

describe('missing elements and several errors', () => {
  for (const el of ['voaacenc', 'rtmp2sink', 'flvmux', 'flvdemux', 'tcpserversink', 'tcpclientsrc', 'splitmuxsink', 'mpegtsmux']) {
    it(`a missing ${el} is an error naming it (when recording and streaming)`, () => {
      hasError(errors({ ROOMCAST_RECORD_DIR: '/data/rec' }, pi4({ elements: elementsWithout(el) })), new RegExp(`\\b${el}\\b`));
    });
  }

  it('does not need the recorder elements when not recording, nor the RTMP ones when only recording', () => {
    assert.ok(plan({}, pi4({ elements: elementsWithout('splitmuxsink', 'mpegtsmux') })));
    assert.ok(plan({ ROOMCAST_DESTINATIONS: '', ROOMCAST_RECORD_DIR: '/data/rec' }, pi4({ elements: elementsWithout('rtmp2sink', 'flvmux', 'flvdemux', 'tcpserversink', 'tcpclientsrc') })));
  });

  it('streaming needs the loopback fan-out elements: tcpserversink, tcpclientsrc and flvdemux', () => {
    const needed = requiredElements({ input: { kind: 'test' }, encoder: 'x264', audio: { kind: 'silence' }, audioDelayMs: 0, destinations: 1, recording: false });
    for (const el of ['flvmux', 'flvdemux', 'tcpserversink', 'tcpclientsrc', 'rtmp2sink']) assert.ok(needed.includes(el), `${el} not required: ${needed.join(', ')}`);
    const recordOnly = requiredElements({ input: { kind: 'test' }, encoder: 'x264', audio: { kind: 'silence' }, audioDelayMs: 0, destinations: 0, recording: true });
    for (const el of ['flvmux', 'flvdemux', 'tcpserversink', 'tcpclientsrc', 'rtmp2sink']) assert.ok(!recordOnly.includes(el), `${el} required without destinations`);
  });

  it('names the Debian package that holds a missing tcpserversink', () => {
    hasError(errors({}, pi4({ elements: elementsWithout('tcpserversink') })), /tcpserversink.*gstreamer1\.0-plugins-base/);
  });

  it('names the Debian packages of the other relay elements', () => {
    hasError(errors({}, pi4({ elements: elementsWithout('tcpclientsrc') })), /tcpclientsrc.*gstreamer1\.0-plugins-base/);
    hasError(errors({}, pi4({ elements: elementsWithout('flvdemux') })), /flvdemux.*gstreamer1\.0-plugins-good/);
  });

  it('detection looks up every element a plan can need, and each has a known package', () => {
    const parts: Parameters<typeof requiredElements>[0][] = [
      { input: { kind: 'libcamera' }, encoder: 'x264', audio: { kind: 'alsa', device: 'hw:1,0' }, audioDelayMs: 100, destinations: 2, recording: true },
      { input: { kind: 'v4l2', device: '/dev/video0', format: 'mjpeg' }, encoder: 'v4l2h264enc', audio: { kind: 'test' }, audioDelayMs: 0, destinations: 1, recording: true },
    ];
    const needed = new Set(parts.flatMap((p) => requiredElements(p)));
    for (const el of needed) {
      assert.ok((KNOWN_ELEMENTS as readonly string[]).includes(el), `${el} is required but never detected`);
      assert.ok(ALL_ELEMENTS.includes(el), `the fake hardware lacks ${el}`);
    }
    for (const el of ['flvdemux', 'tcpserversink', 'tcpclientsrc']) assert.ok(pi4().elements.has(el), `fake hardware lacks ${el}`);
    for (const el of ['flvdemux', 'tcpserversink', 'tcpclientsrc', 'rtmp2sink', 'flvmux', 'voaacenc', 'h264parse', 'aacparse']) {
      const list = errors({ ROOMCAST_RECORD_DIR: '/data/rec' }, pi4({ elements: elementsWithout(el) }));
      hasError(list, new RegExp(`\\b${el}\\b.*\\(Debian package gstreamer1\\.0-[a-z-]+\\)`));
    }
  });

  it('names the Debian package that holds a missing splitmuxsink', () => {
    hasError(errors({ ROOMCAST_RECORD_DIR: '/data/rec' }, pi4({ elements: elementsWithout('splitmuxsink') })), /splitmuxsink.*gstreamer1\.0-plugins-good/);
  });

  it('reports every error together', () => {
    const list = errors({ ROOMCAST_VIDEO_SOURCE: 'picam', ROOMCAST_DESTINATIONS: '' }, pi4({ cameras: [C920], elements: elementsWithout('rtmp2sink', 'voaacenc') }));
    // No destinations: rtmp2sink is not needed, so its absence is no error.
    assert.equal(list.length, 3, JSON.stringify(list));
    hasError(list, /picam/);
    hasError(list, /nothing to do/);
    hasError(list, /voaacenc/);
  });

  it('reports an encoder error together with a camera error', () => {
    const list = errors({ ROOMCAST_VIDEO_SOURCE: 'picam', ROOMCAST_ENCODER: 'hardware' }, pi5());
    hasError(list, /ROOMCAST_VIDEO_SOURCE=picam/);
    hasError(list, /ROOMCAST_ENCODER=hardware/);
  });

  const sourceElements: [string, Env, Hardware][] = [
    ['libcamerasrc', {}, pi4({ cameras: [PICAM3], elements: elementsWithout('libcamerasrc') })],
    ['v4l2src', {}, pi4({ cameras: [C920], elements: elementsWithout('v4l2src') })],
    ['alsasrc', { ROOMCAST_AUDIO_SOURCE: 'hw:CARD=Device,DEV=0' }, pi4({ elements: elementsWithout('alsasrc') })],
  ];
  for (const [el, env, hw] of sourceElements) {
    it(`a plan that needs ${el} fails when it is not installed`, () => {
      hasError(errors(env, hw), new RegExp(el));
    });
  }

  it('does not plan MJPEG capture without jpegdec', () => {
    const result = planPipeline(configFrom({}), pi4({ cameras: [C920], elements: elementsWithout('jpegdec') }), CTX);
    if (result.ok) assert.deepEqual(result.plan.video.input, { kind: 'v4l2', device: '/dev/video0', format: 'raw' });
    else hasError(result.errors, /jpegdec/);
  });
});
