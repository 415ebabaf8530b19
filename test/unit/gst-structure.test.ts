import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseGstStructure } from '../../device/pipeline/gst-structure.js';

describe('parseGstStructure', () => {
  it('reads typed numeric fields of rtmp2sink stats', () => {
    const text =
      'application/x-rtmp-client-stats, in-chunk-size=(uint)128, out-chunk-size=(uint)4096, in-bytes-total=(guint64)99, out-bytes-total=(guint64)1234, out-bytes-acked=(guint64)1000, in-window-ack-size=(uint)2500000;';
    assert.deepEqual(parseGstStructure(text), {
      name: 'application/x-rtmp-client-stats',
      fields: { 'in-chunk-size': 128, 'out-chunk-size': 4096, 'in-bytes-total': 99, 'out-bytes-total': 1234, 'out-bytes-acked': 1000, 'in-window-ack-size': 2500000 },
    });
  });

  it('reads signed, 64-bit beyond 2^32 and floating point values', () => {
    const r = parseGstStructure('stats, a=(int)-3, b=(gint64)-9000000000, c=(guint64)6000000000, d=(double)29.97, e=(float)0.5');
    assert.deepEqual(r?.fields, { a: -3, b: -9000000000, c: 6000000000, d: 29.97, e: 0.5 });
  });

  it('reads untyped numbers as numbers and untyped words as strings', () => {
    assert.deepEqual(parseGstStructure('stats, a=5, b=-2.5, mode=live')?.fields, { a: 5, b: -2.5, mode: 'live' });
  });

  it('keeps non-numeric typed values as strings', () => {
    assert.deepEqual(parseGstStructure('stats, ok=(boolean)true, s=(string)abc')?.fields, { ok: 'true', s: 'abc' });
  });

  it('reads quoted strings, commas inside them included', () => {
    assert.deepEqual(parseGstStructure('stats, msg=(string)"hello, world", n=(int)1')?.fields, { msg: 'hello, world', n: 1 });
  });

  it('a structure with no fields has an empty field map', () => {
    assert.deepEqual(parseGstStructure('application/x-rtmp-client-stats'), { name: 'application/x-rtmp-client-stats', fields: {} });
  });

  for (const garbage of ['', '   ', ', a=(int)1', '(guint64)12, a=1', 'not a structure', '{"out-bytes-total": 1234}', '1234']) {
    it(`returns null for ${JSON.stringify(garbage)}`, () => {
      assert.equal(parseGstStructure(garbage), null);
    });
  }
});
