import type { LivePlaylist, PlaylistSegment } from '../../common/hls-playlist.js';

/**
 * One box's live playlist as data: the sliding window of segments the fleet
 * has made sure are retrievable, in the order the box cut them. Pure: the
 * fleet's LiveStreams folds announcements into it; a playlist is rendered
 * from one value of it, whole.
 */
export interface LiveWindow {
  stream: string | null;
  /**
   * Media sequence number of the first listed segment: the box's sequence
   * number of the first segment this window listed, then counted on by the
   * fleet (a skipped segment is not counted). A fleet that restarted mid-talk
   * thus starts at the box's number, never below what players were given.
   */
  mediaSequence: number;
  discontinuitySequence: number;
  segments: (PlaylistSegment & { cid: string })[];
  ended: boolean;
  /** The next listed segment follows a gap or a new talk. */
  pendingDiscontinuity: boolean;
  /** The box's sequence number of the newest listed segment (-1: none yet). */
  lastSequence: number;
}

export const EMPTY_WINDOW: LiveWindow = { stream: null, mediaSequence: 0, discontinuitySequence: 0, segments: [], ended: false, pendingDiscontinuity: false, lastSequence: -1 };

/**
 * A retrievable segment joins the live edge; the oldest slide out past `size`.
 * One of the same talk not newer than the live edge (a resent one arriving
 * after a newer segment) is left out: a playlist never goes back in time.
 */
export function listSegment(w: LiveWindow, seg: { stream: string; sequence: number; cid: string; uri: string; durationSeconds: number; discontinuity: boolean }, size: number): LiveWindow {
  if (w.stream === seg.stream && seg.sequence <= w.lastSequence) return w;
  const newTalk = w.stream !== null && w.stream !== seg.stream;
  // A new talk after one that ended starts a new playlist; players reload it from the top.
  const base = w.stream === null ? { ...w, mediaSequence: seg.sequence } : newTalk && w.ended ? { ...EMPTY_WINDOW, mediaSequence: w.mediaSequence + w.segments.length, discontinuitySequence: w.discontinuitySequence } : w;
  const discontinuity = seg.discontinuity || base.pendingDiscontinuity || (newTalk && base.segments.length > 0);
  const all = [...base.segments, { cid: seg.cid, uri: seg.uri, durationSeconds: seg.durationSeconds, discontinuity }];
  const dropped = all.slice(0, Math.max(all.length - size, 0));
  return {
    stream: seg.stream,
    mediaSequence: base.mediaSequence + dropped.length,
    discontinuitySequence: base.discontinuitySequence + dropped.filter((s) => s.discontinuity).length,
    segments: all.slice(dropped.length),
    ended: false,
    pendingDiscontinuity: false,
    lastSequence: seg.sequence,
  };
}

/** A segment could not be fetched in time: it is skipped, and the next one marks the gap. */
export function skipSegment(w: LiveWindow): LiveWindow {
  return { ...w, pendingDiscontinuity: true };
}

/** The talk ended: the playlist gets EXT-X-ENDLIST (players stop at its end). */
export function endWindow(w: LiveWindow, stream: string): LiveWindow {
  return w.stream === null || w.stream === stream ? { ...w, stream, ended: true } : w;
}

export function toPlaylist(w: LiveWindow): LivePlaylist {
  return { mediaSequence: w.mediaSequence, discontinuitySequence: w.discontinuitySequence, segments: w.segments, ended: w.ended };
}
