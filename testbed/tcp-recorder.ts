import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP relay on 127.0.0.1 (a free port) to another loopback port that keeps
 * every byte clients sent through it: what an eavesdropper on the path
 * would see, to check that a secret never crosses it in clear.
 */
export class TcpRecorder {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly chunks: Buffer[] = [];
  private connections = 0;
  private portNumber = 0;

  constructor(private readonly targetPort: number) {}

  get port(): number {
    return this.portNumber;
  }

  /** Everything clients sent so far, concatenated. */
  get sent(): Buffer {
    return Buffer.concat(this.chunks);
  }

  get connectionCount(): number {
    return this.connections;
  }

  async start(): Promise<void> {
    const server = createServer((client) => {
      this.connections += 1;
      const upstream = connect({ host: '127.0.0.1', port: this.targetPort });
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.on('data', (b: Buffer) => this.chunks.push(Buffer.from(b)));
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const addr = server.address();
    this.portNumber = typeof addr === 'object' && addr !== null ? addr.port : 0;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
