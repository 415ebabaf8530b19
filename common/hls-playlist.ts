/**
 * HLS playlists (RFC 8216), written by pure functions: the fleet's live
 * playlist and the box's VOD playlist of a whole talk. A playlist is always
 * rendered whole from one snapshot of the segment list, so a reader can never
 * see one half-written (the m3u8 race of the first IPFS livestream, FIELD.md).
 */

export interface PlaylistSegment {
  uri: string;
  durationSeconds: number;
  /** Timestamps restart at this segment (a new talk, a restarted segmenter, a segment skipped). */
  discontinuity: boolean;
}

export interface LivePlaylist {
  /** The media sequence number of the first segment listed. */
  mediaSequence: number;
  /** Discontinuities that have slid out of the window before the first segment. */
  discontinuitySequence: number;
  segments: readonly PlaylistSegment[];
  /** The talk ended: EXT-X-ENDLIST, and players stop reloading. */
  ended: boolean;
}

/** EXT-X-TARGETDURATION: every segment's duration rounded to the nearest second must fit (RFC 8216 4.3.3.1). */
export function targetDuration(segments: readonly PlaylistSegment[], atLeast = 1): number {
  return Math.max(atLeast, ...segments.map((s) => Math.round(s.durationSeconds)));
}

function lines(segments: readonly PlaylistSegment[], skipFirstDiscontinuity: boolean): string[] {
  return segments.flatMap((s, i) => [
    ...(s.discontinuity && !(i === 0 && skipFirstDiscontinuity) ? ['#EXT-X-DISCONTINUITY'] : []),
    `#EXTINF:${s.durationSeconds.toFixed(3)},`,
    s.uri,
  ]);
}

export function renderLivePlaylist(p: LivePlaylist, minTargetSeconds: number): string {
  return [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    `#EXT-X-TARGETDURATION:${targetDuration(p.segments, minTargetSeconds)}`,
    `#EXT-X-MEDIA-SEQUENCE:${p.mediaSequence}`,
    `#EXT-X-DISCONTINUITY-SEQUENCE:${p.discontinuitySequence}`,
    ...lines(p.segments, false),
    ...(p.ended ? ['#EXT-X-ENDLIST'] : []),
    '',
  ].join('\n');
}

/** The whole talk, for playing it back afterwards: every segment, and EXT-X-ENDLIST. */
export function renderVodPlaylist(segments: readonly PlaylistSegment[]): string {
  return ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-PLAYLIST-TYPE:VOD', `#EXT-X-TARGETDURATION:${targetDuration(segments)}`, '#EXT-X-MEDIA-SEQUENCE:0', ...lines(segments, true), '#EXT-X-ENDLIST', ''].join('\n');
}

/**
 * Segments per folder of a VOD directory. A folder is one dag-pb block of
 * about 55 bytes per segment (55 KB here), far under the 1 MiB that bitswap
 * peers are expected to transfer, however long the stream runs; one folder
 * for all of a 12-hour day would be 1.2 MB.
 */
export const VOD_FOLDER_SEGMENTS = 1000;

/** A segment's path inside the VOD directory, folder/file; zero-padded so listings are in order. */
export function vodSegmentName(sequence: number): string {
  return `${String(Math.floor(sequence / VOD_FOLDER_SEGMENTS)).padStart(3, '0')}/${String(sequence).padStart(6, '0')}.ts`;
}

export const VOD_PLAYLIST_NAME = 'index.m3u8';
