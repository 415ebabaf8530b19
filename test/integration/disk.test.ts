import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { AgentProcess } from '../helpers/agent-process.js';
import { boxEnv, sleep } from '../helpers/env.js';
import { useIngest } from '../helpers/fixture.js';

const MIB = 1024 ** 2;

describe('a filling recording disk', () => {
  const f = useIngest('roomcast-disk-');

  test('old segments are deleted to keep room; when that cannot keep up, recording stops and is flagged while streaming goes on', async () => {
    const disk = join(f.dir, 'disk');
    const agent = AgentProcess.start(
      boxEnv(join(f.dir, 'box'), {
        ROOMCAST_DESTINATIONS: f.ingest.url('live', 'disk-stream'),
        ROOMCAST_RECORD_DIR: disk,
        ROOMCAST_RECORD_SEGMENT_SECONDS: '2',
        ROOMCAST_RECORD_MIN_FREE: '16MiB',
        ROOMCAST_VIDEO_BITRATE: '8000',
      }),
      { tmpfs: { path: disk, size: '64m' } },
    );
    f.agents.push(agent);
    await agent.waitForPhase('live');
    // The agent's view of its disk, inside its own mount namespace.
    const seen = `/proc/${agent.proc.pid}/root${disk}`;
    await sleep(5000);
    // Something else takes most of the disk: recording must make room by deleting its oldest segments.
    await writeFile(join(seen, 'other-data.bin'), Buffer.alloc(40 * MIB));
    const cleaned = await agent.waitFor((l) => l.msg === 'disk low: deleted the oldest recording segments', 20_000, 'a cleanup');
    const removed = cleaned['removed'] as string[];
    assert.ok(removed.length >= 1);
    assert.ok(removed[0]?.endsWith('-00000.ts'), `the oldest goes first: ${removed.join(', ')}`);
    const left = (await readdir(seen)).filter((f) => f.endsWith('.ts'));
    assert.ok(!left.some((f) => removed.includes(f)));
    assert.ok(left.length >= 1, 'the segment being written is kept');

    // Now the disk is full beyond what deleting recordings can fix.
    await writeFile(join(seen, 'more-data.bin'), Buffer.alloc(14 * MIB));
    const stopped = await agent.waitFor((l) => l.msg === 'recording stopped: disk full', 20_000, 'recording stopped');
    assert.match(String(stopped['reason']), /MiB free/);
    const before = (await f.ingest.received()).length;
    await agent.waitFor(() => (agent.lines().filter((l) => l.msg === 'destination live').length ?? 0) >= 2, 15_000, 'streaming again without the recorder');
    await sleep(3000);
    const states = agent.lines().filter((l) => l.msg === 'state' || l.msg.startsWith('phase'));
    const last = states[states.length - 1]?.['state'] as { phase: string; recording: { stopped: string | null } };
    assert.equal(last.phase, 'live');
    assert.ok(last.recording.stopped);
    await agent.proc.stop();
    assert.equal((await f.ingest.received()).length, before + 1, 'the stream went on (rejoined once when the core dropped its recorder)');
  });
});
