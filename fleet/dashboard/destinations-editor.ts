import { parseDestinations, type DestinationRow } from './destination-words.js';
import { fill, h } from './dom.js';
import { platformName } from './format.js';
import type { Platform } from './types.js';

const PLATFORMS: readonly Platform[] = ['youtube', 'twitch', 'facebook', 'custom', 'ipfs'];

/**
 * Destinations picked from platform presets. A stream key is write-only: the
 * field starts empty and says which key (by its last 4 characters) is kept.
 */
export class DestinationsEditor {
  readonly element = h('div', { class: 'dest-editor' });
  private rows: DestinationRow[];

  constructor(
    value: string,
    private readonly changed: () => void,
  ) {
    this.rows = parseDestinations(value);
    this.render();
  }

  get value(): readonly DestinationRow[] {
    return this.rows;
  }

  private render(): void {
    const rows = this.rows.map((row, i) => this.rowElement(row, i));
    const add = h('button', { type: 'button', class: 'btn' }, '+ Add a destination');
    add.addEventListener('click', () => {
      this.rows.push({ platform: 'youtube', server: '', maskedKey: '', newKey: '', original: null });
      this.render();
      this.changed();
      this.element.querySelector<HTMLElement>(`#dest-${this.rows.length - 1}-platform`)?.focus();
    });
    fill(this.element, ...(rows.length > 0 ? rows : [h('p', { class: 'muted' }, 'No destination: the box will only record.')]), add);
  }

  private rowElement(row: DestinationRow, i: number): HTMLElement {
    const id = `dest-${i}`;
    const platform = h('select', { id: `${id}-platform` }, ...PLATFORMS.map((p) => h('option', { value: p, selected: p === row.platform }, p === 'custom' ? 'Other RTMP / RTMPS server' : platformName(p))));
    platform.addEventListener('change', () => {
      row.platform = platform.value as Platform;
      this.render();
      this.changed();
      this.element.querySelector<HTMLElement>(`#${id}-platform`)?.focus();
    });
    const keepHint = row.original !== null && row.maskedKey !== '' ? `Leave empty to keep the key ending in ${row.maskedKey.replace(/^\*+/, '')}` : 'The stream key from the platform';
    const key = h('input', { id: `${id}-key`, type: 'password', autocomplete: 'off', spellcheck: 'false', value: row.newKey, placeholder: row.original !== null ? `unchanged (${row.maskedKey})` : 'paste the stream key', 'aria-describedby': `${id}-key-hint` });
    key.addEventListener('input', () => {
      row.newKey = key.value;
      this.changed();
    });
    const server = h('input', { id: `${id}-server`, type: 'url', value: row.server, placeholder: 'rtmp://host/app', spellcheck: 'false' });
    server.addEventListener('input', () => {
      row.server = server.value;
      this.changed();
    });
    const remove = h('button', { type: 'button', class: 'btn btn-quiet' }, `Remove destination ${i + 1}`);
    remove.addEventListener('click', () => {
      this.rows.splice(i, 1);
      this.render();
      this.changed();
    });
    return h(
      'fieldset',
      { class: 'dest-row' },
      h('legend', {}, `Destination ${i + 1}`),
      h('label', { for: `${id}-platform` }, 'Platform'),
      platform,
      row.platform === 'custom' && h('label', { for: `${id}-server` }, 'Server (without the key)'),
      row.platform === 'custom' && server,
      row.platform !== 'ipfs' && h('label', { for: `${id}-key` }, 'Stream key'),
      row.platform !== 'ipfs' && key,
      h('p', { class: 'hint', id: `${id}-key-hint` }, row.platform === 'ipfs' ? 'Anyone can watch in a browser on this fleet\'s watch page; no key needed.' : keepHint),
      remove,
    );
  }
}
