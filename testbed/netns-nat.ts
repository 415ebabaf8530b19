import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A venue behind NAT, in three network namespaces of the test's own (needs
 * root, iproute2 and nftables):
 *
 *   wan: 10.77.1.1 ── router: 10.77.1.2 | 10.77.2.1 (masquerade out) ── lan: 10.77.2.2
 *
 * A process in `lan` (the box) reaches `wan` (the fleet) through the
 * router's NAT; `wan` has no route to 10.77.2.0/24, so nothing there can dial
 * the box, as with a box on a venue network and a fleet in the cloud. Each
 * namespace has its own loopback. Nothing is routed to any other network.
 */
export class NatVenue {
  static readonly WAN_ADDRESS = '10.77.1.1';
  static readonly LAN_ADDRESS = '10.77.2.2';

  private constructor(
    readonly wan: string,
    readonly router: string,
    readonly lan: string,
  ) {}

  static async create(): Promise<NatVenue> {
    const id = randomBytes(4).toString('hex');
    const venue = new NatVenue(`rc-wan-${id}`, `rc-router-${id}`, `rc-lan-${id}`);
    try {
      await venue.build();
    } catch (err) {
      await venue.destroy();
      throw err;
    }
    return venue;
  }

  private async build(): Promise<void> {
    const { wan, router, lan } = this;
    for (const ns of [wan, router, lan]) {
      await ip('netns', 'add', ns);
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    await ip('-n', wan, 'link', 'add', 'wan0', 'type', 'veth', 'peer', 'name', 'wan1', 'netns', router);
    await ip('-n', router, 'link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'lan1', 'netns', lan);
    for (const [ns, dev, addr] of [
      [wan, 'wan0', `${NatVenue.WAN_ADDRESS}/24`],
      [router, 'wan1', '10.77.1.2/24'],
      [router, 'lan0', '10.77.2.1/24'],
      [lan, 'lan1', `${NatVenue.LAN_ADDRESS}/24`],
    ] as const) {
      await ip('-n', ns, 'addr', 'add', addr, 'dev', dev);
      await ip('-n', ns, 'link', 'set', dev, 'up');
    }
    await ip('-n', lan, 'route', 'add', 'default', 'via', '10.77.2.1');
    await run('ip', ['netns', 'exec', router, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    await run('ip', ['netns', 'exec', router, 'nft', 'add table ip nat; add chain ip nat post { type nat hook postrouting priority srcnat; }; add rule ip nat post oifname "wan1" masquerade']);
  }

  /** The command line that runs `argv` inside a namespace (the pid stays that of the command: ip execs it). */
  static inside(ns: string, argv: readonly string[]): [string, string[]] {
    return ['ip', ['netns', 'exec', ns, ...argv]];
  }

  async destroy(): Promise<void> {
    // Deleting a namespace deletes its ends of the veth pairs.
    for (const ns of [this.lan, this.router, this.wan]) await ip('netns', 'del', ns).catch(() => undefined);
  }
}

async function ip(...args: string[]): Promise<void> {
  await run('ip', args);
}
