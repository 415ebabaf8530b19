import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../common/config/load.js';
import type { Destination } from '../../common/destination.js';
import type { PipelinePlan } from '../../device/pipeline/plan.js';
import { alsaCardPath, CHANNELS, quote, renderCore, renderDestination, renderIpfsSegmenter, renderSlate, renderSources, SOURCE_NAMES, type RenderedPipeline } from '../../device/pipeline/render.js';
import { parseLaunch, unquote, type LaunchElement } from '../helpers/launch.js';

const YT_KEY = 'abcd-efgh-ijkl-mnop-qrst';
const TWITCH_KEY = 'live_123456789_AbCdEfGhIjKlMnOp';
const CUSTOM_KEY = 'streamkey987654';
const CUSTOM_PASSWORD = 's3cretpassword';

function destinations(words: string): Destination[] {
  const result = loadConfig({ ROOMCAST_DESTINATIONS: words });
  if (!result.ok) throw result.error;
  return result.config.destinations;
}

const THREE = destinations(`youtube:${YT_KEY} twitch:${TWITCH_KEY} rtmps://alice:${CUSTOM_PASSWORD}@ingest.example.com:443/app/${CUSTOM_KEY}`);
const SECRETS = [YT_KEY, TWITCH_KEY, CUSTOM_KEY, CUSTOM_PASSWORD, ...THREE.map((d) => d.url)];

function dest(id: string): Destination {
  const d = THREE.find((x) => x.id === id);
  assert.ok(d, `no destination ${id}`);
  return d;
}

type PlanOverrides = Partial<Omit<PipelinePlan, 'video' | 'audio'>> & { video?: Partial<PipelinePlan['video']>; audio?: Partial<PipelinePlan['audio']> };

/** A 720p30 x264 test-pattern plan with silent audio to one YouTube destination, changed by `over`. */
function makePlan(over: PlanOverrides = {}): PipelinePlan {
  const { video, audio, ...rest } = over;
  return {
    video: {
      input: { kind: 'test' },
      encoder: 'x264',
      x264Preset: 'veryfast',
      raw: { format: 'I420', colorimetry: 'bt601' },
      slate: { roomName: 'Main hall', message: "We'll be right back", image: null },
      snapshot: null,
      width: 1280,
      height: 720,
      framerate: 30,
      bitrateKbps: 2500,
      keyframeInterval: 60,
      ...video,
    },
    audio: { input: { kind: 'silence' }, bitrateKbps: 128, rate: 48000, channels: 2, ...audio },
    testPattern: 'bars',
    audioDelayMs: 0,
    destinations: destinations(`youtube:${YT_KEY}`),
    recorder: null,
    choices: [],
    ...rest,
  };
}

function core(over: PlanOverrides = {}, opts: { fanoutPort?: number } = {}): RenderedPipeline {
  return renderCore(makePlan(over), opts);
}

function launchOf(over: PlanOverrides = {}): LaunchElement[][] {
  return parseLaunch(core(over).launch);
}

function all(branches: LaunchElement[][], factory: string): LaunchElement[] {
  return branches.flat().filter((e) => e.factory === factory);
}

/** The properties of the only element made by `factory`. */
function only(branches: LaunchElement[][], factory: string): Record<string, string> {
  const found = all(branches, factory);
  assert.equal(found.length, 1, `${found.length} ${factory} elements`);
  return found[0]?.props ?? {};
}

/** The properties of the element called `name`. */
function named(branches: LaunchElement[][], name: string): Record<string, string> {
  const found = branches.flat().filter((e) => e.props['name'] === name);
  assert.equal(found.length, 1, `${found.length} elements named ${name}`);
  return found[0]?.props ?? {};
}

/** Factories (and caps) of the branch that starts with `first`. */
function branch(branches: LaunchElement[][], first: string): string[] {
  const b = branches.find((x) => x[0]?.factory === first);
  assert.ok(b, `no branch starting with ${first}`);
  return b.map((e) => e.factory);
}

const VIDEO_CAPS = 'width=1280,height=720,framerate=30/1';
const MUX_LATENCY = '500000000';

