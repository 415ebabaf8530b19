import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderLivePlaylist, renderVodPlaylist, targetDuration, vodSegmentName } from '../../common/hls-playlist.js';
import { EMPTY_WINDOW, endWindow, listSegment, skipSegment, toPlaylist, type LiveWindow } from '../../fleet/live/live-window.js';

const seg = (n: number, stream = 's1', discontinuity = false) => ({ stream, sequence: n, cid: `cid${n}`, uri: `ipfs/cid${n}`, durationSeconds: 2, discontinuity });

function fill(w: LiveWindow, from: number, to: number, size = 3, stream = 's1'): LiveWindow {
  for (let n = from; n < to; n++) w = listSegment(w, seg(n, stream), size);
  return w;
}

describe('the live window', () => {
  it('slides: the oldest segments leave, the media sequence counts them', () => {
    const w = fill(EMPTY_WINDOW, 0, 5);
    assert.deepEqual(w.segments.map((s) => s.cid), ['cid2', 'cid3', 'cid4']);
    assert.equal(w.mediaSequence, 2);
    assert.equal(
      renderLivePlaylist(toPlaylist(w), 1),
      '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:2\n#EXT-X-DISCONTINUITY-SEQUENCE:0\n#EXTINF:2.000,\nipfs/cid2\n#EXTINF:2.000,\nipfs/cid3\n#EXTINF:2.000,\nipfs/cid4\n',
    );
  });

  it('a skipped segment marks the next one as a discontinuity, counted once it slides out', () => {
    let w = fill(EMPTY_WINDOW, 0, 2);
    w = skipSegment(w);
    w = fill(w, 3, 4);
    assert.deepEqual(w.segments.map((s) => s.discontinuity), [false, false, true]);
    w = fill(w, 4, 7);
    assert.equal(w.discontinuitySequence, 1);
    assert.doesNotMatch(renderLivePlaylist(toPlaylist(w), 1), /#EXT-X-DISCONTINUITY\n/);
  });

  it('ends with EXT-X-ENDLIST; a new talk then starts a new list, numbered on', () => {
    let w = endWindow(fill(EMPTY_WINDOW, 0, 4), 's1');
    assert.match(renderLivePlaylist(toPlaylist(w), 1), /#EXT-X-ENDLIST\n$/);
    w = listSegment(w, seg(0, 's2'), 3);
    assert.deepEqual(w.segments.map((s) => s.cid), ['cid0']);
    assert.equal(w.mediaSequence, 4);
    assert.equal(w.ended, false);
  });

  it("a window started mid-talk (the fleet restarted) numbers from the box's sequence, never below what players had", () => {
    const msn = (w: LiveWindow, cid: string): number => w.mediaSequence + w.segments.findIndex((s) => s.cid === cid);
    // Before the restart: segments 0..9, one skipped (7), so the fleet's count ends one behind the box's.
    const before = fill(skipSegment(fill(EMPTY_WINDOW, 0, 7)), 8, 10);
    assert.equal(msn(before, 'cid9'), 8);
    // After it, the box sends its newest segments again; the window starts at the first of them.
    const after = fill(EMPTY_WINDOW, 4, 10);
    assert.equal(after.mediaSequence, 7);
    // The same segment keeps its number or moves forward (by the skips), never back.
    assert.equal(msn(after, 'cid9'), 9);
  });

  it('a segment of the same talk not newer than the live edge (resent, arriving late) is left out', () => {
    const w = fill(EMPTY_WINDOW, 9, 10);
    assert.equal(listSegment(w, seg(4), 3), w);
    assert.equal(listSegment(w, seg(9), 3), w);
    assert.deepEqual(listSegment(w, seg(10), 3).segments.map((s) => s.cid), ['cid9', 'cid10']);
    // Another talk numbers from its own start.
    assert.equal(listSegment(endWindow(w, 's1'), seg(0, 's2'), 3).segments.at(-1)!.cid, 'cid0');
  });

  it('a new talk while the old one never ended (the box restarted) continues after a discontinuity', () => {
    const w = listSegment(fill(EMPTY_WINDOW, 0, 2), seg(0, 's2'), 3);
    assert.deepEqual(w.segments.map((s) => s.discontinuity), [false, false, true]);
  });
});

describe('the VOD playlist', () => {
  it('lists every segment by its name in the directory and ends with EXT-X-ENDLIST', () => {
    const text = renderVodPlaylist([0, 1, 2].map((n) => ({ uri: vodSegmentName(n), durationSeconds: n === 0 ? 1.666 : 2, discontinuity: n === 0 })));
    assert.equal(text, '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:1.666,\n000/000000.ts\n#EXTINF:2.000,\n000/000001.ts\n#EXTINF:2.000,\n000/000002.ts\n#EXT-X-ENDLIST\n');
  });

  it('puts a thousand segments in each folder', () => {
    assert.deepEqual([999, 1000, 21_599].map(vodSegmentName), ['000/000999.ts', '001/001000.ts', '021/021599.ts']);
  });

  it('the target duration covers the longest segment, rounded', () => {
    assert.equal(targetDuration([{ uri: 'a', durationSeconds: 2.6, discontinuity: false }]), 3);
    assert.equal(targetDuration([], 2), 2);
  });
});
