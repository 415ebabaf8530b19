import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../common/config/load.js';
import type { Destination } from '../../common/destination.js';
import type { PipelinePlan } from '../../device/pipeline/plan.js';
import { quote, renderCore, renderDestination, type RenderedPipeline } from '../../device/pipeline/render.js';
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
      raw: { format: 'I420', colorimetry: 'bt601' },
      slate: { roomName: 'Main hall', message: "We'll be right back", image: null },
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

/** Factories (and caps) of the branch that starts with `first`. */
function branch(branches: LaunchElement[][], first: string): string[] {
  const b = branches.find((x) => x[0]?.factory === first);
  assert.ok(b, `no branch starting with ${first}`);
  return b.map((e) => e.factory);
}

const VIDEO_CAPS = 'width=1280,height=720,framerate=30/1';
const MUX_LATENCY = '500000000';

describe('core: video', () => {
  it('x264 has a fixed keyframe interval, constant bitrate and main profile', () => {
    const b = launchOf({ video: { keyframeInterval: 50, bitrateKbps: 3000 } });
    const x264 = only(b, 'x264enc');
    assert.equal(x264['key-int-max'], '50');
    assert.equal(x264['bitrate'], '3000');
    assert.equal(x264['pass'], 'cbr');
    const options = unquote(x264['option-string'] ?? '').split(':');
    for (const o of ['scenecut=0', 'nal-hrd=cbr', 'filler=1']) assert.ok(options.includes(o), `option-string lacks ${o}: ${options.join(':')}`);
    const chain = branch(b, 'videotestsrc');
    const at = chain.indexOf('x264enc');
    assert.deepEqual(chain.slice(at - 2, at + 2), ['videorate', `video/x-raw,format=I420,${VIDEO_CAPS},pixel-aspect-ratio=1/1`, 'x264enc', 'video/x-h264,profile=main']);
    assert.deepEqual(all(b, 'v4l2h264enc'), []);
    assert.equal(core().names.videorate, only(b, 'videorate')['name']);
  });

  it('v4l2h264enc gets bitrate and keyframe period through extra-controls', () => {
    const b = launchOf({ video: { encoder: 'v4l2h264enc', keyframeInterval: 60, bitrateKbps: 2500 } });
    const controls = unquote(only(b, 'v4l2h264enc')['extra-controls'] ?? '').split(',');
    assert.equal(controls[0], 'controls');
    for (const c of ['video_bitrate_mode=1', 'video_bitrate=2500000', 'h264_i_frame_period=60', 'repeat_sequence_header=1']) assert.ok(controls.includes(c), `extra-controls lacks ${c}`);
    const chain = branch(b, 'videotestsrc');
    assert.equal(chain[chain.indexOf('v4l2h264enc') + 1], 'video/x-h264,profile=main,level=(string)4');
    assert.deepEqual(all(b, 'x264enc'), []);
    assert.equal(only(b, 'videorate')['name'], 'vrate');
  });

  it('the test pattern is a live videotestsrc with a clock overlay', () => {
    const b = launchOf();
    assert.equal(only(b, 'videotestsrc')['is-live'], 'true');
    assert.deepEqual(branch(b, 'videotestsrc').slice(0, 3), ['videotestsrc', `video/x-raw,${VIDEO_CAPS}`, 'timeoverlay']);
    assert.equal(only(b, 'timeoverlay')['font-desc'], '"Sans 24"');
  });

  it('a Pi camera is captured with libcamerasrc as NV12', () => {
    const b = launchOf({ video: { input: { kind: 'libcamera' } } });
    assert.deepEqual(branch(b, 'libcamerasrc').slice(0, 3), ['libcamerasrc', `video/x-raw,${VIDEO_CAPS},format=NV12`, 'videoconvert']);
  });

  it('MJPEG capture is decoded with jpegdec', () => {
    const b = launchOf({ video: { input: { kind: 'v4l2', device: '/dev/video0', format: 'mjpeg' } } });
    assert.deepEqual(branch(b, 'v4l2src').slice(0, 4), ['v4l2src', `image/jpeg,${VIDEO_CAPS}`, 'jpegdec', 'videoconvert']);
    assert.equal(only(b, 'v4l2src')['device'], '/dev/video0');
    assert.equal(only(b, 'v4l2src')['do-timestamp'], 'true');
  });

  it('raw capture goes straight to conversion', () => {
    const b = launchOf({ video: { input: { kind: 'v4l2', device: '/dev/video2', format: 'raw' } } });
    assert.deepEqual(branch(b, 'v4l2src').slice(0, 3), ['v4l2src', `video/x-raw,${VIDEO_CAPS}`, 'videoconvert']);
    assert.equal(only(b, 'v4l2src')['device'], '/dev/video2');
    assert.deepEqual(all(b, 'jpegdec'), []);
  });

  it('passthrough has no encoder and no videorate', () => {
    const r = core({ video: { input: { kind: 'v4l2', device: '/dev/video0', format: 'h264' }, encoder: 'passthrough' } });
    const b = parseLaunch(r.launch);
    assert.deepEqual(branch(b, 'v4l2src'), ['v4l2src', `video/x-h264,${VIDEO_CAPS}`, 'h264parse', 'h264parse', 'tee']);
    for (const absent of ['x264enc', 'v4l2h264enc', 'videorate', 'videoconvert']) assert.deepEqual(all(b, absent), [], absent);
    assert.equal(r.names.videorate, null);
  });

  it('the encoded video is parsed with in-band SPS/PPS and teed', () => {
    const chain = parseLaunch(core().launch)[0] ?? [];
    assert.deepEqual(chain.slice(-2), [
      { factory: 'h264parse', props: { 'config-interval': '-1' } },
      { factory: 'tee', props: { name: 'vtee', 'allow-not-linked': 'true' } },
    ]);
  });
});

