import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import type { BusMessage } from 'gstreamer-superficial';
import type { SourceFeed } from '../../device/pipeline/host-messages.js';
import { SOURCE_NAMES, type SourcePipeline } from '../../device/pipeline/render.js';
import { FRAME_STALL_MS, SourceRunner } from '../../device/pipeline/source-runner.js';

/** A stand-in for gstreamer-superficial's Pipeline: the test posts bus messages and moves the frame counter. */
class FakePipeline {
  static built: FakePipeline[] = [];
  bus: ((msg: BusMessage) => void) | null = null;
  playing = false;
  stopped = false;
  readonly counter: Record<string, unknown> = { in: 0, drop: 0 };
  readonly fault: Record<string, unknown> = {};

  constructor(readonly launch: string) {
    FakePipeline.built.push(this);
  }
  play(): void {
    this.playing = true;
  }
  pause(): void {}
  stop(): void {
    this.stopped = true;
  }
  sendEOS(): void {}
  setPad(): void {}
  findChild(name: string): Record<string, unknown> | undefined {
    if (name === SOURCE_NAMES.videoCounter) return this.counter;
    if (name === SOURCE_NAMES.videoFault || name === SOURCE_NAMES.audioFault) return this.fault;
    return undefined;
  }
  pollBus(cb: (msg: BusMessage) => void): void {
    this.bus = cb;
  }
  post(msg: Partial<BusMessage>): void {
    this.bus?.({ type: 'unknown', _src_element_name: 'src', ...msg });
  }
}

const gst = { Pipeline: FakePipeline as unknown as new (launch: string) => import('gstreamer-superficial').Pipeline };

function runner(spec: Partial<SourcePipeline> = {}): { r: SourceRunner; events: { feed: SourceFeed; ok: boolean; reason: string | null }[] } {
  const events: { feed: SourceFeed; ok: boolean; reason: string | null }[] = [];
  const r = new SourceRunner(gst, { feeds: { video: true, audio: false }, launch: 'camera', requires: [], ...spec }, { onFeed: (feed, ok, reason) => events.push({ feed, ok, reason }) });
  return { r, events };
}

const last = (): FakePipeline => {
  const p = FakePipeline.built[FakePipeline.built.length - 1];
  assert.ok(p, 'a pipeline was built');
  return p;
};

describe('SourceRunner', () => {
  beforeEach(() => {
    FakePipeline.built = [];
    mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'] });
  });
  afterEach(() => mock.timers.reset());

  it('reports the camera good once frames arrive, lost on an error, and rebuilds it', () => {
    const { r, events } = runner();
    r.start();
    last().counter['in'] = 5;
    mock.timers.tick(250);
    assert.deepEqual(events, [{ feed: 'video', ok: true, reason: null }]);
    last().post({ type: 'error', _src_element_name: 'v4l2src0', message: 'Could not read from resource.', debug: 'gstbasesrc.c: streaming stopped, reason error (-5)' });
    assert.deepEqual(events[1], { feed: 'video', ok: false, reason: 'v4l2src0: Could not read from resource. (error)' });
    assert.equal(FakePipeline.built[0]?.stopped, true, 'the failed pipeline is set to NULL');
    mock.timers.tick(1000);
    assert.equal(FakePipeline.built.length, 2, 'rebuilt within the first backoff step');
    last().counter['in'] = 1;
    mock.timers.tick(250);
    assert.deepEqual(events[2], { feed: 'video', ok: true, reason: null });
    r.stop();
  });

  it('a camera that stops delivering frames for 2 s is lost, without any error', () => {
    const { r, events } = runner();
    r.start();
    last().counter['in'] = 30;
    mock.timers.tick(250);
    mock.timers.tick(FRAME_STALL_MS + 250);
    assert.equal(events.length, 2);
    assert.equal(events[1]?.ok, false);
    assert.match(events[1]?.reason ?? '', /no frame from the camera for 2\.\d s/);
    r.stop();
  });

  it('reports a failure once per outage, however often the rebuild fails', () => {
    const { r, events } = runner();
    r.start();
    for (let i = 0; i < 4; i++) {
      last().post({ type: 'error', message: 'gone' });
      mock.timers.tick(6000);
    }
    assert.deepEqual(events.map((e) => e.ok), [false]);
    assert.equal(FakePipeline.built.length, 5);
    r.stop();
  });

  it('waits for a missing device node without building pipelines (each would leak)', () => {
    const { r, events } = runner({ requires: ['/dev/roomcast-no-such-camera'] });
    r.start();
    mock.timers.tick(10_000);
    assert.equal(FakePipeline.built.length, 0);
    assert.deepEqual(events, [{ feed: 'video', ok: false, reason: '/dev/roomcast-no-such-camera is not there (unplugged?)' }]);
    r.stop();
  });

  it('a microphone is good once its pipeline plays', () => {
    const { r, events } = runner({ feeds: { video: false, audio: true } });
    r.start();
    last().post({ type: 'state-changed', _src_element_name: 'pipeline3', 'new-state': 'GST_STATE_PLAYING' });
    assert.deepEqual(events, [{ feed: 'audio', ok: true, reason: null }]);
    r.stop();
  });

  it('injects a fault by giving the fault capsfilter caps no source produces', () => {
    const { r } = runner();
    r.start();
    assert.equal(r.injectFault('audio'), false, 'this source has no microphone');
    assert.equal(r.injectFault('video'), true);
    assert.equal(last().fault['caps'], 'application/x-roomcast-fault');
    r.stop();
  });

  it('stop() ends the pipeline and every timer', () => {
    const { r, events } = runner();
    r.start();
    r.stop();
    assert.equal(last().stopped, true);
    mock.timers.tick(60_000);
    assert.equal(FakePipeline.built.length, 1);
    assert.deepEqual(events, []);
  });
});
