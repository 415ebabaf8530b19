import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { probeStreams } from '../../testbed/ffprobe.js';
import { NginxRtmp } from '../../testbed/nginx-rtmp.js';
import { AgentProcess } from '../helpers/agent-process.js';
import { boxEnv, sleep } from '../helpers/env.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the agent supervises its pipeline host', () => {
  let dir: string;
  let ingest: NginxRtmp;
  let agent: AgentProcess;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roomcast-supervise-'));
    ingest = new NginxRtmp(join(dir, 'ingest'));
    await ingest.start();
  });

  after(async () => {
    await agent?.proc.stop();
    await ingest?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('a pipeline host killed mid-stream is replaced and the stream comes back', async () => {
    agent = AgentProcess.start(boxEnv(dir, { ROOMCAST_DESTINATIONS: ingest.url('live', 'supervised-key-7777'), ROOMCAST_VIDEO_SIZE: '640x360' }));
    await agent.waitForPhase('live');
    const playing = agent.lines().find((l) => l.msg === 'pipeline playing');
    const hostPid = Number(playing?.['pid']);
    assert.ok(hostPid > 0 && hostPid !== agent.proc.pid);
    await sleep(2000);
    process.kill(hostPid, 'SIGKILL');

    const restart = await agent.waitFor((l) => l.msg === 'restarting pipeline', 5000, 'a restart');
    assert.ok(Number(restart['inMs']) <= 1200, `first retry after ${String(restart['inMs'])} ms`);
    await agent.waitFor(() => agent.lines().filter((l) => l.msg === 'phase live').length >= 2, 15_000, 'live again');
    await sleep(2000);
    const exit = await agent.proc.stop();
    assert.equal(exit.code, 0);

    assert.ok(!alive(hostPid));
    const playingPids = agent.lines().filter((l) => l.msg === 'pipeline playing').map((l) => Number(l['pid']));
    assert.equal(playingPids.length, 2);
    for (const pid of playingPids) assert.ok(!alive(pid), `host ${pid} is gone after the agent stopped`);

    const sessions = await ingest.received();
    assert.equal(sessions.length, 2, 'nginx saw the stream, then the stream again');
    const { streams, duration } = await probeStreams(sessions[1] ?? '');
    assert.deepEqual(streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
    assert.ok(duration > 1.5);
  });
});