/** The source pipelines of a plan, parsed. */
function sourcesOf(over: PlanOverrides = {}): { feeds: { video: boolean; audio: boolean }; requires: string[]; branches: LaunchElement[][] }[] {
  return renderSources(makePlan(over)).map((s) => ({ feeds: s.feeds, requires: s.requires, branches: parseLaunch(s.launch) }));
}

const RAW = 'video/x-raw,format=I420,width=1280,height=720,pixel-aspect-ratio=1/1,colorimetry=bt601';

describe('core: video', () => {
  it('x264 has a fixed keyframe interval, constant bitrate and main profile', () => {
    const b = launchOf({ video: { keyframeInterval: 50, bitrateKbps: 3000 } });
    const x264 = only(b, 'x264enc');
    assert.equal(x264['key-int-max'], '50');
    assert.equal(x264['bitrate'], '3000');
    assert.equal(x264['pass'], 'cbr');
    const options = unquote(x264['option-string'] ?? '').split(':');
    for (const o of ['scenecut=0', 'nal-hrd=cbr', 'filler=1']) assert.ok(options.includes(o), `option-string lacks ${o}: ${options.join(':')}`);
    assert.deepEqual(branch(b, 'input-selector').slice(0, 2), ['input-selector', 'x264enc']);
    assert.deepEqual(all(b, 'v4l2h264enc'), []);
  });

  it("x264 runs at the planner's preset", () => {
    assert.equal(only(launchOf({}), 'x264enc')['speed-preset'], 'veryfast');
    assert.equal(only(launchOf({ video: { x264Preset: 'ultrafast' } }), 'x264enc')['speed-preset'], 'ultrafast');
  });

  it('v4l2h264enc gets bitrate and keyframe period through extra-controls', () => {
    const b = launchOf({ video: { encoder: 'v4l2h264enc', keyframeInterval: 60, bitrateKbps: 2500 } });
    const controls = unquote(only(b, 'v4l2h264enc')['extra-controls'] ?? '').split(',');
    assert.equal(controls[0], 'controls');
    for (const c of ['video_bitrate_mode=1', 'video_bitrate=2500000', 'h264_i_frame_period=60', 'repeat_sequence_header=1']) assert.ok(controls.includes(c), `extra-controls lacks ${c}`);
    const chain = branch(b, 'input-selector');
    assert.equal(chain[chain.indexOf('v4l2h264enc') + 1], 'video/x-h264,profile=main,level=(string)4');
    assert.deepEqual(all(b, 'x264enc'), []);
  });

  it('reads the camera and the slate channels at the exact raw caps, into one selector (camera first)', () => {
    const r = core();
    const b = parseLaunch(r.launch);
    const srcs = all(b, 'intervideosrc');
    assert.deepEqual(srcs.map((e) => e.props['channel']), [CHANNELS.camera, CHANNELS.slate]);
    assert.deepEqual(branch(b, 'intervideosrc'), ['intervideosrc', `${RAW},framerate=30/1`, 'slatesel.sink_0']);
    assert.equal(r.names.selector, 'slatesel');
    assert.equal(only(b, 'input-selector')['name'], 'slatesel');
    for (const absent of ['videotestsrc', 'v4l2src', 'audiotestsrc']) assert.deepEqual(all(b, absent), [], `${absent} belongs in a source pipeline`);
  });

  it('passthrough captures in the core, with no encoder, no selector and no slate', () => {
    const plan = { video: { input: { kind: 'v4l2', device: '/dev/video0', format: 'h264' }, encoder: 'passthrough', slate: null } } as const;
    const r = core(plan);
    const b = parseLaunch(r.launch);
    assert.deepEqual(branch(b, 'v4l2src'), ['v4l2src', `video/x-h264,${VIDEO_CAPS}`, 'h264parse', 'h264parse', 'tee']);
    for (const absent of ['x264enc', 'v4l2h264enc', 'videoconvert', 'input-selector', 'intervideosrc']) assert.deepEqual(all(b, absent), [], absent);
    assert.equal(r.names.selector, null);
    assert.equal(renderSlate(makePlan(plan)), null);
    assert.deepEqual(sourcesOf({ ...plan, audio: { input: { kind: 'test' } } }).map((s) => s.feeds), [{ video: false, audio: true }]);
  });

  it('the encoded video is parsed with in-band SPS/PPS and teed', () => {
    const chain = branch(parseLaunch(core().launch), 'input-selector');
    assert.deepEqual(chain.slice(-2), ['h264parse', 'tee']);
    const b = parseLaunch(core().launch);
    assert.deepEqual(all(b, 'h264parse')[0]?.props, { 'config-interval': '-1' });
  });
});

