import { execFile } from 'node:child_process';
import { chown, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './ports.js';
import { Managed } from './process.js';

const run = promisify(execFile);

/** Where Debian keeps the server binaries: the newest version, or ROOMCAST_PG_BIN. */
async function serverBin(): Promise<string> {
  const fromEnv = process.env['ROOMCAST_PG_BIN'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const versions = (await readdir('/usr/lib/postgresql')).filter((v) => /^\d+$/.test(v)).map(Number);
  if (versions.length === 0) throw new Error('no PostgreSQL server under /usr/lib/postgresql (apt-get install postgresql)');
  return `/usr/lib/postgresql/${Math.max(...versions)}/bin`;
}

/** uid and gid of an account, from /etc/passwd. */
async function account(name: string): Promise<{ uid: number; gid: number }> {
  for (const line of (await readFile('/etc/passwd', 'utf8')).split('\n')) {
    const f = line.split(':');
    if (f[0] === name) return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  throw new Error(`no ${name} account: the PostgreSQL server refuses to run as root`);
}

export interface PostgresOptions {
  /**
   * fsync and synchronous commit, off by default: tests need speed, not
   * crash safety. A benchmark that compares with SQLite turns them on.
   */
  durable?: boolean;
}

export interface TestPostgres {
  /** postgres://postgres@127.0.0.1:PORT/roomcast: trust auth, no password. */
  url: string;
  port: number;
  pid: number;
  dir: string;
  /** A new empty database on this server; returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server by its pid (fast shutdown) and removes its directory. */
  stop(): Promise<void>;
}

const DATABASE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * A real PostgreSQL from Debian's package, private to one test: its own
 * cluster in a temp dir, listening on a free port on 127.0.0.1 only, its
 * unix socket in that dir, trust auth for loopback only. As root it runs as
 * the `postgres` account through setpriv (exec, so the pid is the server's),
 * and dies with this process if the test is killed.
 */
export async function startPostgres(options: PostgresOptions = {}): Promise<TestPostgres> {
  const bin = await serverBin();
  const dir = await mkdtemp(join(tmpdir(), 'roomcast-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  const owner = asRoot ? await account('postgres') : null;
  const as = (cmd: string, args: string[]): [string, string[]] =>
    owner === null ? [cmd, args] : ['setpriv', ['--reuid', String(owner.uid), '--regid', String(owner.gid), '--init-groups', '--pdeathsig', 'SIGINT', '--', cmd, ...args]];
  let server: Managed | null = null;
  try {
    if (owner !== null) await chown(dir, owner.uid, owner.gid);
    await run(...as(join(bin, 'initdb'), ['-D', data, '--auth=trust', '--username=postgres', '--encoding=UTF8', '--locale=C', '--no-sync', '--no-instructions']), { cwd: dir });
    // initdb -A trust also trusts ::1; only IPv4 loopback and the private socket here.
    await writeFile(join(data, 'pg_hba.conf'), 'local all all trust\nhost all all 127.0.0.1/32 trust\n');
    if (owner !== null) await chown(join(data, 'pg_hba.conf'), owner.uid, owner.gid);
    const port = await freePort();
    const durable = options.durable === true ? 'on' : 'off';
    const settings = [
      `listen_addresses=127.0.0.1`,
      `unix_socket_directories=${dir}`,
      `fsync=${durable}`,
      `synchronous_commit=${durable}`,
      `full_page_writes=${durable}`,
      'shared_buffers=32MB',
      'max_connections=100',
    ];
    server = Managed.spawn(...as(join(bin, 'postgres'), ['-D', data, '-p', String(port), ...settings.flatMap((s) => ['-c', s])]), { cwd: dir });
    const proc = server;
    const admin = `postgres://postgres@127.0.0.1:${port}/postgres`;
    await Promise.race([
      untilAccepting(admin, 20_000),
      proc.exited.then(({ code }) => {
        throw new Error(`postgres exited (${code}) before accepting connections: ${proc.log}`);
      }),
    ]);
    const createDatabase = async (name: string): Promise<string> => {
      if (!DATABASE_NAME.test(name)) throw new Error(`${name} is not a plain database name`);
      await withClient(admin, (c) => c.query(`CREATE DATABASE ${name}`));
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    };
    const url = await createDatabase('roomcast');
    return {
      url,
      port,
      pid: proc.pid,
      dir,
      createDatabase,
      stop: async () => {
        await stopServer(proc);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    if (server !== null) await stopServer(server);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** SIGINT is PostgreSQL's fast shutdown (SIGTERM would wait for every client to leave); SIGKILL if it hangs. */
async function stopServer(proc: Managed): Promise<void> {
  if (!proc.running) return;
  proc.child.kill('SIGINT');
  const timeout = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 10_000).unref());
  if ((await Promise.race([proc.exited, timeout])) === 'hung') await proc.stop(0);
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

// The port accepts TCP while the server is still starting ("the database
// system is starting up"): wait for a query to succeed instead.
async function untilAccepting(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await withClient(url, (c) => c.query('SELECT 1'));
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`postgres did not accept connections within ${timeoutMs} ms: ${err instanceof Error ? err.message : String(err)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
