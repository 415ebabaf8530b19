import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as dagPb from '@ipld/dag-pb';
import { UnixFS } from 'ipfs-unixfs';
import { CID } from 'multiformats/cid';
import { sha256 } from 'multiformats/hashes/sha2';
import { renderVodPlaylist, VOD_FOLDER_SEGMENTS, VOD_PLAYLIST_NAME, vodSegmentName } from '../../common/hls-playlist.js';
import { vodDirectoryBlocks, type Block } from '../../device/ipfs/vod-directory.js';

/** A distinct raw-leaf CID per segment, as the box's node gives them. */
async function segmentCid(n: number): Promise<string> {
  return CID.createV1(0x55, await sha256.digest(new TextEncoder().encode(`segment ${n}`))).toString();
}

async function talk(segments: number): Promise<{ top: Block; folders: Block[]; cids: string[]; playlist: string }> {
  const cids = await Promise.all(Array.from({ length: segments }, (_, n) => segmentCid(n)));
  const playlist = renderVodPlaylist(cids.map((_, n) => ({ uri: vodSegmentName(n), durationSeconds: 2, discontinuity: false })));
  const playlistCid = await segmentCid(-1);
  const dir = await vodDirectoryBlocks([{ name: VOD_PLAYLIST_NAME, cid: playlistCid, bytes: playlist.length }, ...cids.map((cid, n) => ({ name: vodSegmentName(n), cid, bytes: 500_000 }))]);
  return { ...dir, cids, playlist };
}

/** Follows a relative path through the blocks as a gateway would: each directory block by its CID, each name by its link. */
function resolver(blocks: Map<string, Uint8Array>): (root: string, path: string) => string {
  const decoded = new Map<string, dagPb.PBNode>();
  const directory = (cid: string): dagPb.PBNode => {
    let node = decoded.get(cid);
    if (!node) {
      const block = blocks.get(cid);
      assert.ok(block, `no block ${cid}`);
      node = dagPb.decode(block);
      assert.equal(UnixFS.unmarshal(node.Data ?? new Uint8Array()).type, 'directory');
      decoded.set(cid, node);
    }
    return node;
  };
  return (root, path) => {
    let cid = root;
    for (const name of path.split('/')) {
      const link = directory(cid).Links.find((l) => l.Name === name);
      assert.ok(link, `no ${name} in ${cid}`);
      cid = link.Hash.toString();
    }
    return cid;
  };
}

describe('the VOD directory', () => {
  it('every segment the playlist names is reached from the top by that path, and the CIDs are the blocks\' own', async () => {
    const t = await talk(2_500);
    const resolve = resolver(new Map([t.top, ...t.folders].map((b) => [b.cid, b.block])));
    for (const b of [t.top, ...t.folders]) assert.equal(CID.createV1(dagPb.code, await sha256.digest(b.block)).toString(), b.cid);
    const uris = t.playlist.split('\n').filter((l) => l.endsWith('.ts'));
    assert.equal(uris.length, 2_500);
    uris.forEach((uri, n) => assert.equal(resolve(t.top.cid, uri), t.cids[n], uri));
    assert.equal(resolve(t.top.cid, VOD_PLAYLIST_NAME), await segmentCid(-1));
    const top = dagPb.decode(t.top.block);
    assert.deepEqual(top.Links.map((l) => l.Name), ['000', '001', '002', VOD_PLAYLIST_NAME]);
    // A folder's size is its block and everything under it, as gateways expect of Tsize.
    const folder = t.folders[0];
    assert.ok(folder);
    assert.equal(top.Links[0]?.Tsize, folder.block.byteLength + VOD_FOLDER_SEGMENTS * 500_000);
  });

  it('a 12-hour day of 2 s segments keeps every block small (one flat directory would be 1.2 MB)', async () => {
    const t = await talk(21_600);
    assert.equal(t.folders.length, 22);
    const largest = Math.max(...[t.top, ...t.folders].map((b) => b.block.byteLength));
    assert.ok(largest < 64 * 1024, `largest block ${largest} bytes`);
    for (const f of t.folders) assert.ok(dagPb.decode(f.block).Links.length <= VOD_FOLDER_SEGMENTS);
  });
});
