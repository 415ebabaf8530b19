import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeviceId } from '../../common/protocol.js';
import { LatestSnapshots, stillFromResult } from '../../fleet/snapshots.js';

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0xff, 0xd9]);
const AT = new Date('2026-11-22T14:15:00Z');

describe('the fleet\'s latest stills', () => {
  it('reads the JPEG and its size out of a snapshot answer', () => {
    const still = stillFromResult({ jpegBase64: JPEG.toString('base64'), width: 640, height: 360 }, AT);
    assert.ok(still);
    assert.ok(still.jpeg.equals(JPEG));
    assert.deepEqual([still.width, still.height, still.at], [640, 360, AT]);
  });

  it('keeps nothing that is not a JPEG or lacks its size', () => {
    assert.equal(stillFromResult({ jpegBase64: Buffer.from('GIF89a').toString('base64'), width: 1, height: 1 }, AT), null);
    assert.equal(stillFromResult({ jpegBase64: JPEG.toString('base64'), width: '640', height: 360 }, AT), null);
    assert.equal(stillFromResult({ width: 640, height: 360 }, AT), null);
    assert.equal(stillFromResult(undefined, AT), null);
  });

  it('keeps the latest per box, and forgets a box', () => {
    const stills = new LatestSnapshots();
    const a = 'box-a' as DeviceId;
    const first = stillFromResult({ jpegBase64: JPEG.toString('base64'), width: 640, height: 360 }, AT);
    const second = stillFromResult({ jpegBase64: JPEG.toString('base64'), width: 320, height: 180 }, new Date(AT.getTime() + 1000));
    assert.ok(first && second);
    assert.equal(stills.get(a), null);
    stills.put(a, first);
    stills.put(a, second);
    assert.equal(stills.get(a), second);
    assert.equal(stills.get('box-b' as DeviceId), null);
    stills.forget(a);
    assert.equal(stills.get(a), null);
  });
});
