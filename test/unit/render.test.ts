import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../common/config/load.js';
import type { Destination } from '../../common/destination.js';
import type { PipelinePlan } from '../../device/pipeline/plan.js';
import { quote, renderPipeline, sinkName } from '../../device/pipeline/render.js';

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

const count = (haystack: string, needle: string): number => haystack.split(needle).length - 1;

describe('video', () => {
  it('x264 has a fixed keyframe interval, constant bitrate and main profile', () => {
    const r = renderPipeline(makePlan({ video: { keyframeInterval: 50, bitrateKbps: 3000 } }));
    assert.match(r.launch, /x264enc name=venc bitrate=3000 pass=cbr /);
    assert.match(r.launch, / key-int-max=50 /);
    const options = / option-string="([^"]*)"/.exec(r.launch)?.[1]?.split(':') ?? [];
    for (const o of ['scenecut=0', 'nal-hrd=cbr', 'filler=1']) assert.ok(options.includes(o), `option-string lacks ${o}: ${options.join(':')}`);
    assert.ok(r.launch.includes('! video/x-h264,profile=main !'), r.launch);
    assert.ok(r.launch.includes('videorate name=vrate ! video/x-raw,format=I420,width=1280,height=720,framerate=30/1,pixel-aspect-ratio=1/1 ! x264enc'), r.launch);
    assert.ok(!r.launch.includes('v4l2h264enc'));
    assert.equal(r.names.videorate, 'vrate');
  });

  it('v4l2h264enc gets bitrate and keyframe period through extra-controls', () => {
    const r = renderPipeline(makePlan({ video: { encoder: 'v4l2h264enc', keyframeInterval: 60, bitrateKbps: 2500 } }));
    assert.ok(
      r.launch.includes('v4l2h264enc name=venc extra-controls="controls,video_bitrate_mode=1,video_bitrate=2500000,h264_i_frame_period=60,repeat_sequence_header=1"'),
      r.launch,
    );
    assert.ok(r.launch.includes('! video/x-h264,profile=main,level=(string)4 !'), r.launch);
    assert.ok(!r.launch.includes('x264enc'));
  });

  it('the test pattern is a live videotestsrc with a clock overlay', () => {
    const r = renderPipeline(makePlan());
    assert.ok(r.launch.startsWith('videotestsrc is-live=true pattern=smpte ! video/x-raw,width=1280,height=720,framerate=30/1 ! timeoverlay '), r.launch);
    assert.ok(r.launch.includes('font-desc="Sans 24"'), r.launch);
  });

  it('a Pi camera is captured with libcamerasrc as NV12', () => {
    const r = renderPipeline(makePlan({ video: { input: { kind: 'libcamera' } } }));
    assert.ok(r.launch.startsWith('libcamerasrc ! video/x-raw,width=1280,height=720,framerate=30/1,format=NV12 ! videoconvert'), r.launch);
  });

  it('MJPEG capture is decoded with jpegdec', () => {
    const r = renderPipeline(makePlan({ video: { input: { kind: 'v4l2', device: '/dev/video0', format: 'mjpeg' } } }));
    assert.ok(r.launch.startsWith('v4l2src device=/dev/video0 do-timestamp=true ! image/jpeg,width=1280,height=720,framerate=30/1 ! jpegdec ! videoconvert'), r.launch);
  });

  it('raw capture goes straight to conversion', () => {
    const r = renderPipeline(makePlan({ video: { input: { kind: 'v4l2', device: '/dev/video2', format: 'raw' } } }));
    assert.ok(r.launch.startsWith('v4l2src device=/dev/video2 do-timestamp=true ! video/x-raw,width=1280,height=720,framerate=30/1 ! videoconvert'), r.launch);
    assert.ok(!r.launch.includes('jpegdec'));
  });

  it('passthrough has no encoder and no videorate', () => {
    const r = renderPipeline(makePlan({ video: { input: { kind: 'v4l2', device: '/dev/video0', format: 'h264' }, encoder: 'passthrough' } }));
    assert.ok(
      r.launch.startsWith('v4l2src device=/dev/video0 do-timestamp=true ! video/x-h264,width=1280,height=720,framerate=30/1 ! h264parse ! h264parse config-interval=-1 ! tee name=vtee'),
      r.launch,
    );
    for (const absent of ['x264enc', 'v4l2h264enc', 'videorate', 'videoconvert']) assert.ok(!r.launch.includes(absent), absent);
    assert.equal(r.names.videorate, null);
  });
});

