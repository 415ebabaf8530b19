import { join } from 'node:path';
import type { DeviceConfig } from '../../common/config/schema.js';
import type { IpfsNode } from '../../common/ipfs/ipfs-node.js';
import type { Logger } from '../../common/log.js';
import type { IpfsNodeInfo } from '../../common/protocol.js';

/** Where the box keeps its IPFS store, its pin ledger and the segments being written. */
export function ipfsDir(config: Pick<DeviceConfig, 'dataDir'>): string {
  return join(config.dataDir, 'ipfs');
}

/**
 * The box's IPFS node, opened on first use and kept until the agent stops:
 * the embedded Helia node (loaded only then, so a box without the ipfs
 * destination never pays for it), or an external Kubo node.
 */
export class BoxIpfs {
  private opening: Promise<IpfsNode> | null = null;

  constructor(
    private readonly config: Pick<DeviceConfig, 'dataDir' | 'ipfsListen' | 'ipfsAnnounce' | 'ipfsKuboApi'>,
    private readonly log: Logger,
    private readonly onReady: (info: IpfsNodeInfo) => void,
  ) {}

  node(): Promise<IpfsNode> {
    this.opening ??= this.open();
    return this.opening;
  }

  private async open(): Promise<IpfsNode> {
    const c = this.config;
    const rssBefore = process.memoryUsage().rss;
    let node: IpfsNode;
    if (c.ipfsKuboApi) {
      const { KuboNode } = await import('./kubo-node.js');
      node = await KuboNode.connect(c.ipfsKuboApi);
    } else {
      const { HeliaNode } = await import('../../common/ipfs/helia-node.js');
      node = await HeliaNode.create({ dir: join(ipfsDir(c), 'store'), listen: [c.ipfsListen], name: 'roomcast-box' });
    }
    const info = { peerId: node.peerId, multiaddrs: c.ipfsAnnounce.length > 0 ? c.ipfsAnnounce : node.addresses() };
    // What loading and starting the node cost this process (docs/benchmarks.md).
    this.log.info('ipfs: node ready', { kubo: c.ipfsKuboApi, ...info, rssBeforeBytes: rssBefore, rssBytes: process.memoryUsage().rss });
    this.onReady(info);
    return node;
  }

  async close(): Promise<void> {
    const opening = this.opening;
    this.opening = null;
    if (!opening) return;
    try {
      await (await opening).stop();
    } catch (err) {
      this.log.warn('ipfs: the node did not stop cleanly', { error: err instanceof Error ? err.message : String(err) });
    }
  }
}
