/**
 * What the box needs of an IPFS node: add a closed segment, store the VOD
 * directory block, pin and unpin, collect garbage. Two adapters: the embedded
 * Helia node (common/ipfs/helia-node.ts, the default and the tested one) and
 * an external Kubo node's RPC API (device/ipfs/kubo-node.ts).
 */
export interface IpfsNode {
  readonly peerId: string;
  /** TCP multiaddrs it listens on, without /p2p/. */
  addresses(): string[];
  /** Adds a file as UnixFS, CIDv1 with raw leaves (not pinned). */
  addFile(path: string): Promise<{ cid: string; bytes: number }>;
  addBytes(data: Uint8Array): Promise<string>;
  /** Stores one dag-pb block the caller encoded (the VOD directory). */
  putBlock(cid: string, block: Uint8Array): Promise<void>;
  /** Recursive pins; pinning a pinned CID or unpinning an unpinned one does nothing. */
  pin(cid: string): Promise<void>;
  unpin(cid: string): Promise<void>;
  /** Dials a peer at these addresses unless a connection to it is open; resolves once connected. */
  connect(peerId: string, addresses: readonly string[], signal: AbortSignal): Promise<void>;
  isConnected(peerId: string): Promise<boolean>;
  /** Deletes every block no pin holds. */
  gc(): Promise<void>;
  stop(): Promise<void>;
}
