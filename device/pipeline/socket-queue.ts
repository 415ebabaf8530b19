import { readdir, readFile, readlink } from 'node:fs/promises';

/**
 * How many bytes this process has written to its TCP connections that the
 * peer has not yet acknowledged, from /proc/self/net/tcp{,6} (the tx_queue
 * column). When a server stops reading or the path drops packets, this is
 * what grows: the byte count written to the socket goes on rising for many
 * seconds into the kernel's send buffer (up to 4 MiB), which hides a stall.
 */

/** Unacknowledged bytes per socket inode, for established connections, excluding the given remote port. */
export function parseTcpTable(text: string, excludeRemotePort: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const remote = f[2] ?? '';
    const state = f[3];
    const queues = (f[4] ?? '').split(':');
    const inode = Number(f[9]);
    const remotePort = parseInt(remote.split(':')[1] ?? '', 16);
    if (state !== '01' || remotePort === excludeRemotePort || !inode) continue;
    out.set(inode, parseInt(queues[0] ?? '0', 16));
  }
  return out;
}

/** The sum of unacknowledged bytes over this process's own TCP sockets (other than to `excludeRemotePort`). */
export async function unackedBytes(excludeRemotePort: number): Promise<number> {
  const inodes = new Set<number>();
  for (const fd of await readdir('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(await readlink(`/proc/self/fd/${fd}`));
      if (m) inodes.add(Number(m[1]));
    } catch {
      // closed meanwhile
    }
  }
  let total = 0;
  for (const table of ['/proc/self/net/tcp', '/proc/self/net/tcp6']) {
    let text = '';
    try {
      text = await readFile(table, 'utf8');
    } catch {
      continue;
    }
    for (const [inode, queued] of parseTcpTable(text, excludeRemotePort)) if (inodes.has(inode)) total += queued;
  }
  return total;
}
