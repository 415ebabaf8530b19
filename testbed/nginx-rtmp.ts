import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { freePort, waitForPort } from './ports.js';
import { Managed } from './process.js';

const MODULE = '/usr/lib/nginx/modules/ngx_rtmp_module.so';

/**
 * A real nginx with libnginx-mod-rtmp on 127.0.0.1: the stand-in for Twitch or
 * YouTube. It records every published stream as FLV, byte for byte what
 * arrived, so tests can ffprobe what the ingest received.
 */
export class NginxRtmp {
  private proc: Managed | null = null;

  constructor(
    readonly dir: string,
    private port = 0,
    /** Keep an FLV of every published stream (tests); off for the demo, which runs for hours. */
    private readonly record = true,
  ) {}

  get rtmpPort(): number {
    return this.port;
  }

  get recordDir(): string {
    return join(this.dir, 'received');
  }

  url(app: string, stream: string): string {
    return `rtmp://127.0.0.1:${this.port}/${app}/${stream}`;
  }

  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    await mkdir(this.recordDir, { recursive: true });
    const conf = join(this.dir, 'nginx.conf');
    await writeFile(
      conf,
      `load_module ${MODULE};
daemon off;
master_process off;
pid ${join(this.dir, 'nginx.pid')};
error_log ${join(this.dir, 'error.log')} info;
events { worker_connections 128; }
rtmp {
  server {
    listen 127.0.0.1:${this.port};
    chunk_size 4096;
    application live {
      live on;
${this.record ? `      record all;
      record_path ${this.recordDir};
      record_unique on;` : '      record off;'}
    }
    # Refuses every publish, as a platform refuses a wrong stream key.
    application locked {
      live on;
      deny publish all;
    }
  }
}
`,
    );
    this.proc = Managed.spawn('nginx', ['-c', conf, '-p', this.dir]);
    await Promise.race([
      waitForPort(this.port),
      this.proc.exited.then(({ code }) => {
        throw new Error(`nginx exited (${code}) before listening: ${this.proc?.log ?? ''}`);
      }),
    ]);
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** The FLV files nginx wrote, one per publish session, oldest first. */
  async received(): Promise<string[]> {
    const files = (await readdir(this.recordDir)).filter((f) => f.endsWith('.flv')).sort();
    return files.map((f) => join(this.recordDir, f));
  }

  /** The FLV files recorded for one stream name: one per publishing session. */
  async sessionsOf(stream: string): Promise<string[]> {
    return (await this.received()).filter((f) => basename(f).startsWith(`${stream}-`));
  }

  async stop(): Promise<void> {
    await this.proc?.stop();
    this.proc = null;
  }
}
