import * as dagPb from '@ipld/dag-pb';
import { UnixFS } from 'ipfs-unixfs';
import { CID } from 'multiformats/cid';
import { sha256 } from 'multiformats/hashes/sha2';

export interface DirectoryEntry {
  /** A file name, or folder/file: one level of folders. */
  name: string;
  cid: string;
  /** The entry's size in bytes (the link's Tsize; advisory). */
  bytes: number;
}

export interface Block {
  cid: string;
  block: Uint8Array;
}

async function directoryBlock(entries: readonly DirectoryEntry[]): Promise<Block & { bytes: number }> {
  const links = entries.map((e) => ({ Name: e.name, Hash: CID.parse(e.cid), Tsize: e.bytes }));
  const block = dagPb.encode(dagPb.prepare({ Data: new UnixFS({ type: 'directory' }).marshal(), Links: links }));
  const cid = CID.createV1(dagPb.code, await sha256.digest(block));
  return { cid: cid.toString(), block, bytes: block.byteLength + entries.reduce((sum, e) => sum + e.bytes, 0) };
}

/**
 * A talk's VOD as a UnixFS directory: index.m3u8 at the top and the segments
 * in folders of at most VOD_FOLDER_SEGMENTS (their names say which: see
 * vodSegmentName), so the playlist names its segments relatively and plays
 * from any gateway (/ipfs/<dir>/index.m3u8), and pinning the directory pins
 * the whole talk. The blocks are built here rather than by copying links in
 * one at a time (which would write a new directory block per segment). The
 * top directory's CID is the VOD's.
 */
export async function vodDirectoryBlocks(entries: readonly DirectoryEntry[]): Promise<{ top: Block; folders: Block[] }> {
  const top: DirectoryEntry[] = [];
  const folders = new Map<string, DirectoryEntry[]>();
  for (const e of entries) {
    const slash = e.name.indexOf('/');
    if (slash < 0) {
      top.push(e);
      continue;
    }
    const folder = e.name.slice(0, slash);
    const list = folders.get(folder) ?? [];
    list.push({ ...e, name: e.name.slice(slash + 1) });
    folders.set(folder, list);
  }
  const blocks: Block[] = [];
  for (const [name, list] of folders) {
    const dir = await directoryBlock(list);
    blocks.push({ cid: dir.cid, block: dir.block });
    top.push({ name, cid: dir.cid, bytes: dir.bytes });
  }
  const root = await directoryBlock(top);
  return { top: { cid: root.cid, block: root.block }, folders: blocks };
}
