import { readdir, readFile } from 'node:fs/promises';

/** CPU and memory of a process and all its descendants, read from /proc. */
export interface TreeSample {
  pids: number[];
  cpuSeconds: number;
  rssBytes: number;
  /** Proportional set size: shared pages (the Node.js and GStreamer libraries) divided among the processes sharing them. */
  pssBytes: number;
  threads: number;
}

async function pss(pid: number): Promise<number> {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(await readFile(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

const CLK_TCK = 100;
const PAGE = 4096;

async function stat(pid: number): Promise<{ ppid: number; cpu: number; threads: number; rss: number } | null> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces.
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / CLK_TCK, threads: Number(f[17]), rss: Number(f[21]) * PAGE };
  } catch {
    return null;
  }
}

export async function sampleTree(root: number): Promise<TreeSample> {
  const all = (await readdir('/proc')).filter((d) => /^\d+$/.test(d)).map(Number);
  const stats = new Map<number, NonNullable<Awaited<ReturnType<typeof stat>>>>();
  await Promise.all(
    all.map(async (pid) => {
      const s = await stat(pid);
      if (s) stats.set(pid, s);
    }),
  );
  const tree = new Set<number>([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, s] of stats) {
      if (!tree.has(pid) && tree.has(s.ppid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  const pids = [...tree].filter((p) => stats.has(p));
  const sum = (k: 'cpu' | 'rss' | 'threads'): number => pids.reduce((a, p) => a + (stats.get(p)?.[k] ?? 0), 0);
  const pssBytes = (await Promise.all(pids.map(pss))).reduce((a, b) => a + b, 0);
  return { pids, cpuSeconds: sum('cpu'), rssBytes: sum('rss'), pssBytes, threads: sum('threads') };
}

/** Processes (of this user) whose environment holds `name=value`: those a test started, found after their parent is gone. */
export async function pidsWithEnv(name: string, value: string): Promise<number[]> {
  const entry = `${name}=${value}`;
  const found: number[] = [];
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if ((await readFile(`/proc/${d}/environ`, 'utf8')).split('\0').includes(entry)) found.push(Number(d));
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}
