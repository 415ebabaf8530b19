import * as dagPb from '@ipld/dag-pb';
import { UnixFS } from 'ipfs-unixfs';
import { CID } from 'multiformats/cid';
import { sha256 } from 'multiformats/hashes/sha2';

export interface DirectoryEntry {
  name: string;
  cid: string;
  /** The entry's size in bytes (the link's Tsize; advisory). */
  bytes: number;
}

/**
 * A talk's VOD as one UnixFS directory: index.m3u8 next to every segment, so
 * the playlist names its segments relatively and plays from any gateway
 * (/ipfs/<dir>/index.m3u8), and pinning the directory pins the whole talk.
 * One dag-pb block, built here rather than by copying links in one at a
 * time (which would write a new directory block per segment). A 3-hour talk
 * of 2 s segments is about 0.5 MB of links, under bitswap's block limit.
 */
export async function vodDirectoryBlock(entries: readonly DirectoryEntry[]): Promise<{ cid: string; block: Uint8Array }> {
  const links = entries.map((e) => ({ Name: e.name, Hash: CID.parse(e.cid), Tsize: e.bytes }));
  const block = dagPb.encode(dagPb.prepare({ Data: new UnixFS({ type: 'directory' }).marshal(), Links: links }));
  const cid = CID.createV1(dagPb.code, await sha256.digest(block));
  return { cid: cid.toString(), block };
}
