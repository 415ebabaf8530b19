import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../common/log.js';
import { FleetPeering } from '../../device/ipfs/fleet-peering.js';

const FLEET = { peerId: '12D3KooWPeqHme1QRqpVwichQcp9BgWChjLuwNuDCVhJ7SEBJpm7', multiaddrs: ['/ip4/127.0.0.1/tcp/4001'] };

/** An IPFS node whose dials fail `failFirst` times, then connect. */
class FakeNode {
  connected = false;
  dials = 0;
  constructor(private failFirst: number) {}
  isConnected(): Promise<boolean> {
    return Promise.resolve(this.connected);
  }
  connect(peerId: string, addresses: readonly string[]): Promise<void> {
    assert.equal(peerId, FLEET.peerId);
    assert.deepEqual(addresses, FLEET.multiaddrs);
    this.dials += 1;
    if (this.failFirst > 0) {
      this.failFirst -= 1;
      return Promise.reject(new Error('connection refused'));
    }
    this.connected = true;
    return Promise.resolve();
  }
}

function capture(): { lines: { level: string; msg: string; attempt?: number }[]; logger: ReturnType<typeof createLogger> } {
  const lines: { level: string; msg: string; attempt?: number }[] = [];
  return { lines, logger: createLogger('test', { write: (l) => lines.push(JSON.parse(l) as { level: string; msg: string }) }, 'debug') };
}

async function until(what: string, done: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("the box's connection to the fleet's IPFS node", () => {
  it('retries a failed dial after the backoff delay, says so once per outage, then says it is connected', async () => {
    const node = new FakeNode(3);
    const { lines, logger } = capture();
    const delays: number[] = [];
    const peering = new FleetPeering(node, FLEET, logger, { checkMs: 10, retryDelay: (n) => (delays.push(n), 10) });
    peering.start();
    await until('a connection', () => node.connected);
    peering.stop();
    assert.equal(node.dials, 4);
    assert.deepEqual(delays, [1, 2, 3]);
    assert.deepEqual(
      lines.map((l) => [l.level, l.msg, l.attempt]),
      [
        ['warn', "ipfs: the fleet's node cannot be dialled; retrying", 1],
        ['debug', "ipfs: the fleet's node cannot be dialled; retrying", 2],
        ['debug', "ipfs: the fleet's node cannot be dialled; retrying", 3],
        ['info', "ipfs: connected to the fleet's node", undefined],
      ],
    );
  });

  it('dials again when the connection is lost', async () => {
    const node = new FakeNode(0);
    const { lines, logger } = capture();
    const delays: number[] = [];
    const peering = new FleetPeering(node, FLEET, logger, { checkMs: 10, retryDelay: (n) => (delays.push(n), 10) });
    peering.start();
    await until('a connection', () => node.connected);
    node.connected = false;
    await until('the second connection', () => node.connected);
    peering.stop();
    assert.equal(node.dials, 2);
    assert.deepEqual(delays, []);
    assert.deepEqual(
      lines.map((l) => l.msg),
      ["ipfs: connected to the fleet's node", "ipfs: the connection to the fleet's node is lost; dialling again", "ipfs: connected to the fleet's node"],
    );
  });

  it('dials no more once stopped', async () => {
    const node = new FakeNode(Infinity);
    const peering = new FleetPeering(node, FLEET, capture().logger, { checkMs: 10, retryDelay: () => 10 });
    peering.start();
    await until('a dial', () => node.dials > 0);
    peering.stop();
    const dials = node.dials;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(node.dials, dials);
  });
});
