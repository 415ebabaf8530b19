import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Owner } from './mosquitto/write-files.js';
import { badHosts, CA_DAYS, caProblems, SERVER_DAYS, serverExtensions, serverProblems, TlsError } from './tls-check.js';

const run = promisify(execFile);

export interface FleetTlsOptions {
  dir: string;
  /** Every name and address boxes connect to: the fleet's public host in production, localhost and 127.0.0.1 in tests. */
  hosts: readonly string[];
  /** Who must read the server certificate and key: the account an external Mosquitto runs as. Needs root. */
  serverOwner?: Owner;
  now?: Date;
}

export interface FleetTls {
  caPath: string;
  certPath: string;
  keyPath: string;
  /** What a box gets at enrolment: the only CA it trusts for mqtts. */
  caPem: string;
  /** What this call did, for the caller's log: kept everything, issued a new server certificate, or a new CA too. */
  issued: 'nothing' | 'server' | 'ca and server';
  /** Why it issued anything; empty when it kept the files. */
  reasons: string[];
}

/**
 * The fleet's private CA and the server certificate of its MQTT TLS listener
 * (Mosquitto's or the embedded broker's), made with the openssl CLI.
 * Idempotent: good files are kept. A valid CA is never replaced, since every
 * enrolled box trusts exactly it; the server certificate is issued again when
 * it nears expiry or a host is missing. Keys are mode 0600.
 */
export async function ensureFleetTls(o: FleetTlsOptions): Promise<FleetTls> {
  const bad = badHosts(o.hosts);
  if (bad.length > 0) throw new TlsError(bad.join('; '));
  const now = o.now ?? new Date();
  const p = {
    caPath: join(o.dir, 'ca.pem'),
    caKeyPath: join(o.dir, 'ca.key'),
    certPath: join(o.dir, 'server.pem'),
    keyPath: join(o.dir, 'server.key'),
  };
  // 0755: an external Mosquitto, running as another user, reads the server files in here.
  await mkdir(o.dir, { recursive: true, mode: 0o755 });

  const caReasons = caProblems(await readOr(p.caPath), await readOr(p.caKeyPath), now);
  const serverReasons = caReasons.length > 0 ? [] : serverProblems(await readOr(p.caPath), await readOr(p.certPath), await readOr(p.keyPath), o.hosts, now);
  const issued = caReasons.length > 0 ? 'ca and server' : serverReasons.length > 0 ? 'server' : 'nothing';

  if (issued !== 'nothing') {
    // A private work dir, then renames: a crash halfway leaves the old files, never a key without its certificate.
    const work = await mkdtemp(join(o.dir, '.new-'));
    try {
      if (issued === 'ca and server') await makeCa(work);
      const caPem = issued === 'ca and server' ? join(work, 'ca.pem') : p.caPath;
      const caKey = issued === 'ca and server' ? join(work, 'ca.key') : p.caKeyPath;
      await makeServer(work, caPem, caKey, o.hosts);
      await chmod(join(work, 'server.pem'), 0o644);
      await chmod(join(work, 'server.key'), 0o600);
      if (o.serverOwner !== undefined) {
        await chown(join(work, 'server.pem'), o.serverOwner.uid, o.serverOwner.gid);
        await chown(join(work, 'server.key'), o.serverOwner.uid, o.serverOwner.gid);
      }
      if (issued === 'ca and server') {
        await chmod(join(work, 'ca.key'), 0o600);
        await chmod(join(work, 'ca.pem'), 0o644);
        await rename(join(work, 'ca.key'), p.caKeyPath);
        await rename(join(work, 'ca.pem'), p.caPath);
      }
      await rename(join(work, 'server.key'), p.keyPath);
      await rename(join(work, 'server.pem'), p.certPath);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }
  return { caPath: p.caPath, certPath: p.certPath, keyPath: p.keyPath, caPem: await readFile(p.caPath, 'utf8'), issued, reasons: [...caReasons, ...serverReasons] };
}

async function makeCa(work: string): Promise<void> {
  await openssl([
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-days', String(CA_DAYS), '-subj', '/CN=roomcast fleet CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout', join(work, 'ca.key'), '-out', join(work, 'ca.pem'),
  ]);
}

async function makeServer(work: string, caPem: string, caKey: string, hosts: readonly string[]): Promise<void> {
  const key = join(work, 'server.key');
  const csr = join(work, 'server.csr');
  const ext = join(work, 'server.ext');
  await openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
  // The subject is fixed text: the names that matter are in subjectAltName, written to a file, never into an argument.
  await openssl(['req', '-new', '-key', key, '-subj', '/CN=roomcast fleet MQTT', '-out', csr]);
  await writeFile(ext, serverExtensions(hosts));
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f; // a positive serial
  await openssl([
    'x509', '-req', '-in', csr, '-CA', caPem, '-CAkey', caKey, '-set_serial', `0x${serial.toString('hex')}`,
    '-days', String(SERVER_DAYS), '-sha256', '-extfile', ext, '-out', join(work, 'server.pem'),
  ]);
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args);
  } catch (e) {
    const stderr = typeof e === 'object' && e !== null && 'stderr' in e ? String(e.stderr).trim() : String(e);
    throw new TlsError(`openssl ${args[0] ?? ''} failed: ${stderr}`);
  }
}

async function readOr(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if (typeof e === 'object' && e !== null && 'code' in e && e.code === 'ENOENT') return '';
    throw e;
  }
}
