import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { badHosts, serverExtensions, serverProblems } from '../../fleet/tls-check.js';
import { ensureFleetTls } from '../../fleet/tls.js';

/** The fleet's CA and server certificate, made by the real openssl CLI. */
describe('the fleet TLS files', () => {
  let dir: string;
  const read = (name: string): Promise<string> => readFile(join(dir, 'tls', name), 'utf8');

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roomcast-fleet-tls-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('makes a CA and a server certificate for the given hosts, keys readable by the owner only', async () => {
    const tls = await ensureFleetTls({ dir: join(dir, 'tls'), hosts: ['localhost', '127.0.0.1'] });
    assert.equal(tls.issued, 'ca and server');
    const ca = new X509Certificate(tls.caPem);
    const cert = new X509Certificate(await readFile(tls.certPath));
    assert.ok(ca.ca);
    assert.ok(!cert.ca);
    assert.ok(cert.checkIssued(ca) && cert.verify(ca.publicKey));
    assert.equal(cert.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1');
    assert.equal((await stat(tls.keyPath)).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, 'tls', 'ca.key'))).mode & 0o777, 0o600);
  });

  test('keeps good files untouched', async () => {
    const before = [await read('ca.pem'), await read('server.pem'), await read('server.key')];
    const tls = await ensureFleetTls({ dir: join(dir, 'tls'), hosts: ['127.0.0.1', 'localhost'] });
    assert.equal(tls.issued, 'nothing');
    assert.deepEqual([await read('ca.pem'), await read('server.pem'), await read('server.key')], before);
  });

  test('a new host gets a new server certificate from the same CA, which enrolled boxes already trust', async () => {
    const caBefore = await read('ca.pem');
    const tls = await ensureFleetTls({ dir: join(dir, 'tls'), hosts: ['localhost', '127.0.0.1', 'fleet.example.org'] });
    assert.equal(tls.issued, 'server');
    assert.deepEqual(tls.reasons, ['the server certificate does not name fleet.example.org']);
    assert.equal(tls.caPem, caBefore);
    assert.match(new X509Certificate(await read('server.pem')).subjectAltName ?? '', /DNS:fleet\.example\.org/);
  });

  test('a server certificate near its end is issued again; a lost CA key means a new CA', async () => {
    const in800Days = new Date(Date.now() + 800 * 24 * 3600 * 1000);
    const renewed = await ensureFleetTls({ dir: join(dir, 'tls'), hosts: ['localhost'], now: in800Days });
    assert.equal(renewed.issued, 'server');
    assert.match(renewed.reasons.join(), /expires/);

    const caBefore = await read('ca.pem');
    await unlink(join(dir, 'tls', 'ca.key'));
    const fresh = await ensureFleetTls({ dir: join(dir, 'tls'), hosts: ['localhost'] });
    assert.equal(fresh.issued, 'ca and server');
    assert.notEqual(fresh.caPem, caBefore);
    assert.deepEqual(serverProblems(fresh.caPem, await read('server.pem'), await read('server.key'), ['localhost'], new Date()), []);
    assert.deepEqual(serverProblems(caBefore, await read('server.pem'), await read('server.key'), ['localhost'], new Date()), ['the server certificate was not issued by this CA']);
  });

  test('refuses host names that are not host names, before running openssl', async () => {
    assert.deepEqual(badHosts(['ok.example', '10.0.0.1', '::1']), []);
    assert.equal(badHosts([]).length, 1);
    assert.equal(badHosts(['a b', 'x,IP:1.2.3.4', '-x', 'a/b']).length, 4);
    await assert.rejects(ensureFleetTls({ dir: join(dir, 'bad'), hosts: ['evil,DNS:other'] }), { name: 'TlsError' });
    assert.equal(serverExtensions(['h.example', '::1']).split('\n')[0], 'subjectAltName=DNS:h.example,IP:::1');
  });
});
