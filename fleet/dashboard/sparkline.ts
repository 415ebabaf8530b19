import { HISTORY_MS, type BitratePoint } from './bitrate-history.js';
import { h, svg } from './dom.js';
import { kbps } from './format.js';

const W = 240;
const H = 40;
const MIN_SPAN_MS = 60_000;

/** A small line of the bitrate over the last minutes, with the newest value in words (the line is decoration for screen readers). */
export function sparkline(points: readonly BitratePoint[], now: number): HTMLElement {
  const last = points[points.length - 1];
  const label = last ? `Sending ${kbps(last.kbps)}` : 'Not sending';
  // The line spans what is known, at least a minute and at most the kept history.
  const first = points[0];
  const span = Math.min(HISTORY_MS, Math.max(MIN_SPAN_MS, first ? now - first.t : 0));
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'spark', 'aria-hidden': 'true', preserveAspectRatio: 'none' });
  const max = Math.max(1, ...points.map((p) => p.kbps)) * 1.15;
  const x = (t: number): number => Math.max(0, W - ((now - t) / span) * W);
  const y = (v: number): number => H - (v / max) * H;
  if (points.length > 0) {
    const coords = points.map((p) => `${x(p.t).toFixed(1)},${y(p.kbps).toFixed(1)}`);
    chart.append(svg('polyline', { points: coords.join(' '), class: 'spark-line' }));
  }
  return h('div', { class: 'spark-box' }, h('span', { class: 'spark-label' }, label, h('span', { class: 'muted' }, ` · last ${Math.round(span / 60_000)} min`)), chart);
}
