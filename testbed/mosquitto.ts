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

export interface MosquittoOptions {
  /** A plain listener for fleet service instances, which keeps their client ids (renderBrokerConfig's `service`). */
  service?: boolean;
  /** Write a pid_file, as an operator's Mosquitto does for the fleet's SIGHUP. */
  pidFile?: boolean;
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
  private servicePortNumber = 0;
  private owner: Owner | undefined;
  private configPath = '';
  private earlierLog = '';

  constructor(
    private accounts: readonly PasswordEntry[],
    private readonly tls?: MosquittoTls,
    private readonly options: MosquittoOptions = {},
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

  /** The service listener (plain, client ids kept), for fleet service instances. */
  get serviceUrl(): string {
    if (this.options.service !== true) throw new Error('Mosquitto was started without a service listener');
    return `mqtt://127.0.0.1:${this.servicePortNumber}`;
  }

  /** Where Mosquitto writes its pid (in a directory of the account it drops to, which writes it). */
  get pidFile(): string {
    if (this.options.pidFile !== true) throw new Error('Mosquitto was started without a pid file');
    return join(this.dirPath, 'run', 'mosquitto.pid');
  }

  /** Everything every run of this broker logged. */
  get log(): string {
    return this.earlierLog + (this.proc?.log ?? '');
  }

  async start(): Promise<void> {
    this.owner = await mosquittoOwner();
    this.dirPath = await mkdtemp(join(tmpdir(), 'roomcast-mosquitto-'));
    // Traversable by the mosquitto account; the files inside are its own.
    await chmod(this.dirPath, 0o711);
    const data = join(this.dirPath, 'data');
    await mkdir(data, { mode: 0o700 });
    if (this.owner !== undefined) await chown(data, this.owner.uid, this.owner.gid);
    if (this.options.pidFile === true) {
      await mkdir(join(this.dirPath, 'run'), { mode: 0o755 });
      if (this.owner !== undefined) await chown(join(this.dirPath, 'run'), this.owner.uid, this.owner.gid);
    }
    this.port = await freePort();
    if (this.tls !== undefined) this.tlsPortNumber = await freePort();
    if (this.options.service === true) this.servicePortNumber = await freePort();

    const paths = mosquittoPaths(this.dirPath);
    this.configPath = paths.config;
    const config = renderBrokerConfig({
      listener: { port: this.port, bindAddress: '127.0.0.1' },
      ...(this.tls === undefined
        ? {}
        : { tls: { port: this.tlsPortNumber, bindAddress: '127.0.0.1', cafile: this.tls.caPath, certfile: this.tls.certPath, keyfile: this.tls.keyPath } }),
      ...(this.options.service === true ? { service: { port: this.servicePortNumber, bindAddress: '127.0.0.1' } } : {}),
      ...(this.options.pidFile === true ? { pidFile: this.pidFile } : {}),
      passwordFile: paths.passwordFile,
      aclFile: paths.aclFile,
      persistenceDir: data,
    });
    await writeMosquittoFiles(this.dirPath, { config, passwordFile: renderPasswordFile(this.accounts), aclFile: renderAclFile(FLEET_USERNAME) }, this.owner);
    await this.launch();
  }

  private async launch(): Promise<void> {
    // Foreground (no -d): the pid we spawn is the broker's, and stop() signals exactly it.
    if (this.proc !== null) this.earlierLog += this.proc.log;
    const proc = Managed.spawn('mosquitto', ['-c', this.configPath]);
    this.proc = proc;
    const exited = proc.exited.then(({ code }) => {
      throw new Error(`mosquitto exited (${code}) before listening: ${proc.log}`);
    });
    // Handled here so that the exit at stop() is no unhandled rejection; the race below still sees an early exit.
    exited.catch(() => undefined);
    const ports = [this.port, ...(this.tls === undefined ? [] : [this.tlsPortNumber]), ...(this.options.service === true ? [this.servicePortNumber] : [])];
    await Promise.race([Promise.all(ports.map((p) => waitForPort(p))), exited]);
  }

  /** Stops the broker process (SIGTERM, by pid) and keeps its files, ports and persisted state for restart(). */
  async halt(): Promise<void> {
    await this.proc?.stop();
  }

  /** Starts it again from the same files, on the same ports. */
  async restart(): Promise<void> {
    if (this.proc?.running === true) throw new Error('Mosquitto is still running');
    await this.launch();
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