describe('audio', () => {
  it('silence is a silent audiotestsrc encoded to AAC at the planned bitrate', () => {
    const r = renderPipeline(makePlan({ audio: { bitrateKbps: 160 } }));
    assert.ok(
      r.launch.includes('audiotestsrc is-live=true wave=silence ! audioconvert ! audioresample ! audiorate ! audio/x-raw,rate=48000,channels=2 ! voaacenc bitrate=160000 ! aacparse ! tee name=atee'),
      r.launch,
    );
  });

  it('an ALSA device is quoted and does not provide the clock', () => {
    const r = renderPipeline(makePlan({ audio: { input: { kind: 'alsa', device: 'hw:CARD=Device,DEV=0' } } }));
    assert.ok(r.launch.includes('alsasrc device="hw:CARD=Device,DEV=0" provide-clock=false slave-method=skew ! '), r.launch);
  });

  it('has no audiomixer without an audio delay', () => {
    assert.ok(!renderPipeline(makePlan({ audioDelayMs: 0 })).launch.includes('audiomixer'));
  });

  it('delays audio with an audiomixer pad offset in nanoseconds', () => {
    const r = renderPipeline(makePlan({ audioDelayMs: 150 }));
    assert.ok(r.launch.includes('audio/x-raw,rate=48000,channels=2 ! audiomixer name=adelay sink_0::offset=150000000 ! voaacenc'), r.launch);
  });
});

describe('destinations', () => {
  it('one rtmp2sink per destination, named by sinkName, behind a leaky queue', () => {
    const r = renderPipeline(makePlan({ destinations: THREE }));
    assert.equal(count(r.launch, 'rtmp2sink'), 3);
    assert.deepEqual(r.names.destinations, { youtube: 'dest_youtube', twitch: 'dest_twitch', custom: 'dest_custom' });
    for (const d of THREE) {
      const name = sinkName(d.id);
      assert.ok(r.launch.includes(`ftee. ! queue name=q_${name} leaky=downstream `), r.launch);
      assert.ok(r.launch.includes(`rtmp2sink name=${name} sync=false async-connect=true`), r.launch);
    }
    assert.ok(r.launch.includes('flvmux name=flv streamable=true'), r.launch);
  });

  it('stream keys, passwords and URLs are only in secretProperties', () => {
    const r = renderPipeline(makePlan({ destinations: THREE, recorder: { dir: '/data/recordings', segmentSeconds: 60, filePrefix: 'roomcast-x' } }));
    const visible = r.launch + JSON.stringify(r.names);
    for (const secret of [YT_KEY, TWITCH_KEY, CUSTOM_KEY, CUSTOM_PASSWORD, ...THREE.map((d) => d.url)]) {
      assert.ok(!visible.includes(secret), `launch shows ${secret}`);
    }
    assert.ok(!/location=\S*(rtmp|rtmps):/.test(r.launch), r.launch);
    assert.deepEqual(r.secretProperties, {
      dest_youtube: { location: `rtmp://a.rtmp.youtube.com/live2/${YT_KEY}` },
      dest_twitch: { location: `rtmp://live.twitch.tv/app/${TWITCH_KEY}` },
      dest_custom: { location: `rtmps://alice:${CUSTOM_PASSWORD}@ingest.example.com:443/app/${CUSTOM_KEY}` },
    });
  });

  it('a second destination of a kind gets its own sink', () => {
    const two = destinations(`youtube:${YT_KEY} youtube:zzzz-yyyy-xxxx-wwww`);
    const r = renderPipeline(makePlan({ destinations: two }));
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
    assert.ok(
      r.launch.includes('splitmuxsink name=rec muxer-factory=mpegtsmux async-finalize=true max-size-time=30000000000 location="/data/recordings/roomcast-20261122-141503-%05d.ts"'),
      r.launch,
    );
    assert.ok(r.launch.includes('! rec.video'), r.launch);
    assert.ok(r.launch.includes('! rec.audio_0'), r.launch);
    assert.equal(r.names.recorder, 'rec');
  });

  it('a record dir with a space stays one quoted location', () => {
    const r = renderPipeline(makePlan({ recorder: { dir: '/media/usb stick', segmentSeconds: 60, filePrefix: 'roomcast-x' } }));
    assert.ok(r.launch.includes('location="/media/usb stick/roomcast-x-%05d.ts"'), r.launch);
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
