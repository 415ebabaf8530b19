import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../common/config/load.js';
import type { Destination } from '../../common/destination.js';
import type { PipelinePlan } from '../../device/pipeline/plan.js';
import { quote, renderPipeline, sinkName } from '../../device/pipeline/render.js';
import { parseLaunch, type LaunchElement } from '../helpers/launch.js';

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

type PlanOverrides = Partial<Omit<PipelinePlan, 'video' | 'audio'>> & { video?: Partial<PipelinePlan['video']>; audio?: Partial<PipelinePlan['audio']> };

/** A 720p30 x264 test-pattern plan with silent audio to one YouTube destination, changed by `over`. */
function makePlan(over: PlanOverrides = {}): PipelinePlan {
  const { video, audio, ...rest } = over;
  return {
    video: { input: { kind: 'test' }, encoder: 'x264', width: 1280, height: 720, framerate: 30, bitrateKbps: 2500, keyframeInterval: 60, ...video },
    audio: { input: { kind: 'silence' }, bitrateKbps: 128, rate: 48000, channels: 2, ...audio },
    audioDelayMs: 0,
    destinations: destinations(`youtube:${YT_KEY}`),
    recorder: null,
    choices: [],
    ...rest,
  };
}

function launchOf(over: PlanOverrides = {}): LaunchElement[][] {
  return parseLaunch(renderPipeline(makePlan(over)).launch);
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

describe('video', () => {
  it('x264 has a fixed keyframe interval, constant bitrate and main profile', () => {
    const b = launchOf({ video: { keyframeInterval: 50, bitrateKbps: 3000 } });
    const x264 = only(b, 'x264enc');
    assert.equal(x264['key-int-max'], '50');
    assert.equal(x264['bitrate'], '3000');
    assert.equal(x264['pass'], 'cbr');
    const options = (x264['option-string'] ?? '').replace(/^"|"$/g, '').split(':');
    for (const o of ['scenecut=0', 'nal-hrd=cbr', 'filler=1']) assert.ok(options.includes(o), `option-string lacks ${o}: ${options.join(':')}`);
    const chain = branch(b, 'videotestsrc');
    const at = chain.indexOf('x264enc');
    assert.deepEqual(chain.slice(at - 2, at + 2), ['videorate', `video/x-raw,format=I420,${VIDEO_CAPS},pixel-aspect-ratio=1/1`, 'x264enc', 'video/x-h264,profile=main']);
    assert.deepEqual(all(b, 'v4l2h264enc'), []);
    assert.equal(renderPipeline(makePlan()).names.videorate, only(b, 'videorate')['name']);
  });

  it('v4l2h264enc gets bitrate and keyframe period through extra-controls', () => {
    const b = launchOf({ video: { encoder: 'v4l2h264enc', keyframeInterval: 60, bitrateKbps: 2500 } });
    const controls = (only(b, 'v4l2h264enc')['extra-controls'] ?? '').replace(/^"|"$/g, '').split(',');
    assert.equal(controls[0], 'controls');
    for (const c of ['video_bitrate_mode=1', 'video_bitrate=2500000', 'h264_i_frame_period=60', 'repeat_sequence_header=1']) assert.ok(controls.includes(c), `extra-controls lacks ${c}`);
    const chain = branch(b, 'videotestsrc');
    assert.equal(chain[chain.indexOf('v4l2h264enc') + 1], 'video/x-h264,profile=main,level=(string)4');
    assert.deepEqual(all(b, 'x264enc'), []);
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
    const r = renderPipeline(makePlan({ video: { input: { kind: 'v4l2', device: '/dev/video0', format: 'h264' }, encoder: 'passthrough' } }));
    const b = parseLaunch(r.launch);
    assert.deepEqual(branch(b, 'v4l2src'), ['v4l2src', `video/x-h264,${VIDEO_CAPS}`, 'h264parse', 'h264parse', 'tee']);
    for (const absent of ['x264enc', 'v4l2h264enc', 'videorate', 'videoconvert']) assert.deepEqual(all(b, absent), [], absent);
    assert.equal(r.names.videorate, null);
  });

  it('the encoded video is parsed with in-band SPS/PPS and teed', () => {
    const chain = parseLaunch(renderPipeline(makePlan()).launch)[0] ?? [];
    assert.deepEqual(chain.slice(-2), [
      { factory: 'h264parse', props: { 'config-interval': '-1' } },
      { factory: 'tee', props: { name: 'vtee', 'allow-not-linked': 'true' } },
    ]);
  });
});

describe('audio', () => {
  it('silence is a silent audiotestsrc encoded to AAC at the planned bitrate', () => {
    const b = launchOf({ audio: { bitrateKbps: 160 } });
    assert.equal(only(b, 'audiotestsrc')['wave'], 'silence');
    assert.deepEqual(branch(b, 'audiotestsrc'), ['audiotestsrc', 'audioconvert', 'audioresample', 'audiorate', 'audio/x-raw,rate=48000,channels=2', 'voaacenc', 'aacparse', 'tee']);
    assert.equal(only(b, 'voaacenc')['bitrate'], '160000');
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
  });
});

describe('destinations', () => {
  it('one rtmp2sink per destination, named by sinkName, behind its own leaky queue', () => {
    const r = renderPipeline(makePlan({ destinations: THREE }));
    const b = parseLaunch(r.launch);
    assert.deepEqual(all(b, 'rtmp2sink').map((e) => e.props['name']), ['dest_youtube', 'dest_twitch', 'dest_custom']);
    assert.deepEqual(r.names.destinations, { youtube: 'dest_youtube', twitch: 'dest_twitch', custom: 'dest_custom' });
    for (const d of THREE) {
      const sink = b.find((x) => x.at(-1)?.props['name'] === sinkName(d.id));
      assert.deepEqual(sink?.map((e) => e.factory), ['ftee.', 'queue', 'rtmp2sink']);
      assert.equal(sink?.[1]?.props['leaky'], 'downstream');
    }
    assert.equal(only(b, 'flvmux')['name'], 'flv');
    assert.equal(only(b, 'flvmux')['streamable'], 'true');
  });

  it('stream keys, passwords and URLs are only in secretProperties', () => {
    const r = renderPipeline(makePlan({ destinations: THREE, recorder: { dir: '/data/recordings', segmentSeconds: 60, filePrefix: 'roomcast-x' } }));
    const visible = r.launch + JSON.stringify(r.names);
    for (const secret of [YT_KEY, TWITCH_KEY, CUSTOM_KEY, CUSTOM_PASSWORD, ...THREE.map((d) => d.url)]) {
      assert.ok(!visible.includes(secret), `launch shows ${secret}`);
    }
    assert.ok(!/rtmps?:\/\//.test(r.launch), r.launch);
    for (const sink of all(parseLaunch(r.launch), 'rtmp2sink')) assert.equal(sink.props['location'], undefined);
    assert.deepEqual(r.secretProperties, {
      dest_youtube: { location: `rtmp://a.rtmp.youtube.com/live2/${YT_KEY}` },
      dest_twitch: { location: `rtmp://live.twitch.tv/app/${TWITCH_KEY}` },
      dest_custom: { location: `rtmps://alice:${CUSTOM_PASSWORD}@ingest.example.com:443/app/${CUSTOM_KEY}` },
    });
  });

  it('a second destination of a kind gets its own sink', () => {
    const r = renderPipeline(makePlan({ destinations: destinations(`youtube:${YT_KEY} youtube:zzzz-yyyy-xxxx-wwww`) }));
    assert.deepEqual(r.names.destinations, { youtube: 'dest_youtube', 'youtube-2': 'dest_youtube_2' });
    assert.equal(r.secretProperties['dest_youtube_2']?.location, 'rtmp://a.rtmp.youtube.com/live2/zzzz-yyyy-xxxx-wwww');
  });

  it('without destinations there is no FLV mux and no rtmp2sink', () => {
    const r = renderPipeline(makePlan({ destinations: [], recorder: { dir: '/data', segmentSeconds: 60, filePrefix: 'roomcast-x' } }));
    for (const absent of ['rtmp2sink', 'flvmux', 'ftee']) assert.ok(!r.launch.includes(absent), absent);
    assert.deepEqual(r.secretProperties, {});
    assert.deepEqual(r.names.destinations, {});
  });
});

describe('recorder', () => {
  it('splitmuxsink writes MPEG-TS segments under the record dir', () => {
    const r = renderPipeline(makePlan({ recorder: { dir: '/data/recordings', segmentSeconds: 30, filePrefix: 'roomcast-20261122-141503' } }));
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

  it('a record dir with a space stays one quoted location', () => {
    const rec = only(launchOf({ recorder: { dir: '/media/usb stick', segmentSeconds: 60, filePrefix: 'roomcast-x' } }), 'splitmuxsink');
    assert.equal(rec['location'], '"/media/usb stick/roomcast-x-%05d.ts"');
  });

  it('no splitmuxsink without a recorder', () => {
    const r = renderPipeline(makePlan());
    assert.ok(!r.launch.includes('splitmuxsink'));
    assert.ok(!r.launch.includes('mpegtsmux'));
    assert.equal(r.names.recorder, null);
  });
});

describe('quote and sinkName', () => {
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

  it('sinkName turns a destination id into a valid element name', () => {
    assert.equal(sinkName('youtube'), 'dest_youtube');
    assert.equal(sinkName('custom-2'), 'dest_custom_2');
  });
});
