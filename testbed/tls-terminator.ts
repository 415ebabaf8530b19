import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, waitForPort } from './ports.js';
import { Managed } from './process.js';

const run = promisify(execFile);

/**
 * RTMPS the way platforms serve it: TLS in front of a plain RTMP server.
 * stunnel4 terminates TLS on 127.0.0.1 with a certificate for "localhost"
 * signed by a throwaway CA made here; `caFile` is what a client must trust.
 */
export class TlsTerminator {
  private proc: Managed | null = null;
  private port = 0;

  constructor(
    readonly dir: string,
    private readonly backendPort: number,
  ) {}

  get caFile(): string {
    return join(this.dir, 'ca.pem');
  }

  get tlsPort(): number {
    return this.port;
  }

  async start(): Promise<void> {
    await makeCertificates(this.dir);
    this.port = await freePort();
    const conf = join(this.dir, 'stunnel.conf');
    await writeFile(
      conf,
      `foreground = yes
pid =
debug = 4
[rtmps]
accept = 127.0.0.1:${this.port}
connect = 127.0.0.1:${this.backendPort}
cert = ${join(this.dir, 'server.pem')}
key = ${join(this.dir, 'server.key')}
`,
    );
    this.proc = Managed.spawn('stunnel4', [conf]);
    await Promise.race([
      waitForPort(this.port),
      this.proc.exited.then(({ code }) => {
        throw new Error(`stunnel4 exited (${code}): ${this.proc?.log ?? ''}`);
      }),
    ]);
  }

  get log(): string {
    return this.proc?.log ?? '';
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
    this.proc = null;
  }
}

async function makeCertificates(dir: string): Promise<void> {
  const f = (name: string): string => join(dir, name);
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=roomcast test CA', '-keyout', f('ca.key'), '-out', f('ca.pem')]);
  await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', f('server.key'), '-out', f('server.csr')]);
  await writeFile(f('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await run('openssl', ['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f('server.ext'), '-out', f('server.pem')]);
}
