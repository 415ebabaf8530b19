import type { Rollout, RolloutPhase } from '../balena/rollout-plan.js';
import { StoredValueError } from './errors.js';

/**
 * A staged rollout is kept as one JSON document (fleet/balena/rollout-plan.ts
 * owns its shape), with its id, phase and times as columns to order and
 * query by. Both backends store and read it here.
 */
export type RolloutRow = { doc: string };

/** Newest first; the id breaks a tie, the same way in both backends. `doc` is the column as text. */
export const latestRolloutSql = (doc: string): string => `SELECT ${doc} AS doc FROM rollouts ORDER BY started_at DESC, id DESC LIMIT 1`;

const PHASES: readonly RolloutPhase[] = ['pinning-canary', 'canary-updating', 'canary-testing', 'pinning-rest', 'done', 'failed', 'aborted'];

export function rolloutColumns(r: Rollout, startedAt: string): { id: string; phase: RolloutPhase; startedAt: string; doc: string } {
  return { id: r.id, phase: r.phase, startedAt, doc: JSON.stringify(r) };
}

export function rolloutFromRow(row: RolloutRow): Rollout {
  let parsed: unknown;
  try {
    parsed = JSON.parse(row.doc);
  } catch {
    throw new StoredValueError('a stored rollout is not JSON');
  }
  const r = parsed as Partial<Rollout> | null;
  if (typeof r !== 'object' || r === null || typeof r.id !== 'string' || !PHASES.includes(r.phase as RolloutPhase) || typeof r.release?.id !== 'number' || typeof r.canary !== 'string' || !Array.isArray(r.history)) {
    throw new StoredValueError('a stored rollout does not have the shape of one (written by a newer release?)');
  }
  return r as Rollout;
}
