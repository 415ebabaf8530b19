import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CurrentHardware, HARDWARE_MAX_AGE_MS, hardwareChanges, lostSources } from '../../device/hardware/current-hardware.js';
import type { Camera, Hardware, Microphone } from '../../device/hardware/types.js';
import { LogLines } from '../helpers/log-lines.js';

const c920: Camera = { kind: 'usb', device: '/dev/video0', name: 'HD Pro Webcam C920', driver: 'uvcvideo', formats: ['raw', 'mjpeg', 'h264'] };
const umc: Microphone = { card: 2, id: 'U192k', name: 'UMC202HD 192k', device: 'hw:CARD=U192k,DEV=0', usb: true, webcam: false };
const none: Hardware = { board: { model: null, pi: null }, cameras: [], microphones: [], elements: new Set(['x264enc']), hardwareEncoder: false };
const withAll: Hardware = { ...none, cameras: [c920], microphones: [umc] };

describe('hardwareChanges', () => {
  test('names what was plugged in and what is gone', () => {
    assert.deepEqual(hardwareChanges(none, withAll), ['camera plugged in: HD Pro Webcam C920 (/dev/video0)', 'microphone plugged in: UMC202HD 192k (hw:CARD=U192k,DEV=0)']);
    assert.deepEqual(hardwareChanges(withAll, none), ['camera gone: HD Pro Webcam C920 (/dev/video0)', 'microphone gone: UMC202HD 192k (hw:CARD=U192k,DEV=0)']);
    assert.deepEqual(hardwareChanges(withAll, withAll), []);
  });

  test('a camera moved to another node is one gone and one plugged in', () => {
    const moved = { ...withAll, cameras: [{ ...c920, device: '/dev/video2' }] };
    assert.deepEqual(hardwareChanges(withAll, moved), ['camera plugged in: HD Pro Webcam C920 (/dev/video2)', 'camera gone: HD Pro Webcam C920 (/dev/video0)']);
  });

  test('the same camera with other formats (read while busy, then free) is said', () => {
    const fewer = { ...withAll, cameras: [{ ...c920, formats: [] }] };
    assert.deepEqual(hardwareChanges(fewer, withAll), ['camera HD Pro Webcam C920 (/dev/video0) now offers raw, mjpeg, h264']);
  });
});

describe('CurrentHardware', () => {
  const clockAt = (t: { ms: number }) => () => t.ms;

  test('detects again only once the last detection is older than the max age, and shares one detection', async () => {
    const t = { ms: 1000 };
    let detections = 0;
    const log = new LogLines();
    const hw = new CurrentHardware(none, () => {
      detections += 1;
      return Promise.resolve(withAll);
    }, log.logger, clockAt(t));
    assert.equal(await hw.fresh(), none);
    assert.equal(detections, 0);
    t.ms += HARDWARE_MAX_AGE_MS;
    const [a, b] = await Promise.all([hw.fresh(), hw.fresh()]);
    assert.equal(detections, 1);
    assert.equal(a, withAll);
    assert.equal(b, withAll);
    assert.equal(hw.now, withAll);
    assert.deepEqual(log.lines.find((l) => l.msg === 'hardware changed')?.['changes'], hardwareChanges(none, withAll));
  });

  test('a failed detection keeps what was found before, says so, and is tried again next time', async () => {
    const t = { ms: 0 };
    let fail = true;
    const log = new LogLines();
    const hw = new CurrentHardware(withAll, () => (fail ? Promise.reject(new Error('EIO reading /sys/class/video4linux')) : Promise.resolve(none)), log.logger, clockAt(t));
    t.ms = HARDWARE_MAX_AGE_MS;
    assert.equal(await hw.fresh(), withAll);
    assert.match(String(log.at('warn')[0]?.msg), /hardware detection failed/);
    fail = false;
    assert.equal(await hw.fresh(), none);
  });

  test('without a detector the start-up hardware stays', async () => {
    const t = { ms: 0 };
    const hw = new CurrentHardware(withAll, null, new LogLines().logger, clockAt(t));
    t.ms = 10 * HARDWARE_MAX_AGE_MS;
    assert.equal(await hw.fresh(), withAll);
  });
});

describe('lostSources', () => {
  test('a camera or USB microphone gone with none in its place is lost; one that moved is not', () => {
    assert.deepEqual(lostSources(withAll, none), ['camera HD Pro Webcam C920 (/dev/video0)', 'microphone UMC202HD 192k (hw:CARD=U192k,DEV=0)']);
    assert.deepEqual(lostSources(withAll, { ...withAll, cameras: [{ ...c920, device: '/dev/video2' }] }), []);
    assert.deepEqual(lostSources(none, withAll), []);
    assert.deepEqual(lostSources(withAll, { ...withAll, microphones: [] }), ['microphone UMC202HD 192k (hw:CARD=U192k,DEV=0)']);
  });
});

describe('CurrentHardware with a detection that hangs', () => {
  test('is not waited for past the deadline: the last detection is used, and the hung one is not started twice', async () => {
    const t = { ms: 0 };
    let detections = 0;
    const log = new LogLines();
    const hw = new CurrentHardware(withAll, () => {
      detections += 1;
      return new Promise<Hardware>(() => undefined);
    }, log.logger, () => t.ms, 50);
    t.ms = HARDWARE_MAX_AGE_MS;
    assert.equal(await hw.fresh(), withAll);
    assert.equal(await hw.fresh(), withAll);
    assert.equal(detections, 1);
    assert.match(String(log.at('warn')[0]?.msg), /takes too long/);
  });
});
