import type { DeviceId, ResultValue } from '../common/protocol.js';

/** A box's latest still, as its snapshot answer carried it. */
export interface StoredSnapshot {
  jpeg: Buffer;
  width: number;
  height: number;
  /** When the fleet received it. */
  at: Date;
}

const JPEG_START = Buffer.from([0xff, 0xd8, 0xff]);

/** The still in a snapshot answer's result, or null when the result holds no JPEG. */
export function stillFromResult(result: Readonly<Record<string, ResultValue>> | undefined, at: Date): StoredSnapshot | null {
  const base64 = result?.['jpegBase64'];
  const width = result?.['width'];
  const height = result?.['height'];
  if (typeof base64 !== 'string' || typeof width !== 'number' || typeof height !== 'number') return null;
  const jpeg = Buffer.from(base64, 'base64');
  return jpeg.subarray(0, JPEG_START.length).equals(JPEG_START) ? { jpeg, width, height, at } : null;
}

/**
 * The latest still of each box, in memory: a still is stale within minutes,
 * so it is not worth a database row, and a restarted fleet simply has none
 * until the next snapshot command. Each fleet instance keeps the stills it
 * asked for.
 */
export class LatestSnapshots {
  private readonly stills = new Map<DeviceId, StoredSnapshot>();

  put(id: DeviceId, still: StoredSnapshot): void {
    this.stills.set(id, still);
  }

  get(id: DeviceId): StoredSnapshot | null {
    return this.stills.get(id) ?? null;
  }

  forget(id: DeviceId): void {
    this.stills.delete(id);
  }
}