describe('core: audio', () => {
  it('reads the microphone channel with a 10 ms period, meters and encodes it to AAC at the planned bitrate', () => {
    const b = launchOf({ audio: { bitrateKbps: 160 } });
    assert.deepEqual(only(b, 'interaudiosrc'), { channel: CHANNELS.mic, 'buffer-time': '200000000', 'latency-time': '10000000', 'period-time': '10000000' });
    const raw = 'audio/x-raw,format=S16LE,layout=interleaved,rate=48000,channels=2';
    assert.deepEqual(branch(b, 'interaudiosrc'), ['interaudiosrc', raw, 'level', 'audiomixer', raw, 'voaacenc', 'aacparse', 'tee']);
    assert.equal(only(b, 'voaacenc')['bitrate'], '160000');
    assert.deepEqual(all(b, 'tee').map((e) => e.props['name']), ['vtee', 'atee']);
  });

  it('holds the sound back half a frame, the average wait of a frame in the camera channel', () => {
    assert.equal(only(launchOf({ audioDelayMs: 0 }), 'audiomixer')['sink_0::offset'], '16666667');
    assert.equal(only(launchOf({ audioDelayMs: 0, video: { framerate: 25 } }), 'audiomixer')['sink_0::offset'], '20000000');
  });

  it('has no audiomixer with passthrough (no channel) and no audio delay', () => {
    assert.deepEqual(all(launchOf({ audioDelayMs: 0, video: { input: { kind: 'v4l2', device: '/dev/video0', format: 'h264' }, encoder: 'passthrough', slate: null } }), 'audiomixer'), []);
  });

  it('delays audio with an audiomixer pad offset in nanoseconds, after the meter, before the encoder', () => {
    const b = launchOf({ audioDelayMs: 150 });
    assert.equal(only(b, 'audiomixer')['sink_0::offset'], String(150_000_000 + 16_666_667));
    const chain = branch(b, 'interaudiosrc');
    assert.equal(chain[chain.indexOf('audiomixer') + 2], 'voaacenc');
    assert.ok(chain.indexOf('level') < chain.indexOf('audiomixer'), 'the meter reads the sound before the delay');
  });
});

