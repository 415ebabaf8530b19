import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestControl } from '../../device/test-control.js';
import { NatVenue } from '../../testbed/netns-nat.js';
import { Managed } from '../../testbed/process.js';

export const CLI = fileURLToPath(new URL('../../cli/main.js', import.meta.url));

export interface LogLine {
  ts: string;
  level: string;
  component: string;
  msg: string;
  [field: string]: unknown;
}

/** A real `roomcast device` process, as balena would run it, with its JSON log lines. */
export class AgentProcess {
  readonly proc: Managed;

  private constructor(proc: Managed) {
    this.proc = proc;
  }

  /**
   * `trustCa`: run it in a private mount namespace where the system CA bundle is this file only.
   * `tmpfs`: run it in a private mount namespace with a small tmpfs at this path (a disk to fill).
   * `control`: give it an IPC channel for test controls (see device/test-control.ts).
   * `netns`: run it in this network namespace (testbed/netns-nat.ts).
   */
  static start(env: Record<string, string>, opts: { trustCa?: string; tmpfs?: { path: string; size: string }; args?: string[]; control?: boolean; netns?: string } = {}): AgentProcess {
    const args = opts.args ?? ['device'];
    const fullEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/root', ...env };
    if (opts.netns) return new AgentProcess(new Managed(spawn(...NatVenue.inside(opts.netns, [process.execPath, CLI, ...args]), { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] })));
    if (opts.control) return new AgentProcess(new Managed(spawn(process.execPath, [CLI, ...args], { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] })));
    if (opts.tmpfs) {
      const script = 'mkdir -p "$1" && mount -t tmpfs -o "size=$2" tmpfs "$1" && shift 2 && exec "$@"';
      return new AgentProcess(new Managed(spawn('unshare', ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', script, 'sh', opts.tmpfs.path, opts.tmpfs.size, process.execPath, CLI, ...args], { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] })));
    }
    if (opts.trustCa) {
      // Paths are passed as positional arguments, never interpolated into the script.
      const script = 'mount --bind "$1" /etc/ssl/certs/ca-certificates.crt && shift && exec "$@"';
      return new AgentProcess(new Managed(spawn('unshare', ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', script, 'sh', opts.trustCa, process.execPath, CLI, ...args], { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] })));
    }
    return new AgentProcess(new Managed(spawn(process.execPath, [CLI, ...args], { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] })));
  }

  /** Sends a test control over the IPC channel (started with `control`). */
  control(msg: TestControl): void {
    if (!this.proc.child.send) throw new Error('the agent was started without control: true');
    this.proc.child.send(msg);
  }

  lines(): LogLine[] {
    const out: LogLine[] = [];
    for (const line of this.proc.log.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line) as LogLine);
      } catch {
        // a partial last line
      }
    }
    return out;
  }

  /** Waits for a log line matching the predicate (from line `from` on); fails with the log if the process exits or time runs out. */
  async waitFor(predicate: (l: LogLine) => boolean, timeoutMs: number, what: string, from = 0): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.lines().slice(from).find(predicate);
      if (hit) return hit;
      if (!this.proc.running) throw new Error(`agent exited before ${what}:\n${this.proc.log.slice(-4000)}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}:\n${this.proc.log.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  waitForPhase(phase: string, timeoutMs = 20_000): Promise<LogLine> {
    return this.waitFor((l) => l.msg === `phase ${phase}`, timeoutMs, `phase ${phase}`);
  }
}
