import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { probeStreams } from '../../testbed/ffprobe.js';
import { sampleTree } from '../../testbed/proc-tree.js';
import { AgentProcess } from '../helpers/agent-process.js';
import { boxEnv, sleep } from '../helpers/env.js';
import { useIngest } from '../helpers/fixture.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the agent supervises its pipeline host', () => {
  const f = useIngest('roomcast-supervise-');

  test('a pipeline host killed mid-stream is replaced and the stream comes back', async () => {
    const agent = AgentProcess.start(boxEnv(f.dir, { ROOMCAST_DESTINATIONS: f.ingest.url('live', 'supervised-key-7777'), ROOMCAST_VIDEO_SIZE: '640x360' }));
    f.agents.push(agent);
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

    const sessions = await f.ingest.received();
    assert.equal(sessions.length, 2, 'nginx saw the stream, then the stream again');
    const { streams, duration } = await probeStreams(sessions[1] ?? '');
    assert.deepEqual(streams.map((s) => s.codec_name).sort(), ['aac', 'h264']);
    assert.ok(duration > 1.5);
  });

  test('an agent killed with SIGKILL leaves no pipeline host behind', async () => {
    const agent = AgentProcess.start(boxEnv(f.dir, { ROOMCAST_DESTINATIONS: f.ingest.url('live', 'orphan-key-5555'), ROOMCAST_VIDEO_SIZE: '640x360' }));
    f.agents.push(agent);
    await agent.waitForPhase('live');
    await sleep(1000);
    // The core, the relay and any spare forked ahead: their own process groups, so the kill does not reach them.
    const hosts = (await sampleTree(agent.proc.pid)).pids.filter((pid) => pid !== agent.proc.pid);
    assert.ok(hosts.length >= 2, `hosts: ${hosts.join(', ')}`);
    process.kill(agent.proc.pid, 'SIGKILL');
    await agent.proc.exited;
    const deadline = Date.now() + 8000;
    while (hosts.some(alive) && Date.now() < deadline) await sleep(100);
    const left = hosts.filter(alive);
    for (const pid of left) process.kill(pid, 'SIGKILL');
    assert.deepEqual(left, [], 'hosts outlived their agent');
  });
});