describe('source pipelines', () => {
  it('the camera and the microphone are separate pipelines, each with a fault point, into their channels', () => {
    const [video, audio, ...rest] = sourcesOf({ audio: { input: { kind: 'test' } } });
    assert.deepEqual(rest, []);
    assert.deepEqual(video?.feeds, { video: true, audio: false });
    assert.deepEqual(audio?.feeds, { video: false, audio: true });
    const v = video?.branches[0]?.map((e) => e.factory) ?? [];
    assert.deepEqual(v.slice(-6), ['capsfilter', 'videorate', 'videoconvert', 'videoscale', RAW, 'intervideosink']);
    const vb = video?.branches ?? [];
    assert.deepEqual(only(vb, 'capsfilter'), { name: SOURCE_NAMES.videoFault });
    assert.deepEqual(only(vb, 'videorate'), { name: SOURCE_NAMES.videoCounter, 'drop-only': 'true', 'max-rate': '30' });
    assert.deepEqual(only(vb, 'intervideosink'), { channel: CHANNELS.camera, sync: 'false' });
    const ab = audio?.branches ?? [];
    assert.deepEqual(only(ab, 'capsfilter'), { name: SOURCE_NAMES.audioFault });
    assert.deepEqual(only(ab, 'interaudiosink'), { channel: CHANNELS.mic, sync: 'false' });
  });

  it('the test pattern is a live videotestsrc with a clock overlay; the test tone a quiet 440 Hz sine', () => {
    const [video, audio] = sourcesOf({ audio: { input: { kind: 'test' } } });
    const vb = video?.branches ?? [];
    assert.equal(only(vb, 'videotestsrc')['is-live'], 'true');
    assert.equal(only(vb, 'videotestsrc')['name'], SOURCE_NAMES.testVideo);
    assert.deepEqual(branch(vb, 'videotestsrc').slice(0, 3), ['videotestsrc', `video/x-raw,${VIDEO_CAPS}`, 'timeoverlay']);
    assert.deepEqual(only(audio?.branches ?? [], 'audiotestsrc'), { 'is-live': 'true', wave: 'sine', freq: '440', volume: '0.05' });
  });

  it('the A/V sync pattern flashes once a second and beeps on the same clock, in one pipeline', () => {
    const sources = sourcesOf({ audio: { input: { kind: 'test' } }, testPattern: 'avsync' });
    assert.equal(sources.length, 1);
    assert.deepEqual(sources[0]?.feeds, { video: true, audio: true });
    const b = sources[0]?.branches ?? [];
    assert.equal(only(b, 'videotestsrc')['pattern'], 'blink');
    assert.deepEqual(branch(b, 'videotestsrc').slice(0, 2), ['videotestsrc', 'video/x-raw,width=1280,height=720,framerate=1/1']);
    assert.equal(only(b, 'audiotestsrc')['wave'], 'ticks');
  });

  it('silence (ROOMCAST_AUDIO_SOURCE=none) needs no source: the core\'s channel sends silence by itself', () => {
    assert.deepEqual(sourcesOf().map((s) => s.feeds), [{ video: true, audio: false }]);
  });

  it('an ALSA device is quoted, does not provide the clock, and waits for its card to exist', () => {
    const [, audio] = sourcesOf({ audio: { input: { kind: 'alsa', device: 'hw:CARD=Device,DEV=0' } } });
    const alsa = only(audio?.branches ?? [], 'alsasrc');
    assert.equal(alsa['device'], '"hw:CARD=Device,DEV=0"');
    assert.equal(alsa['provide-clock'], 'false');
    assert.deepEqual(audio?.requires, ['/proc/asound/Device']);
    assert.equal(alsaCardPath('plughw:1,0'), '/proc/asound/card1');
    assert.equal(alsaCardPath('default'), null);
  });

  it('a Pi camera is captured with libcamerasrc as NV12, and brought to NV12 BT.709', () => {
    const [video] = sourcesOf({ video: { input: { kind: 'libcamera' }, raw: { format: 'NV12', colorimetry: 'bt709' } } });
    const chain = branch(video?.branches ?? [], 'libcamerasrc');
    assert.deepEqual(chain.slice(0, 3), ['libcamerasrc', `video/x-raw,${VIDEO_CAPS},format=NV12`, 'capsfilter']);
    assert.ok(chain.includes('video/x-raw,format=NV12,width=1280,height=720,pixel-aspect-ratio=1/1,colorimetry=bt709'));
  });

  it('autofocus is set on libcamerasrc as AfModeContinuous (2) under the planned property, and nothing else', () => {
    for (const prop of ['af-mode', 'auto-focus-mode'] as const) {
      const [video] = sourcesOf({ video: { input: { kind: 'libcamera', autofocus: prop }, raw: { format: 'NV12', colorimetry: 'bt709' } } });
      assert.deepEqual(only(video?.branches ?? [], 'libcamerasrc'), { [prop]: '2' });
    }
    const [fixed] = sourcesOf({ video: { input: { kind: 'libcamera' }, raw: { format: 'NV12', colorimetry: 'bt709' } } });
    assert.deepEqual(only(fixed?.branches ?? [], 'libcamerasrc'), {});
  });

  it('MJPEG capture is decoded with jpegdec; a V4L2 camera is waited for while its node is gone', () => {
    const [video] = sourcesOf({ video: { input: { kind: 'v4l2', device: '/dev/video0', format: 'mjpeg' } } });
    const b = video?.branches ?? [];
    assert.deepEqual(branch(b, 'v4l2src').slice(0, 4), ['v4l2src', `image/jpeg,${VIDEO_CAPS}`, 'jpegdec', 'capsfilter']);
    assert.equal(only(b, 'v4l2src')['device'], '/dev/video0');
    assert.equal(only(b, 'v4l2src')['do-timestamp'], 'true');
    assert.deepEqual(video?.requires, ['/dev/video0']);
  });

  it('raw capture goes straight to the fault point', () => {
    const [video] = sourcesOf({ video: { input: { kind: 'v4l2', device: '/dev/video2', format: 'raw' } } });
    assert.deepEqual(branch(video?.branches ?? [], 'v4l2src').slice(0, 3), ['v4l2src', `video/x-raw,${VIDEO_CAPS}`, 'capsfilter']);
    assert.deepEqual(all(video?.branches ?? [], 'jpegdec'), []);
  });
});

