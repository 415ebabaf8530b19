const rss = () => Math.round(process.memoryUsage().rss/1048576);
console.log('base', rss());
const what = process.argv[2];
if (what === 'light') {
  await import('libp2p'); await import('@libp2p/tcp'); await import('@libp2p/noise'); await import('@libp2p/yamux'); await import('@libp2p/identify');
  await import('@helia/bitswap'); await import('@helia/unixfs'); await import('blockstore-fs'); await import('datastore-fs');
  const p = import.meta.resolve('helia').replace(/index\.js$/, 'helia.js'); await import(p);
} else await import('helia');
globalThis.gc?.();
console.log(what, rss());
