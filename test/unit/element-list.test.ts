import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseElementList } from '../../device/hardware/detect.js';

// The shape of `gst-inspect-1.0` with no arguments (GStreamer 1.22), including a type-find line and the total.
const LISTING = `x264:  x264enc: x264 H.264 Encoder
rtmp2:  rtmp2sink: RTMP sink element
video4linux2:  v4l2h264enc: V4L2 H.264 Encoder
typefindfunctions: video/x-h264: h264, x264, 264
coreelements:  queue: Queue

Total count: 5 plugins, 1537 features
`;

describe('gst-inspect-1.0 listing', () => {
  it('yields the element names, not type-find entries or the summary', () => {
    const names = parseElementList(LISTING);
    assert.deepEqual([...names].sort(), ['queue', 'rtmp2sink', 'v4l2h264enc', 'x264enc']);
  });
});
