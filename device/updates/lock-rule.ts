import type { Phase } from '../state.js';

/**
 * The pure rules of the balena update lock (docs/updates.md). The lock is
 * held while a talk may be on air: from going live until the stream has
 * stopped, so an update never cuts a talk off.
 */
export function wantsLock(phase: Phase): boolean {
  return phase === 'starting' || phase === 'live' || phase === 'stopping';
}

/** What the box writes into the lock file: it names us, so a later start can tell our leftover from anyone else's lock. */
export const OWNER_PREFIX = 'roomcast-agent';

export function ownerLine(pid: number, at: Date): string {
  return `${OWNER_PREFIX} pid=${pid} since=${at.toISOString()}\n`;
}

/**
 * Whether an existing lock file is a leftover of ours. One roomcast agent
 * runs per device, and at start it holds nothing, so a lock naming
 * roomcast-agent was left by a previous run (a crash while live: /tmp/balena
 * outlives the container) and is reclaimed. Pids say nothing across container
 * restarts (each has its own pid namespace), so they are not compared. Any
 * other content (empty, the supervisor's, another service's, a person's) is
 * not ours and is left alone.
 */
export function isOurLeftover(content: string): boolean {
  return content.startsWith(`${OWNER_PREFIX} `);
}
