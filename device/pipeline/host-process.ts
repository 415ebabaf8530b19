import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FromHost, ToHost } from './host-messages.js';
import type { RenderedPipeline } from './render.js';

const HOST_SCRIPT = fileURLToPath(new URL('./host.js', import.meta.url));
/** How long a host that reported an error has to exit before its group is killed. */
const EXIT_AFTER_ERROR_MS = 3000;

function forkHost(): ChildProcess {
  // Each GStreamer bus poll holds a libuv worker thread, and a core host polls
  // up to four pipelines (core, camera, microphone, and one being rebuilt) and
  // pulls stills from one appsink once asked for a snapshot: the default pool
  // of 4 would leave none for file system calls.
  const env = { ...process.env, UV_THREADPOOL_SIZE: process.env['UV_THREADPOOL_SIZE'] ?? '8' };
  const child = fork(HOST_SCRIPT, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: true, serialization: 'json', env });
  child.on('error', () => undefined); // an IPC write to a dying child; 'exit' reports it
  return child;
}

/**
 * Host processes forked ahead of need: a host spends ~100 ms starting Node.js
 * and GStreamer before it can take a pipeline, and going live needs several
 * (the core and one relay per destination). Idle ones wait here to be adopted.
 */
const pool: ChildProcess[] = [];

/** Tops the pool up to `count` idle host processes. */
export function prewarmHosts(count: number): void {
  while (pool.length < count) {
    const child = forkHost();
    pool.push(child);
    child.once('exit', () => {
      const i = pool.indexOf(child);
      if (i >= 0) pool.splice(i, 1);
    });
  }
}

/** Ends the idle host processes (by their pids). */
export function drainHostPool(): void {
  for (const child of pool.splice(0)) {
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

function adopt(): ChildProcess {
  for (;;) {
    const child = pool.shift();
    if (!child) return forkHost();
    if (child.exitCode === null && child.signalCode === null && child.connected) {
      child.removeAllListeners('exit');
      return child;
    }
  }
}

export interface HostHandlers {
  onMessage(msg: FromHost): void;
  /** The host process is gone, for whatever reason. */
  onExit(code: number | null, signal: NodeJS.Signals | null): void;
}

/**
 * One pipeline host child process, seen from the agent. It runs in its own
 * process group so that a kill reaches GStreamer's helper threads and any
 * process it spawned; it is only ever killed by its pid.
 */
export class HostProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();

  constructor(private readonly handlers: HostHandlers) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * Forks the host process now; its pipeline follows with start(). Forking
   * early lets Node.js and GStreamer start up while other work goes on.
   */
  fork(): void {
    if (this.child) return;
    const child = adopt();
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.child = null;
        this.handlers.onExit(code, signal);
        resolve();
      });
    });
    child.on('message', (msg: FromHost) => {
      // A host that reports an error is on its way out. One stuck on the way
      // (a native call, or process.exit joining a worker left in a bus poll)
      // would hold its pipeline's restart back for good: end it.
      if (msg.type === 'error') this.killUnlessGoneIn(EXIT_AFTER_ERROR_MS);
      this.handlers.onMessage(msg);
    });
  }

  private killUnlessGoneIn(ms: number): void {
    const timer = setTimeout(() => this.kill(), ms);
    void this.exited.then(() => clearTimeout(timer));
  }

  start(pipeline: RenderedPipeline, opts: Omit<Extract<ToHost, { type: 'start' }>, 'type' | 'pipeline'>): void {
    this.fork();
    this.send({ type: 'start', pipeline, ...opts });
  }

  send(msg: ToHost): void {
    if (this.child?.connected) this.child.send(msg);
  }

  /** Asks for a clean stop; kills the process group if it is not gone by the deadline. */
  async stop(deadlineMs: number): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.send({ type: 'stop', deadlineMs: Math.max(deadlineMs - 500, 100) });
    const timer = setTimeout(() => this.kill(), deadlineMs);
    await this.exited;
    clearTimeout(timer);
  }

  kill(): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
