import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTcpTable } from '../../device/pipeline/socket-queue.js';

// /proc/net/tcp as Linux prints it: a relay connected to the core (port 0x9C40 = 40000)
// and to an RTMP server (0x0F8F = 3983), with 0x2A000 bytes unacknowledged towards the server,
// plus a listening socket and a connection in TIME_WAIT.
const TABLE = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:9C40 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 11111 1 0000000000000000 100 0 0 10 0
   1: 0100007F:D2F0 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 22222 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:D2F4 0100007F:0F8F 01 0002A000:00000000 01:00000014 00000000     0        0 33333 1 0000000000000000 20 4 30 10 -1
   3: 0100007F:D2F8 0100007F:0F8F 06 00000000:00000000 03:00000ED7 00000000     0        0 0 3 0000000000000000
`;

describe('unacknowledged bytes from /proc/net/tcp', () => {
  it('reads tx_queue of established connections, by inode, without the core connection', () => {
    assert.deepEqual([...parseTcpTable(TABLE, 0x9c40)], [[33333, 0x2a000]]);
  });

  it('keeps the core connection when no port is excluded, and never a listening or closing socket', () => {
    assert.deepEqual(
      [...parseTcpTable(TABLE, 0)].sort((a, b) => a[0] - b[0]),
      [
        [22222, 0],
        [33333, 0x2a000],
      ],
    );
  });

  it('ignores a header-only or garbled table', () => {
    assert.equal(parseTcpTable('  sl  local_address rem_address\n', 0).size, 0);
    assert.equal(parseTcpTable('garbage\n1: x y\n', 0).size, 0);
  });
});
