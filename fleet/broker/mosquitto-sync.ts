import type { Logger } from '../../common/log.js';
import { FLEET_USERNAME } from '../../common/protocol.js';
import { renderAclFile } from '../mosquitto/acl-file.js';
import { renderPasswordFile, type PasswordEntry } from '../mosquitto/password-file.js';
import { mosquittoOwner, readMosquittoPid, reloadMosquitto, writeMosquittoFiles, type Owner } from '../mosquitto/write-files.js';
import type { FleetStore } from '../store/types.js';
import type { BrokerControl } from './broker-control.js';

export interface MosquittoSyncDeps {
  store: FleetStore;
  /** Where Mosquitto's password_file and acl_file live (ROOMCAST_FLEET_MOSQUITTO_DIR). */
  dir: string;
  /** Mosquitto's pid_file, to make it reload (ROOMCAST_FLEET_MOSQUITTO_PID_FILE); null: the operator reloads. */
  pidFile: string | null;
  /** The fleet's own account hash, written with the boxes'. */
  fleetHash: string;
  logger: Logger;
}

/**
 * An external Mosquitto's accounts follow the store: every enrolled box (not
 * revoked) and the fleet. After each change the files are rewritten whole
 * and Mosquitto reloads them, which drops a revoked box's connection.
 */
export class MosquittoSync implements BrokerControl {
  private owner: Owner | undefined;
  private chain: Promise<void> = Promise.resolve();
  /** The rewrite that has not started yet, if any. */
  private queued: Promise<void> | null = null;

  constructor(private readonly deps: MosquittoSyncDeps) {}

  async start(): Promise<void> {
    this.owner = await mosquittoOwner();
    await this.write();
  }

  credentialsChanged(): Promise<void> {
    // One rewrite at a time, each reading the store when it starts. A rewrite
    // still waiting will see this change too, so the caller joins it: a burst
    // of enrolments costs a few rewrites (and reloads), not one per box, each
    // of the whole fleet.
    if (this.queued) return this.queued;
    const next = this.chain
      .then(() => {
        this.queued = null;
        return this.write();
      })
      .catch((err: unknown) => this.deps.logger.error('writing the Mosquitto files failed', { error: err instanceof Error ? err.message : String(err) }));
    this.queued = next;
    this.chain = next;
    return next;
  }

  /**
   * Several instances may keep the same files, and one may have read the store
   * just before another's change landed and then written last. So after each
   * write the store is read again and the files rewritten until they match it:
   * whoever writes last has then seen every change committed before its write.
   */
  private async write(): Promise<void> {
    let accounts = await this.accounts();
    for (let round = 1; ; round += 1) {
      await writeMosquittoFiles(this.deps.dir, { passwordFile: accounts, aclFile: renderAclFile(FLEET_USERNAME) }, this.owner);
      if (this.deps.pidFile) reloadMosquitto(await readMosquittoPid(this.deps.pidFile));
      const now = await this.accounts();
      if (now === accounts) break;
      if (round === MAX_ROUNDS) throw new Error(`the enrolled boxes kept changing over ${MAX_ROUNDS} rewrites of the password file`);
      accounts = now;
    }
    this.deps.logger.info('Mosquitto accounts written', { boxes: accounts.split('\n').length - 2, reloaded: this.deps.pidFile !== null });
  }

  /** The password file the store asks for now. */
  private async accounts(): Promise<string> {
    const entries: PasswordEntry[] = [{ username: FLEET_USERNAME, passwordHash: this.deps.fleetHash }];
    for (const d of await this.deps.store.listDevices()) if (d.passwordHash !== null) entries.push({ username: d.id, passwordHash: d.passwordHash });
    return renderPasswordFile(entries);
  }
}

const MAX_ROUNDS = 5;