describe('slate', () => {
  it('is one frame of a dark background with the room name and message, at the camera\'s exact caps', () => {
    const b = parseLaunch(renderSlate(makePlan()) ?? '');
    assert.equal(only(b, 'videotestsrc')['num-buffers'], '1');
    assert.deepEqual(all(b, 'textoverlay').map((e) => unquote(e.props['text'] ?? '')), ['Main hall', "We'll be right back"]);
    assert.deepEqual(branch(b, 'videotestsrc').slice(-3), ['videoconvert', RAW, 'intervideosink']);
    assert.deepEqual(only(b, 'intervideosink'), { channel: CHANNELS.slate, sync: 'false' });
  });

  it('uses a configured picture, scaled to fit with borders, text on a shaded band', () => {
    const b = parseLaunch(renderSlate(makePlan({ video: { slate: { roomName: 'Room "B"', message: '', image: '/data/slate.png' } } })) ?? '');
    assert.equal(only(b, 'filesrc')['location'], '/data/slate.png');
    assert.equal(only(b, 'videoscale')['add-borders'], 'true');
    const text = only(b, 'textoverlay');
    assert.equal(unquote(text['text'] ?? ''), 'Room "B"');
    assert.equal(text['shaded-background'], 'true');
  });

  it('without a room name or message, is the background alone', () => {
    assert.deepEqual(all(parseLaunch(renderSlate(makePlan({ video: { slate: { roomName: '', message: '', image: null } } })) ?? ''), 'textoverlay'), []);
  });
});

