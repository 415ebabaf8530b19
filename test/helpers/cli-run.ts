import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CLI } from './agent-process.js';

const run = promisify(execFile);

/** Runs `node dist/cli/main.js <args>` to its end with only PATH and `env`; its exit code and output. */
export async function roomcast(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { PATH: process.env['PATH'] ?? '', ...env }, timeout: 30_000, killSignal: 'SIGKILL' });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
