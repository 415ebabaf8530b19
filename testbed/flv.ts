import { open } from 'node:fs/promises';

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
