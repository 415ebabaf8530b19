import './node20-compat.js';
import { createReadStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Helia } from '@helia/interface';
import type { HeliaWithLibp2p } from '@helia/libp2p';
import { withBitswap } from '@helia/bitswap';
import { unixfs, type UnixFS } from '@helia/unixfs';
import { loadOrCreateSelfKey } from '@libp2p/config';
import { identify } from '@libp2p/identify';
import { noise } from '@libp2p/noise';
import { tcp } from '@libp2p/tcp';
import { yamux } from '@libp2p/yamux';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { FsBlockstore } from 'blockstore-fs';
import { FsDatastore } from 'datastore-fs';
import { createLibp2p, type Libp2p } from 'libp2p';
import { CID } from 'multiformats/cid';
import type { IpfsNode } from './ipfs-node.js';

/**
 * The embedded IPFS node (Helia) of a box and of the fleet service, with the
 * least libp2p that can move blocks between them: TCP, Noise, Yamux,
 * identify, bitswap. No bootstrap, DHT, mDNS, relay, AutoNAT, UPnP, WebRTC,
 * delegated routing or HTTP gateway fallback: it dials only the addresses it
 * is told to (a connection gater refuses every other), so it never reaches
 * the public network by itself.
 *
 * Helia's own entry point loads libp2p's whole default stack at import
 * (WebRTC, WebSockets, the DHT, ...): 129 MB RSS against 82 MB for what is
 * imported here (measured, Node 20). So the Helia class is taken from its own
 * module and given its libp2p by the small mixin below.
 */
export interface HeliaNodeOptions {
  /** Blocks and the node's key live here (created if missing). */
  dir: string;
  /** TCP multiaddrs to listen on; none for a node that only dials. */
  listen: string[];
  name: string;
  /** Which peers may connect to it (checked once Noise has proven who they are); unset: any. */
  acceptFrom?: (peerId: string) => boolean;
}

interface HeliaClassModule {
  Helia: new (init: { name: string; version: string; blockstore: FsBlockstore; datastore: FsDatastore }) => Helia & { addMixin(m: { name: string; start?: (h: Helia) => Promise<void>; stop?: () => Promise<void> }): void };
}

async function heliaClass(): Promise<HeliaClassModule['Helia']> {
  // Not in the package's exports map, hence the file URL: see above for why.
  const url = import.meta.resolve('helia').replace(/index\.js$/, 'helia.js');
  return ((await import(url)) as HeliaClassModule).Helia;
}

export class HeliaNode implements IpfsNode {
  private readonly dialable = new Set<string>();

  private constructor(
    private readonly helia: HeliaWithLibp2p,
    private readonly libp2p: Libp2p,
    private readonly fs: UnixFS,
  ) {}

  static async create(opts: HeliaNodeOptions): Promise<HeliaNode> {
    await mkdir(opts.dir, { recursive: true });
    const blockstore = new FsBlockstore(join(opts.dir, 'blocks'));
    const datastore = new FsDatastore(join(opts.dir, 'data'));
    await blockstore.open();
    await datastore.open();
    const Helia = await heliaClass();
    const helia = new Helia({ name: opts.name, version: '1', blockstore, datastore });
    let node: HeliaNode | null = null;
    let libp2p: Libp2p | null = null;
    const dialable = (ma: Multiaddr): boolean => node?.dialable.has(ma.decapsulateCode(421).toString()) ?? false;
    helia.addMixin({
      name: 'libp2p',
      start: async (h) => {
        libp2p = await createLibp2p({
          // The same key on every start: the fleet keeps dialling the same peer.
          privateKey: await loadOrCreateSelfKey(datastore),
          datastore,
          addresses: { listen: opts.listen },
          transports: [tcp()],
          connectionEncrypters: [noise()],
          streamMuxers: [yamux()],
          services: { identify: identify() },
          connectionGater: {
            denyDialMultiaddr: (ma) => !dialable(ma),
            denyInboundEncryptedConnection: (peer) => (opts.acceptFrom ? !opts.acceptFrom(peer.toString()) : false),
          },
        });
        Object.defineProperty(h, 'libp2p', { value: libp2p, configurable: true, enumerable: true });
      },
      stop: async () => {
        await libp2p?.stop();
      },
    });
    const withLibp2p = helia as unknown as HeliaWithLibp2p;
    withBitswap(withLibp2p);
    await helia.start();
    if (!libp2p) throw new Error('libp2p did not start');
    node = new HeliaNode(withLibp2p, libp2p, unixfs(helia));
    return node;
  }

  get peerId(): string {
    return this.libp2p.peerId.toString();
  }

  /** The TCP addresses it listens on, as bound (a wildcard expanded to each interface), without /p2p/. */
  addresses(): string[] {
    return [...new Set(this.libp2p.getMultiaddrs().map((ma) => ma.decapsulateCode(421).toString()))];
  }

  async addFile(path: string): Promise<{ cid: string; bytes: number }> {
    let bytes = 0;
    const content = (async function* () {
      for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        yield chunk;
      }
    })();
    // CIDv1 with raw leaves: what Kubo makes with --cid-version=1, so both give the same CID.
    const cid = await this.fs.addByteStream(content, { cidVersion: 1, rawLeaves: true });
    return { cid: cid.toString(), bytes };
  }

  async addBytes(data: Uint8Array): Promise<string> {
    return (await this.fs.addBytes(data, { cidVersion: 1, rawLeaves: true })).toString();
  }

  async putBlock(cid: string, block: Uint8Array): Promise<void> {
    await this.helia.blockstore.put(CID.parse(cid), block);
  }

  /** A pin walks the whole DAG, fetching what is missing (the fleet's VOD pin), until `signal` aborts. */
  async pin(cid: string, signal?: AbortSignal): Promise<void> {
    const parsed = CID.parse(cid);
    if (await this.helia.pins.isPinned(parsed)) return;
    for await (const pinned of this.helia.pins.add(parsed, signal ? { signal } : {})) void pinned;
  }

  async unpin(cid: string): Promise<void> {
    const parsed = CID.parse(cid);
    if (!(await this.helia.pins.isPinned(parsed))) return;
    for await (const unpinned of this.helia.pins.rm(parsed)) void unpinned;
  }

  async gc(): Promise<void> {
    await this.helia.gc();
  }

  /**
   * Connects to a peer at the addresses it announced; only these become
   * dialable. Resolves once connected (bitswap then asks it for blocks).
   */
  async connect(peerId: string, addresses: readonly string[], signal: AbortSignal): Promise<void> {
    for (const a of addresses) this.dialable.add(a);
    if (await this.isConnected(peerId)) return;
    await this.libp2p.dial(addresses.map((a) => multiaddr(`${a}/p2p/${peerId}`)), { signal });
  }

  /** Whether a connection to the peer is open, whichever side dialled. */
  isConnected(peerId: string): Promise<boolean> {
    return Promise.resolve(this.libp2p.getConnections().some((c) => c.remotePeer.toString() === peerId));
  }

  /** The bytes of a file (or a file inside a directory, by path), fetched over bitswap when missing. */
  cat(cid: string, opts: { path?: string; signal: AbortSignal; offline?: boolean }): AsyncIterable<Uint8Array> {
    return this.fs.cat(CID.parse(cid), { signal: opts.signal, offline: opts.offline ?? false, ...(opts.path ? { path: opts.path } : {}) });
  }

  async stop(): Promise<void> {
    await this.helia.stop();
  }
}
