import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { NginxRtmp } from '../../testbed/nginx-rtmp.js';
import type { AgentProcess } from './agent-process.js';

export interface IngestFixture {
  dir: string;
  ingest: NginxRtmp;
  /** Agents started by the test, stopped (by pid) after it. */
  agents: AgentProcess[];
}

/** A temp dir and a running nginx-rtmp for the suite; everything stopped and removed after it. */
export function useIngest(prefix: string): IngestFixture {
  const f: IngestFixture = { dir: '', ingest: new NginxRtmp(''), agents: [] };
  before(async () => {
    f.dir = await mkdtemp(join(tmpdir(), prefix));
    f.ingest = new NginxRtmp(join(f.dir, 'ingest'));
    await f.ingest.start();
  });
  after(async () => {
    for (const a of f.agents) await a.proc.stop();
    await f.ingest.stop();
    if (f.dir) await rm(f.dir, { recursive: true, force: true });
  });
  return f;
}

/** A temp dir for the suite, removed after it. */
export function useTempDir(prefix: string): { dir: string } {
  const f = { dir: '' };
  before(async () => {
    f.dir = await mkdtemp(join(tmpdir(), prefix));
  });
  after(async () => {
    if (f.dir) await rm(f.dir, { recursive: true, force: true });
  });
  return f;
}
