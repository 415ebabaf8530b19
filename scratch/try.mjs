import { createHeliaLight } from 'helia';
import { withLibp2pLight } from '@helia/libp2p';
import { withBitswap } from '@helia/bitswap';
import { unixfs } from '@helia/unixfs';
import { tcp } from '@libp2p/tcp';
import { noise } from '@libp2p/noise';
import { yamux } from '@libp2p/yamux';
import { identify } from '@libp2p/identify';
import { FsBlockstore } from 'blockstore-fs';
import { FsDatastore } from 'datastore-fs';
import { randomBytes } from 'node:crypto';
const rss = () => Math.round(process.memoryUsage().rss/1048576);
console.log('rss after import', rss());
async function node(dir) {
  const bs = new FsBlockstore(dir + '/blocks'); const ds = new FsDatastore(dir + '/data');
  await bs.open?.(); await ds.open?.();
  const h = withBitswap(withLibp2pLight(createHeliaLight({ blockstore: bs, datastore: ds }), {
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()], connectionEncrypters: [noise()], streamMuxers: [yamux()],
    services: { identify: identify() },
  }));
  await h.start();
  return h;
}
const a = await node('/tmp/hx-a'); const b = await node('/tmp/hx-b');
console.log('rss two nodes', rss(), a.libp2p.getMultiaddrs().map(String));
const data = randomBytes(650_000);
const t0 = performance.now();
const cid = await unixfs(a).addBytes(data, { rawLeaves: true, cidVersion: 1 });
console.log('add', cid.toString(), (performance.now()-t0).toFixed(1), 'ms');
for await (const p of a.pins.add(cid)) {}
await b.libp2p.dial(a.libp2p.getMultiaddrs()[0]);
const t1 = performance.now();
const chunks = []; for await (const c of unixfs(b).cat(cid, { signal: AbortSignal.timeout(5000) })) chunks.push(c);
const got = Buffer.concat(chunks);
console.log('fetch', (performance.now()-t1).toFixed(1), 'ms equal', got.equals(data));
console.log('rss', rss());
await a.stop(); await b.stop();
