/**
 * Benchmark: does the agent stay flat through many destination failures?
 *
 *   node dist/bench/failures.js [--failures 100]
 *
 * A box streams (test pattern, 640x360) to a real nginx-rtmp on loopback and
 * records. The relay process of its destination is killed (SIGKILL, by pid)
 * each time it is live again, N times. Before the first and after the last
 * failure it samples the agent process itself (RSS, open fds, threads) and
 * the whole process tree (process count). Restarts go by process, so the
 * agent should end where it began.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NginxRtmp } from '../testbed/nginx-rtmp.js';
import { arg, benchBoxEnv, CLI, runBench, sleep } from './common.js';
import { Managed } from '../testbed/process.js';
import { sampleTree } from '../testbed/proc-tree.js';



interface ProcSample {
  rssMb: number;
  fds: number;
  threads: number;
  processes: number;
}

async function sampleAgent(pid: number): Promise<ProcSample> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  const tree = await sampleTree(pid);
  return { rssMb: field('VmRSS') / 1024, fds: (await readdir(`/proc/${pid}/fd`)).length, threads: field('Threads'), processes: tree.pids.length };
}

/** Children of the agent whose command line is a pipeline host other than the core. */
async function relayPid(agentPid: number, corePid: number): Promise<number | null> {
  const tree = await sampleTree(agentPid);
  for (const pid of tree.pids) {
    if (pid === agentPid || pid === corePid) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes('host.js')) return pid;
  }
  return null;
}

async function main(): Promise<void> {
  const failures = arg('failures', 100);
  const dir = await mkdtemp(join(tmpdir(), 'roomcast-bench-failures-'));
  const ingest = new NginxRtmp(join(dir, 'ingest'), 0, false);
  await ingest.start();
  const agent = Managed.spawn(process.execPath, [CLI, 'device'], {
    env: benchBoxEnv(dir, ingest.url('live', 'bench-failures'), { ROOMCAST_VIDEO_SIZE: '640x360', ROOMCAST_VIDEO_BITRATE: '800', ROOMCAST_RECORD_DIR: join(dir, 'recordings') }),
  });
  const lives = (): number => agent.log.split('\n').filter((l) => l.includes('"msg":"destination live"')).length;
  const waitLive = async (n: number): Promise<void> => {
    const deadline = Date.now() + 60_000;
    while (lives() < n) {
      if (!agent.running || Date.now() > deadline) throw new Error(`not live (${n}):\n${agent.log.slice(-2000)}`);
      await sleep(50);
    }
  };
  try {
    await waitLive(1);
    const corePid = Number(/"msg":"pipeline playing","pid":(\d+)/.exec(agent.log)?.[1]);
    await sleep(2000);
    const before = await sampleAgent(agent.pid);
    const t0 = Date.now();
    for (let i = 1; i <= failures; i++) {
      const pid = await relayPid(agent.pid, corePid);
      if (pid === null) throw new Error(`no relay process found at failure ${i}`);
      process.kill(pid, 'SIGKILL');
      await waitLive(i + 1);
      if (i % 10 === 0) {
        const now = await sampleAgent(agent.pid);
        process.stdout.write(`  ${i} failures, ${((Date.now() - t0) / 1000).toFixed(0)} s: agent rss ${now.rssMb.toFixed(1)} MiB, fds ${now.fds}, threads ${now.threads}\n`);
      }
    }
    await sleep(2000);
    const after = await sampleAgent(agent.pid);
    const row = (k: keyof ProcSample, unit = ''): string => `| ${k}${unit} | ${before[k].toFixed(k === 'rssMb' ? 1 : 0)} | ${after[k].toFixed(k === 'rssMb' ? 1 : 0)} | ${(after[k] - before[k]).toFixed(k === 'rssMb' ? 1 : 0)} |`;
    process.stdout.write(`\nroomcast bench: ${failures} forced destination failures (relay SIGKILLed each time it was live again), ${((Date.now() - t0) / 1000).toFixed(0)} s\n\n`);
    process.stdout.write('| Agent process | before | after | change |\n| --- | --- | --- | --- |\n');
    process.stdout.write([row('rssMb', ' (MiB)'), row('fds'), row('threads'), row('processes', ' (agent + hosts)')].join('\n') + '\n');
    process.stdout.write(`\nthe core process (pid ${corePid}) ${agent.log.split('\n').filter((l) => l.includes('"msg":"pipeline playing"')).length === 1 ? 'was never restarted' : 'was restarted'}\n`);
  } finally {
    await agent.stop(10_000);
    await ingest.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

runBench(main);
