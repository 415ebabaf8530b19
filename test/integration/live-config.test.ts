import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, describe, test } from 'node:test';
import { topicOf, type DeviceId } from '../../common/protocol.js';
import { frameLuma } from '../../testbed/picture-sound.js';
import { BareBox } from '../helpers/bare-box.js';
import { sleep } from '../helpers/env.js';
import { useIngest } from '../helpers/fixture.js';
import { closeAll, type TestClient } from '../helpers/mqtt.js';

const run = promisify(execFile);

/** A config pushed while live changes what it names and nothing else: the talk goes on, on one connection. */
describe('a config pushed to a live box', () => {
  const f = useIngest('roomcast-live-config-');
  const opened: TestClient[] = [];
  let bare: BareBox | null = null;
  let quiet: BareBox | null = null;
  after(async () => {
    await closeAll(opened);
    await bare?.stop();
    await quiet?.stop();
  });

  test('a new health interval takes effect at once', async () => {
    const q = await BareBox.start(f.dir, 'box-h' as DeviceId, { ROOMCAST_AUTOSTART: 'false', ROOMCAST_HEALTH_SECONDS: '3600' }, opened);
    quiet = q;
    const health = topicOf(q.id, 'health');
    await q.fleet.client.subscribeAsync(health, { qos: 0 });
    await q.apply(1, { ROOMCAST_HEALTH_SECONDS: '2' });
    const from = q.fleet.received.length;
    await sleep(5000);
    const samples = q.fleet.received.slice(from).filter((m) => m.topic === health).length;
    assert.ok(samples >= 2 && samples <= 3, `${samples} health samples in 5 s at one per 2 s`);
  });

  test('a new slate picture is drawn into the running core: no restart, and the next camera loss shows it', async () => {
    // A white picture: the default slate is dark (luma about 50), this one reads above 180 even under its text band.
    const white = join(f.dir, 'white.png');
    await run('gst-launch-1.0', ['-q', 'videotestsrc', 'pattern=white', 'num-buffers=1', '!', 'video/x-raw,width=320,height=180', '!', 'pngenc', '!', 'filesink', `location=${white}`]);
    bare = await BareBox.start(f.dir, 'box-s' as DeviceId, { ROOMCAST_VIDEO_SIZE: '640x360', ROOMCAST_VIDEO_BITRATE: '1000', ROOMCAST_ROOM_NAME: 'Room 1', ROOMCAST_DESTINATIONS: f.ingest.url('live', 'slate-redraw-9c1d') }, opened, { control: true });
    const { box } = bare;
    await box.waitFor((l) => l.msg === 'destination live', 20_000, 'destination live');
    await bare.apply(1, { ROOMCAST_SLATE_IMAGE: white, ROOMCAST_ROOM_NAME: 'Room 2', ROOMCAST_SLATE_MESSAGE: 'Back soon' });
    const changed = box.lines().find((l) => l.msg === 'config changed');
    assert.equal(changed?.['restartCore'], false, JSON.stringify(changed));
    await sleep(1000);
    box.control({ type: 'inject-fault', feed: 'video' });
    await box.waitFor((l) => l.msg === 'camera lost: slate on', 5000, 'slate on');
    await box.waitFor((l) => l.msg === 'camera back: slate off', 10_000, 'camera back');
    await sleep(2000);
    await box.proc.stop();

    assert.ok(!box.lines().some((l) => l.msg === 'restarting pipeline' || l.msg === 'destination retry'), 'something restarted');
    const sessions = await f.ingest.sessionsOf('slate-redraw-9c1d');
    assert.equal(sessions.length, 1, `one RTMP session: ${sessions.join(', ')}`);
    const frames = await frameLuma(sessions[0] ?? '');
    const whiteFrames = frames.filter((fr) => fr.y > 180).length;
    const darkFrames = frames.filter((fr) => fr.y < 80).length;
    assert.ok(whiteFrames >= 10, `the new slate was shown for ${whiteFrames} frames`);
    assert.equal(darkFrames, 0, 'the old (dark) slate was shown');
  });
});
