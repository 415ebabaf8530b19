import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Env } from '../common/config/load.js';

/** How often the agent says it is alive, and how old that may get before the container counts as unhealthy. */
export const HEARTBEAT_MS = 10_000;
export const HEARTBEAT_STALE_MS = 35_000;

/**
 * The container's HEALTHCHECK: the agent writes its phase to a file in
 * /dev/shm (memory, not the SD card) every 10 s; `roomcast healthcheck` says
 * unhealthy when the file is missing or stale (an event loop stuck, say).
 */
export function heartbeatPath(env: Env): string {
  return join(env['ROOMCAST_HOST_SHM'] ?? '/dev/shm', 'roomcast-agent.alive');
}

export function startHeartbeat(path: string, phase: () => string): () => void {
  const beat = (): void => void writeFile(path, `${phase()}\n`).catch(() => undefined);
  beat();
  const timer = setInterval(beat, HEARTBEAT_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** Null when healthy; else why not, for the container's health log. */
export async function heartbeatProblem(path: string, now = Date.now()): Promise<string | null> {
  try {
    const age = now - (await stat(path)).mtimeMs;
    if (age > HEARTBEAT_STALE_MS) return `the agent's last heartbeat is ${Math.round(age / 1000)} s old`;
    const phase = (await readFile(path, 'utf8')).trim();
    return phase === 'error' ? 'the agent reports an error (see its log)' : null;
  } catch {
    return 'the agent has not started (no heartbeat)';
  }
}
