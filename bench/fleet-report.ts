import type { Memory } from './fleet-measure.js';

/** What one run of bench/fleet.ts measured; times in ms, CPU in % of one core over the steady window. */
export interface RunFigures {
  broker: 'aedes' | 'mosquitto';
  boxes: number;
  enrolSeconds: number;
  /** From the first connect to the API showing every box online. */
  onlineSeconds: number;
  /** The fleet's CPU while the boxes connected. */
  rampFleetCpuPercent: number;
  pushes: number;
  pushFailures: string[];
  /** [p50, p99] */
  toBox: [number, number];
  /** The broker acknowledged the box's report. */
  reportAcked: [number, number];
  toApi: [number, number];
  putP50: number;
  fleetCpuPercent: number;
  brokerCpuPercent: number | null;
  simCpuPercent: number;
  fleetMemory: Memory;
  brokerMemory: Memory | null;
  healthStoredPerSecond: number;
  healthSentPerSecond: number;
  disconnects: number;
  simErrors: number;
  firstErrors: string[];
  fleetWarnings: number;
  firstWarnings: string[];
}

const f0 = (x: number | null): string => (x === null || Number.isNaN(x) ? '-' : x.toFixed(0));

/** A Markdown table, one row per run, then Mosquitto against aedes per fleet size (medians of the runs). */
export function printTable(runs: readonly RunFigures[], goalMs: number, out: (line: string) => void): void {
  out('');
  out('| boxes | broker | enrol s | online s (fleet CPU %) | pushes (failed) | to box p50/p99 ms | report acked p50/p99 ms | to API p50/p99 ms | PUT p50 ms | fleet CPU % | broker CPU % | sim CPU % | fleet RSS/PSS MiB | broker RSS MiB | health stored/s (sent, expected) | disconnects | fleet warnings | goal |');
  out('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of runs) {
    const met = r.toApi[1] <= goalMs && r.pushFailures.length === 0 && r.healthStoredPerSecond >= 0.95 * (r.boxes / 10);
    out(
      `| ${r.boxes} | ${r.broker} | ${f0(r.enrolSeconds)} | ${f0(r.onlineSeconds)} (${f0(r.rampFleetCpuPercent)}) | ${r.pushes} (${r.pushFailures.length}) | ${f0(r.toBox[0])}/${f0(r.toBox[1])} | ${f0(r.reportAcked[0])}/${f0(r.reportAcked[1])} | ${f0(r.toApi[0])}/${f0(r.toApi[1])} | ${f0(r.putP50)} | ${f0(r.fleetCpuPercent)} | ${f0(r.brokerCpuPercent)} | ${f0(r.simCpuPercent)} | ${f0(r.fleetMemory.rssMiB)}/${f0(r.fleetMemory.pssMiB)} | ${f0(r.brokerMemory?.rssMiB ?? null)} | ${f0(r.healthStoredPerSecond)} (${f0(r.healthSentPerSecond)}, ${f0(r.boxes / 10)}) | ${r.disconnects} | ${r.fleetWarnings} | ${met ? 'met' : 'not met'} |`,
    );
  }
  const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    const mid = (s.length - 1) / 2;
    return ((s[Math.floor(mid)] ?? NaN) + (s[Math.ceil(mid)] ?? NaN)) / 2;
  };
  for (const boxes of [...new Set(runs.map((r) => r.boxes))]) {
    const of = (b: RunFigures['broker']): RunFigures[] => runs.filter((r) => r.boxes === boxes && r.broker === b);
    const a = of('aedes');
    const m = of('mosquitto');
    if (a.length === 0 || m.length === 0) continue;
    const ratio = (pick: (r: RunFigures) => number): string => (median(m.map(pick)) / median(a.map(pick))).toFixed(2);
    out(
      `${boxes} boxes, Mosquitto / aedes: to-API p99 ${ratio((r) => r.toApi[1])}, fleet CPU ${ratio((r) => r.fleetCpuPercent)}, fleet+broker CPU ${ratio((r) => r.fleetCpuPercent + (r.brokerCpuPercent ?? 0))}, fleet RSS ${ratio((r) => r.fleetMemory.rssMiB)}, fleet+broker RSS ${ratio((r) => r.fleetMemory.rssMiB + (r.brokerMemory?.rssMiB ?? 0))}`,
    );
  }
  for (const r of runs) {
    const notes = [...r.pushFailures.slice(0, 3), ...r.firstErrors.slice(0, 3), ...r.firstWarnings.map((w) => `fleet logged: ${w}`)];
    if (notes.length > 0) out(`${r.broker} ${r.boxes}: ${notes.join('; ')}`);
  }
}
