import { join } from 'node:path';
import type { DeviceConfig } from '../../common/config/schema.js';
import type { IpfsNode } from '../../common/ipfs/ipfs-node.js';
import type { Logger } from '../../common/log.js';
import type { IpfsNodeInfo } from '../../common/protocol.js';
import { FleetPeering } from './fleet-peering.js';

/** Where the box keeps its IPFS store, its pin ledger and the segments being written. */
export function ipfsDir(config: Pick<DeviceConfig, 'dataDir'>): string {
  return join(config.dataDir, 'ipfs');
}

/**
 * The box's IPFS node, opened on first use and kept until the agent stops:
 * the embedded Helia node (loaded only then, so a box without the ipfs
 * destination never pays for it), or an external Kubo node. While the fleet
 * says where its own node listens, the box keeps a connection to it.
 */
export class BoxIpfs {
  private opening: Promise<IpfsNode> | null = null;
  private ready: IpfsNode | null = null;
  private fleet: IpfsNodeInfo | null = null;
  private peering: FleetPeering | null = null;

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
      node = await HeliaNode.create({ dir: join(ipfsDir(c), 'store'), listen: c.ipfsListen ? [c.ipfsListen] : [], name: 'roomcast-box' });
    }
    const info = { peerId: node.peerId, multiaddrs: c.ipfsAnnounce.length > 0 ? c.ipfsAnnounce : node.addresses() };
    // What loading and starting the node cost this process (docs/benchmarks.md).
    this.log.info('ipfs: node ready', { kubo: c.ipfsKuboApi, ...info, rssBeforeBytes: rssBefore, rssBytes: process.memoryUsage().rss });
    this.onReady(info);
    this.ready = node;
    this.peer();
    return node;
  }

  /** Where the fleet's node listens (null: the fleet no longer says): dialled from now on. */
  fleetNode(info: IpfsNodeInfo | null): void {
    if (JSON.stringify(info) === JSON.stringify(this.fleet)) return;
    this.fleet = info;
    this.stopPeering();
    this.peer();
  }

  private peer(): void {
    if (!this.ready || !this.fleet || this.fleet.multiaddrs.length === 0 || this.peering) return;
    this.peering = new FleetPeering(this.ready, this.fleet, this.log);
    this.peering.start();
  }

  private stopPeering(): void {
    this.peering?.stop();
    this.peering = null;
  }

  async close(): Promise<void> {
    const opening = this.opening;
    this.opening = null;
    this.ready = null;
    this.stopPeering();
    if (!opening) return;
    try {
      const node = await opening;
      // It may have opened (and started dialling) after the lines above.
      this.ready = null;
      this.stopPeering();
      await node.stop();
    } catch (err) {
      this.log.warn('ipfs: the node did not stop cleanly', { error: err instanceof Error ? err.message : String(err) });
    }
  }
}
