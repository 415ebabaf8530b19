import type { BitrateHistory } from './bitrate-history.js';
import { attentionList, boxFacts, connectionPill, destinationList, liveBadge, snapshotImage } from './box-parts.js';
import { h } from './dom.js';
import { audioMeters } from './meters.js';
import { sparkline } from './sparkline.js';
import type { Device } from './types.js';

export interface CardContext {
  history: BitrateHistory;
  pictures: ReadonlyMap<string, { src: string; at: number }>;
  now: number;
}

/** One room's box on the grid; the whole card is one link to its page, so it is one stop for the keyboard. */
export function roomCard(d: Device, ctx: CardContext): HTMLElement {
  const urgent = d.attention.some((a) => a.severity === 'critical');
  const streaming = d.state === 'live' || d.state === 'starting';
  return h(
    'article',
    { class: `card${urgent ? ' card-urgent' : d.attention.length > 0 ? ' card-warn' : ''}`, 'data-box': d.id, 'aria-label': d.name },
    h('header', { class: 'card-head' }, h('h2', {}, h('a', { href: `#/box/${encodeURIComponent(d.id)}`, 'data-key': 'open' }, d.name)), connectionPill(d, ctx.now)),
    liveBadge(d),
    attentionList(d),
    destinationList(d),
    // No picture (the box cannot take snapshots, or is not live): no empty frame on the grid either.
    ctx.pictures.has(d.id) && snapshotImage(ctx.pictures.get(d.id), d, ctx.now),
    sparkline(ctx.history.recent(d.id, ctx.now), ctx.now),
    audioMeters(d.stream?.audio ?? null, streaming && d.online),
    boxFacts(d),
    d.name !== d.id ? h('p', { class: 'muted small' }, `Box ${d.id}`) : null,
  );
}
