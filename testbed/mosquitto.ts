import { chmod, chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FLEET_USERNAME } from '../common/protocol.js';
import { renderAclFile } from '../fleet/mosquitto/acl-file.js';
import { renderBrokerConfig } from '../fleet/mosquitto/broker-config.js';
import { renderPasswordFile, type PasswordEntry } from '../fleet/mosquitto/password-file.js';
import { mosquittoOwner, mosquittoPaths, reloadMosquitto, writeMosquittoFiles, type Owner } from '../fleet/mosquitto/write-files.js';

export { mosquittoOwner };
import { freePort, waitForPort } from './ports.js';
import { Managed } from './process.js';


export interface MosquittoTls {
  caPath: string;
  certPath: string;
  keyPath: string;
}

/**
 * A real Mosquitto on 127.0.0.1, configured only by the fleet's generators
 * (broker config, password file, ACL file) in a temp dir of its own: a plain
 * listener and, with certificates, a TLS one, on free ports.
 */
export class MosquittoBroker {
  private proc: Managed | null = null;
  private dirPath = '';
  private port = 0;
  private tlsPortNumber = 0;
  private owner: Owner | undefined;

  constructor(
    private accounts: readonly PasswordEntry[],
    private readonly tls?: MosquittoTls,
  ) {}

  get dir(): string {
    return this.dirPath;
  }

  get pid(): number {
    if (this.proc === null) throw new Error('Mosquitto is not started');
    return this.proc.pid;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  get tlsUrl(): string {
    if (this.tls === undefined) throw new Error('Mosquitto was started without TLS');
    return `mqtts://127.0.0.1:${this.tlsPortNumber}`;
  }

  get log(): string {
    return this.proc?.log ?? '';
  }

  async start(): Promise<void> {
    this.owner = await mosquittoOwner();
    this.dirPath = await mkdtemp(join(tmpdir(), 'roomcast-mosquitto-'));
    // Traversable by the mosquitto account; the files inside are its own.
    await chmod(this.dirPath, 0o711);
    const data = join(this.dirPath, 'data');
    await mkdir(data, { mode: 0o700 });
    if (this.owner !== undefined) await chown(data, this.owner.uid, this.owner.gid);
    this.port = await freePort();
    if (this.tls !== undefined) this.tlsPortNumber = await freePort();

    const paths = mosquittoPaths(this.dirPath);
    const config = renderBrokerConfig({
      listener: { port: this.port, bindAddress: '127.0.0.1' },
      ...(this.tls === undefined
        ? {}
        : { tls: { port: this.tlsPortNumber, bindAddress: '127.0.0.1', cafile: this.tls.caPath, certfile: this.tls.certPath, keyfile: this.tls.keyPath } }),
      passwordFile: paths.passwordFile,
      aclFile: paths.aclFile,
      persistenceDir: data,
    });
    await writeMosquittoFiles(this.dirPath, { config, passwordFile: renderPasswordFile(this.accounts), aclFile: renderAclFile(FLEET_USERNAME) }, this.owner);

    // Foreground (no -d): the pid we spawn is the broker's, and stop() signals exactly it.
    this.proc = Managed.spawn('mosquitto', ['-c', paths.config]);
    const exited = this.proc.exited.then(({ code }) => {
      throw new Error(`mosquitto exited (${code}) before listening: ${this.log}`);
    });
    // Handled here so that the exit at stop() is no unhandled rejection; the race below still sees an early exit.
    exited.catch(() => undefined);
    await Promise.race([Promise.all([waitForPort(this.port), this.tls === undefined ? null : waitForPort(this.tlsPortNumber)]), exited]);
  }

  /** Rewrites the password file (as the fleet does on enrolment or revocation) and reloads. */
  async setAccounts(accounts: readonly PasswordEntry[]): Promise<void> {
    this.accounts = accounts;
    await writeMosquittoFiles(this.dirPath, { passwordFile: renderPasswordFile(accounts), aclFile: renderAclFile(FLEET_USERNAME) }, this.owner);
    await this.reload();
  }

  /** SIGHUP by pid; resolves once Mosquitto has logged that it reloaded. */
  async reload(timeoutMs = 5000): Promise<void> {
    const count = (): number => this.log.split('Reloading config.').length - 1;
    const before = count();
    reloadMosquitto(this.pid);
    const deadline = Date.now() + timeoutMs;
    while (count() === before) {
      if (Date.now() > deadline) throw new Error(`mosquitto did not reload within ${timeoutMs} ms: ${this.log}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
    this.proc = null;
    if (this.dirPath !== '') await rm(this.dirPath, { recursive: true, force: true });
  }
}