describe('core: audio', () => {
  it('silence is a silent audiotestsrc encoded to AAC at the planned bitrate', () => {
    const b = launchOf({ audio: { bitrateKbps: 160 } });
    assert.equal(only(b, 'audiotestsrc')['wave'], 'silence');
    assert.deepEqual(branch(b, 'audiotestsrc'), ['audiotestsrc', 'audioconvert', 'audioresample', 'audiorate', 'audio/x-raw,rate=48000,channels=2', 'level', 'voaacenc', 'aacparse', 'tee']);
    assert.equal(only(b, 'voaacenc')['bitrate'], '160000');
    assert.deepEqual(all(b, 'tee').map((e) => e.props['name']), ['vtee', 'atee']);
  });

  it('an ALSA device is quoted and does not provide the clock', () => {
    const alsa = only(launchOf({ audio: { input: { kind: 'alsa', device: 'hw:CARD=Device,DEV=0' } } }), 'alsasrc');
    assert.equal(alsa['device'], '"hw:CARD=Device,DEV=0"');
    assert.equal(alsa['provide-clock'], 'false');
  });

  it('has no audiomixer without an audio delay', () => {
    assert.deepEqual(all(launchOf({ audioDelayMs: 0 }), 'audiomixer'), []);
  });

  it('delays audio with an audiomixer pad offset in nanoseconds, before the encoder', () => {
    const b = launchOf({ audioDelayMs: 150 });
    assert.equal(only(b, 'audiomixer')['sink_0::offset'], '150000000');
    const chain = branch(b, 'audiotestsrc');
    assert.equal(chain[chain.indexOf('audiomixer') + 1], 'voaacenc');
    assert.ok(chain.indexOf('level') < chain.indexOf('audiomixer'), 'the meter reads the microphone before the delay');
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
    assert.deepEqual(r.names, { videorate: 'vrate', fanout: null, rtmpSink: null, recorder: 'rec' });
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
    assert.deepEqual(r.names, { videorate: null, fanout: null, rtmpSink: 'rtmp', recorder: null });
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
