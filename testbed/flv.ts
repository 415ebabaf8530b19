import { open, type FileHandle } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * Whether an FLV file being written (nginx-rtmp's recording of a publish)
 * already holds a video tag: the moment the first frame reached the ingest.
 * FLV: 9-byte header + 4-byte size, then tags of 11-byte header + body + 4.
 */
export async function hasVideoTag(path: string): Promise<boolean> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch {
    return false;
  }
  try {
    const buf = Buffer.alloc(11);
    let pos = 13;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, 11, pos);
      if (bytesRead < 11) return false;
      const type = buf[0] ?? 0;
      const size = buf.readUIntBE(1, 3);
      if (type === 9) return true;
      pos += 11 + size + 4;
    }
  } finally {
    await fh.close();
  }
}

/** One FLV tag as read from the file; times in milliseconds, as the tag carries them. */
export interface FlvTag {
  /** 8 audio, 9 video, 18 script data. */
  type: number;
  /** Decoding time: the tag's 24-bit timestamp extended by its upper 8 bits. */
  dts: number;
  /** Presentation time: dts plus an AVC picture's composition time offset. */
  pts: number;
  /** A video tag carrying a picture (not an AVC sequence header or end of sequence). */
  picture: boolean;
}

const VIDEO = 9;
const AVC = 7;
const AVC_NALU = 1;

/** The tag that starts at `at` in `buf`, which holds at least its 11-byte header and its body. */
function tagAt(buf: Buffer, at: number, size: number): FlvTag {
  const type = (buf[at] ?? 0) & 0x1f;
  const dts = (buf.readUIntBE(at + 4, 3) | ((buf[at + 7] ?? 0) << 24)) >>> 0;
  const body = at + 11;
  const codec = (buf[body] ?? 0) & 0x0f;
  if (type !== VIDEO) return { type, dts, pts: dts, picture: false };
  if (codec !== AVC) return { type, dts, pts: dts, picture: true };
  const packetType = size >= 5 ? buf[body + 1] : undefined;
  const cts = size >= 5 ? buf.readIntBE(body + 2, 3) : 0;
  return { type, dts, pts: dts + cts, picture: packetType === AVC_NALU };
}

/**
 * Parses an FLV byte stream fed in pieces of any size (a file as it grows):
 * each push returns the tags completed by those bytes, including their
 * trailing 4-byte size, so a tag is never reported half written.
 */
export class FlvTagReader {
  private pending: Buffer = Buffer.alloc(0);
  /** Bytes still to skip: the file header and the first PreviousTagSize, once their length is known. */
  private headerLeft = -1;

  push(chunk: Buffer): FlvTag[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    if (this.headerLeft < 0) {
      if (this.pending.length < 9) return [];
      if (this.pending.toString('latin1', 0, 3) !== 'FLV') throw new Error('not an FLV stream');
      this.headerLeft = this.pending.readUInt32BE(5) + 4;
    }
    const skip = Math.min(this.headerLeft, this.pending.length);
    this.headerLeft -= skip;
    let at = skip;
    const tags: FlvTag[] = [];
    while (this.pending.length - at >= 11) {
      const size = this.pending.readUIntBE(at + 1, 3);
      if (this.pending.length - at < 11 + size + 4) break;
      tags.push(tagAt(this.pending, at, size));
      at += 11 + size + 4;
    }
    this.pending = this.pending.subarray(at);
    return tags;
  }
}

/** A tag and the moment (performance.now()) it was whole in the file. */
export type ArrivedTag = FlvTag & { at: number };

/**
 * Follows an FLV file as another process writes it, polling every `pollMs`
 * and reading only the new bytes, and stamps each tag with the time it was
 * first seen complete: at most one poll after its last byte was written.
 */
export class FlvFollower {
  readonly tags: ArrivedTag[] = [];
  private running = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly pollMs = 1,
  ) {}

  async start(): Promise<void> {
    const fh = await open(this.path, 'r');
    this.running = true;
    this.loop = this.follow(fh).finally(() => fh.close());
    // A failure waits for stop(), which rethrows it.
    this.loop.catch(() => undefined);
  }

  private async follow(fh: FileHandle): Promise<void> {
    const reader = new FlvTagReader();
    const buf = Buffer.alloc(256 * 1024);
    let pos = 0;
    while (this.running) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) {
        await delay(this.pollMs);
        continue;
      }
      const at = performance.now();
      pos += bytesRead;
      // The reader keeps what it has not parsed yet, so it gets a copy of the shared buffer.
      for (const tag of reader.push(Buffer.from(buf.subarray(0, bytesRead)))) this.tags.push({ ...tag, at });
    }
  }

  /** Stops polling; rejects if following the file failed. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}
