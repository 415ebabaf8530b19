import { openAsBlob } from 'node:fs';
import type { IpfsNode } from '../../common/ipfs/ipfs-node.js';

/**
 * An external Kubo node, through its RPC API (ROOMCAST_IPFS_KUBO_API, e.g.
 * http://127.0.0.1:5001). Kubo then does the networking its own way: it
 * announces the segments to the DHT, so a public gateway can find them.
 * Documented in docs/ipfs.md; not tested here (Kubo is not installable on
 * this machine): the embedded Helia node is the tested path.
 */
export class KuboNode implements IpfsNode {
  private constructor(
    private readonly api: string,
    readonly peerId: string,
    private readonly listening: string[],
  ) {}

  static async connect(api: string): Promise<KuboNode> {
    const id = (await rpc(api, 'id', {})) as { ID: string; Addresses: string[] | null };
    const tcp = (id.Addresses ?? []).map((a) => a.replace(/\/p2p\/[^/]+$/, '')).filter((a) => /^\/ip[46]\/[^/]+\/tcp\/\d+$/.test(a));
    return new KuboNode(api, id.ID, tcp);
  }

  addresses(): string[] {
    return this.listening;
  }

  async addFile(path: string): Promise<{ cid: string; bytes: number }> {
    const blob = await openAsBlob(path);
    const body = new FormData();
    body.append('file', blob, 'segment.ts');
    const added = (await rpc(this.api, 'add', { 'cid-version': '1', 'raw-leaves': 'true', pin: 'false' }, body)) as { Hash: string };
    return { cid: added.Hash, bytes: blob.size };
  }

  async addBytes(data: Uint8Array): Promise<string> {
    const body = new FormData();
    body.append('file', new Blob([Uint8Array.from(data)]), 'data');
    return ((await rpc(this.api, 'add', { 'cid-version': '1', 'raw-leaves': 'true', pin: 'false' }, body)) as { Hash: string }).Hash;
  }

  async putBlock(cid: string, block: Uint8Array): Promise<void> {
    const body = new FormData();
    body.append('file', new Blob([Uint8Array.from(block)]), 'block');
    const put = (await rpc(this.api, 'block/put', { 'cid-codec': 'dag-pb' }, body)) as { Key: string };
    if (put.Key !== cid) throw new Error(`Kubo stored the directory block as ${put.Key}, not ${cid}`);
  }

  async pin(cid: string): Promise<void> {
    await rpc(this.api, 'pin/add', { arg: cid });
  }

  async unpin(cid: string): Promise<void> {
    try {
      await rpc(this.api, 'pin/rm', { arg: cid });
    } catch (err) {
      if (!(err instanceof Error && /not pinned/.test(err.message))) throw err;
    }
  }

  async connect(peerId: string, addresses: readonly string[], signal: AbortSignal): Promise<void> {
    if (await this.isConnected(peerId)) return;
    let last: unknown = new Error('no address to dial');
    for (const a of addresses) {
      try {
        await rpc(this.api, 'swarm/connect', { arg: `${a}/p2p/${peerId}` }, undefined, signal);
        return;
      } catch (err) {
        last = err;
      }
    }
    throw last;
  }

  async isConnected(peerId: string): Promise<boolean> {
    const peers = (await rpc(this.api, 'swarm/peers', {})) as { Peers: { Peer: string }[] | null };
    return (peers.Peers ?? []).some((p) => p.Peer === peerId);
  }

  async gc(): Promise<void> {
    await rpc(this.api, 'repo/gc', {});
  }

  async stop(): Promise<void> {
    // Kubo runs on without us.
  }
}

async function rpc(api: string, command: string, args: Record<string, string>, body?: FormData, signal?: AbortSignal): Promise<unknown> {
  const timeout = AbortSignal.timeout(30_000);
  const res = await fetch(`${api}/api/v0/${command}?${new URLSearchParams(args).toString()}`, { method: 'POST', ...(body ? { body } : {}), signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
  const text = await res.text();
  if (!res.ok) throw new Error(`Kubo ${command}: ${res.status} ${text.slice(0, 200)}`);
  // repo/gc streams one JSON object per line; the others answer one.
  const last = text.trim().split('\n').pop() ?? '{}';
  return JSON.parse(last === '' ? '{}' : last) as unknown;
}
