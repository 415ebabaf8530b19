import type { IpfsNode } from '../../common/ipfs/ipfs-node.js';
import type { Logger } from '../../common/log.js';
import type { IpfsNodeInfo } from '../../common/protocol.js';
import { backoffDelay } from '../backoff.js';

/** How often an open connection to the fleet's node is checked. */
export const PEERING_CHECK_MS = 2000;
const DIAL_TIMEOUT_MS = 10_000;

/**
 * Keeps the box's IPFS node connected to the fleet's, dialling it at the
 * addresses the fleet sent (roomcast/<id>/ipfs/fleet). A box behind NAT
 * cannot be dialled, but it can dial out, and bitswap then runs over that one
 * connection both ways: the fleet asks for segments on it. A lost connection
 * is noticed within PEERING_CHECK_MS; a failed dial is retried with the
 * relays' backoff (first within 1 s, capped at 30 s).
 */
export class FleetPeering {
  private timer: NodeJS.Timeout | null = null;
  private failures = 0;
  private connected = false;
  private stopped = false;
  private readonly aborts = new AbortController();

  constructor(
    private readonly node: Pick<IpfsNode, 'connect' | 'isConnected'>,
    private readonly fleet: IpfsNodeInfo,
    private readonly log: Logger,
    private readonly timing: { checkMs: number; retryDelay: (failures: number) => number } = { checkMs: PEERING_CHECK_MS, retryDelay: (n) => backoffDelay(n) },
  ) {}

  start(): void {
    void this.check();
  }

  private async check(): Promise<void> {
    let delay = this.timing.checkMs;
    try {
      if (!(await this.node.isConnected(this.fleet.peerId))) {
        if (this.connected) this.log.warn('ipfs: the connection to the fleet\'s node is lost; dialling again', { peerId: this.fleet.peerId });
        this.connected = false;
        await this.node.connect(this.fleet.peerId, this.fleet.multiaddrs, AbortSignal.any([this.aborts.signal, AbortSignal.timeout(DIAL_TIMEOUT_MS)]));
        if (this.stopped) return;
        this.connected = true;
        this.failures = 0;
        this.log.info('ipfs: connected to the fleet\'s node', { peerId: this.fleet.peerId, multiaddrs: this.fleet.multiaddrs });
      }
    } catch (err) {
      if (this.stopped) return;
      this.failures += 1;
      delay = this.timing.retryDelay(this.failures);
      // Said once per outage; every attempt at debug.
      const level = this.failures === 1 ? 'warn' : 'debug';
      this.log[level]('ipfs: the fleet\'s node cannot be dialled; retrying', { peerId: this.fleet.peerId, attempt: this.failures, retryInMs: delay, error: err instanceof Error ? err.message : String(err) });
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.check(), delay);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.aborts.abort();
  }
}