describe('core: fan-out to the destinations', () => {
  it('one FLV mux served on loopback by a tcpserversink that never blocks on a slow relay', () => {
    const r = core({ destinations: THREE }, { fanoutPort: 45123 });
    const b = parseLaunch(r.launch);
    assert.deepEqual(only(b, 'flvmux'), { name: 'flv', streamable: 'true', latency: MUX_LATENCY });
    assert.deepEqual(only(b, 'tcpserversink'), {
      name: 'fanout',
      host: '127.0.0.1',
      port: '45123',
      sync: 'false',
      'sync-method': 'latest-keyframe',
      'recover-policy': 'keyframe',
      'unit-format': 'time',
      'units-soft-max': '2000000000',
      'units-max': '4000000000',
    });
    assert.deepEqual(branch(b, 'flvmux'), ['flvmux', 'tcpserversink']);
    assert.equal(r.names.fanout, 'fanout');
  });

  it('the kernel picks the port unless one is given', () => {
    assert.equal(only(parseLaunch(core().launch), 'tcpserversink')['port'], '0');
    assert.equal(only(parseLaunch(core({}, { fanoutPort: 0 }).launch), 'tcpserversink')['port'], '0');
  });

  it('the teed video and audio feed the FLV mux through their own queues', () => {
    const b = launchOf();
    const feeds = b.filter((x) => x.at(-1)?.factory.startsWith('flv.'));
    assert.deepEqual(feeds.map((x) => x.map((e) => e.factory)), [
      ['vtee.', 'queue', 'h264parse', 'flv.video'],
      ['atee.', 'queue', 'flv.audio'],
    ]);
    for (const f of feeds) assert.equal(f[1]?.props['max-size-time'], '2000000000');
  });

  it('the core holds no rtmp2sink and no secret, however many destinations', () => {
    const r = core({ destinations: THREE, recorder: { dir: '/data/recordings', segmentSeconds: 60, filePrefix: 'roomcast-x' } });
    const visible = r.launch + JSON.stringify(r.names);
    for (const secret of SECRETS) assert.ok(!visible.includes(secret), `core launch shows ${secret}`);
    assert.ok(!/rtmps?:\/\//.test(r.launch), r.launch);
    assert.deepEqual(all(parseLaunch(r.launch), 'rtmp2sink'), []);
    assert.deepEqual(r.secretProperties, {});
    assert.equal(r.names.rtmpSink, null);
    assert.equal(all(parseLaunch(r.launch), 'tcpserversink').length, 1);
  });

  it('without destinations there is no FLV mux and no tcpserversink', () => {
    const r = core({ destinations: [], recorder: { dir: '/data', segmentSeconds: 60, filePrefix: 'roomcast-x' } });
    for (const absent of ['tcpserversink', 'flvmux', 'flv.', 'rtmp2sink']) assert.ok(!r.launch.includes(absent), absent);
    assert.deepEqual(r.secretProperties, {});
    assert.deepEqual(r.names, { fanout: null, rtmpSink: null, recorder: 'rec', selector: 'slatesel', snapshot: null });
  });
});

describe('core: snapshot branch', () => {
  const STILLS = { steps: [{ width: 640, height: 360, quality: 85 }, { width: 320, height: 180, quality: 30 }] };

  it('tees the raw picture after the slate selector, before the encoder', () => {
    const b = launchOf({ video: { snapshot: STILLS } });
    assert.deepEqual(branch(b, 'input-selector').slice(0, 3), ['input-selector', 'tee', 'x264enc']);
    assert.equal(named(b, 'rawtee')['allow-not-linked'], 'true');
  });

  it('is shut by a valve before any work, and scales to the first step\'s size and quality', () => {
    const r = core({ video: { snapshot: STILLS } });
    const b = parseLaunch(r.launch);
    assert.deepEqual(branch(b, 'rawtee.'), ['rawtee.', 'valve', 'queue', 'videoscale', 'videoconvert', 'capsfilter', 'jpegenc', 'appsink']);
    const valve = only(b, 'valve');
    assert.equal(valve['drop'], 'true');
    assert.equal(valve['drop-mode'], 'forward-sticky-events');
    const queue = b.find((x) => x[0]?.factory === 'rawtee.')?.[2]?.props ?? {};
    assert.equal(queue['leaky'], 'downstream');
    assert.equal(queue['max-size-buffers'], '1');
    assert.equal(unquote(named(b, 'snapsize')['caps'] ?? ''), 'video/x-raw,format=I420,width=640,height=360,pixel-aspect-ratio=1/1');
    assert.equal(only(b, 'jpegenc')['quality'], '85');
    const sink = only(b, 'appsink');
    // A shut branch must not hold the pipeline out of PLAYING, nor keep stills piling up.
    assert.equal(sink['async'], 'false');
    assert.equal(sink['max-buffers'], '1');
    assert.equal(sink['drop'], 'true');
    assert.deepEqual(r.names.snapshot, { tee: 'rawtee', valve: 'snapvalve', size: 'snapsize', encoder: 'snapenc', sink: 'snapsink' });
  });

  it('is left out when not planned: no tee, no valve, no names', () => {
    const r = core();
    for (const absent of ['valve', 'jpegenc', 'appsink', 'rawtee']) assert.ok(!r.launch.includes(absent), absent);
    assert.equal(r.names.snapshot, null);
  });
});

describe('core: recorder', () => {
  it('splitmuxsink writes MPEG-TS segments under the record dir', () => {
    const r = core({ recorder: { dir: '/data/recordings', segmentSeconds: 30, filePrefix: 'roomcast-20261122-141503' } });
    const b = parseLaunch(r.launch);
    const rec = only(b, 'splitmuxsink');
    assert.equal(rec['name'], 'rec');
    assert.equal(rec['muxer-factory'], 'mpegtsmux');
    assert.equal(rec['max-size-time'], '30000000000');
    assert.equal(rec['location'], '"/data/recordings/roomcast-20261122-141503-%05d.ts"');
    assert.deepEqual(b.filter((x) => x.at(-1)?.factory.startsWith('rec.')).map((x) => [x[0]?.factory, x.at(-1)?.factory]), [
      ['vtee.', 'rec.video'],
      ['atee.', 'rec.audio_0'],
    ]);
    assert.equal(r.names.recorder, 'rec');
  });

  it('both muxers wait half a second for a late stream', () => {
    const b = parseLaunch(core({ recorder: { dir: '/data', segmentSeconds: 60, filePrefix: 'roomcast-x' } }).launch);
    assert.equal(unquote(only(b, 'splitmuxsink')['muxer-properties'] ?? ''), `properties,latency=(guint64)${MUX_LATENCY}`);
    assert.equal(only(b, 'flvmux')['latency'], MUX_LATENCY);
  });

  it('a record dir with a space stays one quoted location', () => {
    const rec = only(launchOf({ recorder: { dir: '/media/usb stick', segmentSeconds: 60, filePrefix: 'roomcast-x' } }), 'splitmuxsink');
    assert.equal(rec['location'], '"/media/usb stick/roomcast-x-%05d.ts"');
  });

  it('no splitmuxsink without a recorder', () => {
    const r = core();
    assert.ok(!r.launch.includes('splitmuxsink'));
    assert.ok(!r.launch.includes('mpegtsmux'));
    assert.equal(r.names.recorder, null);
  });
});

describe('relay (renderDestination)', () => {
  it('reads the core stream from 127.0.0.1 on the given port', () => {
    const b = parseLaunch(renderDestination(dest('youtube'), 45123).launch);
    assert.deepEqual(branch(b, 'tcpclientsrc'), ['tcpclientsrc', 'flvdemux']);
    assert.deepEqual(only(b, 'tcpclientsrc'), { host: '127.0.0.1', port: '45123' });
    assert.equal(only(b, 'flvdemux')['name'], 'demux');
  });

  it('connects to the port the core serves on', () => {
    const server = only(parseLaunch(core({}, { fanoutPort: 38211 }).launch), 'tcpserversink');
    const client = only(parseLaunch(renderDestination(dest('twitch'), 38211).launch), 'tcpclientsrc');
    assert.deepEqual([client['host'], client['port']], [server['host'], server['port']]);
  });

  it('links the demuxer pads through h264parse and aacparse into flvmux, without decoding', () => {
    const b = parseLaunch(renderDestination(dest('youtube'), 45123).launch);
    assert.deepEqual(branch(b, 'demux.video'), ['demux.video', 'queue', 'h264parse', 'mux.video']);
    assert.deepEqual(branch(b, 'demux.audio'), ['demux.audio', 'queue', 'aacparse', 'mux.audio']);
    assert.deepEqual(only(b, 'flvmux'), { name: 'mux', streamable: 'true', latency: MUX_LATENCY });
    assert.deepEqual(branch(b, 'flvmux'), ['flvmux', 'rtmp2sink']);
    for (const absent of ['videotestsrc', 'x264enc', 'v4l2h264enc', 'voaacenc', 'avdec_h264', 'videorate', 'tcpserversink', 'splitmuxsink']) assert.deepEqual(all(b, absent), [], absent);
  });

  it('publishes with one rtmp2sink that does not sync to the clock, named in names.rtmpSink', () => {
    const r = renderDestination(dest('youtube'), 45123);
    const sink = only(parseLaunch(r.launch), 'rtmp2sink');
    assert.equal(sink['sync'], 'false');
    assert.equal(sink['async-connect'], 'true');
    assert.equal(sink['name'], 'rtmp');
    assert.deepEqual(r.names, { fanout: null, rtmpSink: 'rtmp', recorder: null, selector: null, snapshot: null });
  });

  for (const d of THREE) {
    it(`${d.id}: the stream URL is only in secretProperties, on the rtmp2sink`, () => {
      const r = renderDestination(d, 45123);
      const visible = r.launch + JSON.stringify(r.names);
      for (const secret of SECRETS) assert.ok(!visible.includes(secret), `relay launch shows ${secret}`);
      assert.ok(!/rtmps?:\/\//.test(r.launch), r.launch);
      assert.equal(only(parseLaunch(r.launch), 'rtmp2sink')['location'], undefined);
      assert.deepEqual(r.secretProperties, { [r.names.rtmpSink ?? '']: { location: d.url } });
    });
  }

  it('secretProperties hold the full URLs, key and password included', () => {
    assert.deepEqual(renderDestination(dest('youtube'), 1).secretProperties, { rtmp: { location: `rtmp://a.rtmp.youtube.com/live2/${YT_KEY}` } });
    assert.deepEqual(renderDestination(dest('twitch'), 1).secretProperties, { rtmp: { location: `rtmp://live.twitch.tv/app/${TWITCH_KEY}` } });
    assert.deepEqual(renderDestination(dest('custom'), 1).secretProperties, { rtmp: { location: `rtmps://alice:${CUSTOM_PASSWORD}@ingest.example.com:443/app/${CUSTOM_KEY}` } });
  });

  it('inlineSecrets: false is the same as leaving it out', () => {
    assert.deepEqual(renderDestination(dest('custom'), 45123, { inlineSecrets: false }), renderDestination(dest('custom'), 45123));
  });

  for (const d of THREE) {
    it(`${d.id}: inlineSecrets writes the URL into the launch as the rtmp2sink location`, () => {
      const r = renderDestination(d, 45123, { inlineSecrets: true });
      const sink = only(parseLaunch(r.launch), 'rtmp2sink');
      assert.equal(unquote(sink['location'] ?? ''), d.url);
      assert.ok(r.launch.includes(d.url), r.launch);
      assert.deepEqual(r.secretProperties, { rtmp: { location: d.url } });
    });
  }

  it('inlineSecrets quotes a URL that needs it', () => {
    const sink = only(parseLaunch(renderDestination(dest('custom'), 45123, { inlineSecrets: true }).launch), 'rtmp2sink');
    assert.equal(sink['location'], `"${dest('custom').url}"`);
  });
});

describe('quote', () => {
  it('leaves plain values alone', () => {
    assert.equal(quote('smpte'), 'smpte');
    assert.equal(quote('/dev/video0'), '/dev/video0');
    assert.equal(quote(-1), '-1');
    assert.equal(quote(true), 'true');
  });

  it('quotes spaces, escapes quotes and backslashes', () => {
    assert.equal(quote('Sans 24'), '"Sans 24"');
    assert.equal(quote('say "hi"'), '"say \\"hi\\""');
    assert.equal(quote('a\\b'), '"a\\\\b"');
    assert.equal(quote(''), '""');
  });

  it('round-trips through the test parser', () => {
    for (const v of ['smpte', 'Sans 24', 'say "hi"', 'a\\b', '', 'hw:CARD=Device,DEV=0', '\\"']) assert.equal(unquote(quote(v)), v);
  });
});

describe('ipfs segmenter (renderIpfsSegmenter)', () => {
  const r = renderIpfsSegmenter(40123, { dir: '/data/ipfs/segments', filePrefix: '20261122-141503-r0', segmentSeconds: 2 });
  const flat = parseLaunch(r.launch).flat();
  const find = (factory: string): LaunchElement | undefined => flat.find((e) => e.factory === factory);

  it('reads the core fanout and cuts MPEG-TS segments of one GOP, with no encoder', () => {
    assert.equal(find('tcpclientsrc')?.props['port'], '40123');
    const seg = find('splitmuxsink');
    assert.equal(seg?.props['muxer-factory'], 'mpegtsmux');
    assert.equal(seg?.props['max-size-time'], String(2_000_000_000));
    assert.equal(unquote(seg?.props['location'] ?? ''), '/data/ipfs/segments/20261122-141503-r0-%05d.ts');
    assert.ok(!flat.some((e) => /enc$/.test(e.factory)), 'no second encode');
  });

  it('puts SPS/PPS before every keyframe, so each segment decodes alone', () => {
    assert.equal(find('h264parse')?.props['config-interval'], '-1');
  });

  it('names the splitmuxsink for the host to report segments', () => {
    assert.equal(r.names.recorder, 'seg');
  });
});
