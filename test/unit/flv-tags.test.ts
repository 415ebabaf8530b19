import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FlvTagReader, type FlvTag } from '../../testbed/flv.js';

/** An FLV tag as nginx-rtmp writes it: 11-byte header, body, 4-byte size of the two. */
function tag(type: number, timestamp: number, body: number[]): Buffer {
  const header = Buffer.alloc(11);
  header[0] = type;
  header.writeUIntBE(body.length, 1, 3);
  header.writeUIntBE(timestamp & 0xffffff, 4, 3);
  header[7] = timestamp >>> 24;
  const size = Buffer.alloc(4);
  size.writeUInt32BE(11 + body.length);
  return Buffer.concat([header, Buffer.from(body), size]);
}

const FILE_HEADER = Buffer.from([0x46, 0x4c, 0x56, 1, 5, 0, 0, 0, 9, 0, 0, 0, 0]);
const TAGS = [
  tag(18, 0, [2, 0, 0]),
  tag(9, 0, [0x17, 0, 0, 0, 0, 1, 0x64]), // AVC sequence header
  tag(9, 100, [0x17, 1, 0, 0, 0x42, 0, 0, 0, 1]), // keyframe, composition offset +66
  tag(8, 120, [0xaf, 1, 0x21]),
  tag(9, 0x01000005, [0x27, 1, 0xff, 0xff, 0xdf, 0, 0, 0, 1]), // extended timestamp, offset -33
];
const FILE = Buffer.concat([FILE_HEADER, ...TAGS]);
const EXPECTED: FlvTag[] = [
  { type: 18, dts: 0, pts: 0, picture: false },
  { type: 9, dts: 0, pts: 0, picture: false },
  { type: 9, dts: 100, pts: 166, picture: true },
  { type: 8, dts: 120, pts: 120, picture: false },
  { type: 9, dts: 0x01000005, pts: 0x01000005 - 33, picture: true },
];

describe('the incremental FLV tag reader', () => {
  it('reads every tag of a whole file: type, dts with its upper 8 bits, pts with the AVC composition offset', () => {
    assert.deepEqual(new FlvTagReader().push(FILE), EXPECTED);
  });

  it('reads the same tags from a file that grows a byte at a time', () => {
    const reader = new FlvTagReader();
    const tags = [...FILE].flatMap((b) => reader.push(Buffer.from([b])));
    assert.deepEqual(tags, EXPECTED);
  });

  it('reports a tag only once its trailing size is written', () => {
    const reader = new FlvTagReader();
    const firstTwo = FILE_HEADER.length + (TAGS[0]?.length ?? 0) + (TAGS[1]?.length ?? 0);
    assert.equal(reader.push(FILE.subarray(0, firstTwo - 1)).length, 1);
    assert.deepEqual(reader.push(FILE.subarray(firstTwo - 1, firstTwo)), [EXPECTED[1]]);
  });

  it('refuses what is not FLV', () => {
    assert.throws(() => new FlvTagReader().push(Buffer.from('GIF89a...')), /not an FLV/);
  });
});
