import { roomCard, type CardContext } from './card.js';
import { fill, h } from './dom.js';
import type { Device } from './types.js';

/** Every room at a glance: what needs a human first, then one card per box. */
export class GridView {
  readonly element: HTMLElement;
  private readonly summary = h('section', { class: 'summary', 'aria-live': 'polite', 'data-testid': 'summary' });
  private readonly grid = h('div', { class: 'grid' });
  private readonly cards = new Map<string, { el: HTMLElement; json: string }>();

  constructor() {
    this.element = h('div', {}, h('h1', { class: 'visually-hidden' }, 'Rooms'), this.summary, this.grid);
  }

  render(devices: readonly Device[], ctx: CardContext): void {
    const sorted = [...devices].filter((d) => !d.revoked).sort((a, b) => a.name.localeCompare(b.name));
    this.renderSummary(sorted);
    if (sorted.length === 0) {
      fill(this.grid, h('p', { class: 'muted' }, 'No box has enrolled yet. Set ROOMCAST_FLEET_URL and ROOMCAST_ENROLL_TOKEN on a box and it appears here.'));
      this.cards.clear();
      return;
    }
    const keep = new Set(sorted.map((d) => d.id));
    for (const [id, card] of this.cards) {
      if (keep.has(id)) continue;
      card.el.remove();
      this.cards.delete(id);
    }
    let previous: HTMLElement | null = null;
    for (const d of sorted) {
      // Redrawn when the box or what is drawn beside it (picture, bitrate, times) changed; focus stays where it was.
      const json = JSON.stringify([d, ctx.pictures.get(d.id)?.at, ctx.history.recent(d.id, ctx.now).length, Math.floor(ctx.now / 10_000)]);
      const old = this.cards.get(d.id);
      let el = old?.el;
      if (!old || old.json !== json) {
        el = roomCard(d, ctx);
        const hadFocus = old !== undefined && document.activeElement instanceof HTMLElement && old.el.contains(document.activeElement) ? document.activeElement.dataset['key'] : undefined;
        if (old) old.el.replaceWith(el);
        if (hadFocus) el.querySelector<HTMLElement>(`[data-key="${hadFocus}"]`)?.focus();
        this.cards.set(d.id, { el, json });
      }
      if (!el) continue;
      const want: ChildNode | null = previous ? previous.nextSibling : this.grid.firstChild;
      if (want !== el) this.grid.insertBefore(el, want);
      previous = el;
    }
    for (const child of [...this.grid.children]) if (!(child instanceof HTMLElement) || !keep.has(child.dataset['box'] ?? '')) child.remove();
  }

  private renderSummary(devices: readonly Device[]): void {
    const needing = devices.filter((d) => d.attention.length > 0);
    const live = devices.filter((d) => d.online && d.state === 'live').length;
    if (needing.length === 0) {
      fill(this.summary, h('p', { class: 'all-good' }, devices.length === 0 ? '' : `All good: ${live} of ${devices.length} ${devices.length === 1 ? 'room' : 'rooms'} live, nothing needs you.`));
      return;
    }
    fill(
      this.summary,
      h(
        'div',
        { class: 'banner banner-critical', role: 'alert' },
        h('h2', {}, needing.length === 1 ? '1 room needs attention' : `${needing.length} rooms need attention`),
        h('ul', {}, ...needing.flatMap((d) => d.attention.map((a) => h('li', { class: `attn-${a.severity}` }, h('a', { href: `#/box/${encodeURIComponent(d.id)}` }, d.name), `: ${a.message}`)))),
      ),
    );
  }
}
