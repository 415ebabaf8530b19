import { ApiError, type Api } from './api.js';
import { confirmDialog } from './confirm.js';
import { buildDestinations } from './destination-words.js';
import { DestinationsEditor } from './destinations-editor.js';
import { fill, h } from './dom.js';
import { BITRATE, describeQuality, FRAMERATE, presetOf, QUALITY_PRESETS, SIZE } from './presets.js';
import type { ConfigPreview, Device } from './types.js';

const DESTINATIONS = 'ROOMCAST_DESTINATIONS';
const ROOM = 'ROOMCAST_ROOM_NAME';
const RECORD_DIR = 'ROOMCAST_RECORD_DIR';
const DELAY = 'ROOMCAST_AUDIO_DELAY_MS';
const DEFAULT_RECORD_DIR = '/data/recordings';

/**
 * A box's settings. What saving would restart is shown as the form changes
 * (asked of the fleet, which knows the box's rules); saving a change that
 * interrupts a live stream asks first. A refused config lists every reason.
 */
export class ConfigForm {
  readonly element: HTMLFormElement;
  private readonly destinations: DestinationsEditor;
  private readonly room: HTMLInputElement;
  private readonly quality: HTMLSelectElement;
  private readonly recording: HTMLInputElement;
  private readonly recordDir: HTMLInputElement;
  private readonly delay: HTMLInputElement;
  private readonly preview = h('div', { class: 'preview', 'aria-live': 'polite', 'data-testid': 'preview' });
  private readonly problems = h('div', { class: 'problems', role: 'alert', 'data-testid': 'config-errors' });
  private previewTimer: number | null = null;
  /** The form's values as first shown: only what differs from them is sent (the box's own variables stay its own). */
  private readonly initial: Record<string, string>;

  constructor(
    private readonly api: Api,
    private device: Device,
    private readonly saved: (d: Device) => void,
  ) {
    const effective = { ...device.running, ...device.config };
    const get = (k: string): string => effective[k] ?? '';
    const changed = (): void => this.schedulePreview();
    this.destinations = new DestinationsEditor(get(DESTINATIONS), changed);
    this.room = h('input', { id: 'room', type: 'text', maxlength: 60, value: get(ROOM) || device.name });
    const current = presetOf(effective);
    this.quality = h(
      'select',
      { id: 'quality' },
      current === null && h('option', { value: '' }, `Current: ${describeQuality(effective)}`),
      ...QUALITY_PRESETS.map((p) => h('option', { value: p.id, selected: p === current }, p.label)),
    );
    this.recording = h('input', { id: 'recording', type: 'checkbox', checked: get(RECORD_DIR) !== '' });
    this.recordDir = h('input', { id: 'record-dir', type: 'text', value: get(RECORD_DIR) || DEFAULT_RECORD_DIR, spellcheck: 'false' });
    this.delay = h('input', { id: 'delay', type: 'number', min: 0, max: 2000, step: 10, value: get(DELAY) || '0' });
    for (const input of [this.room, this.quality, this.recording, this.recordDir, this.delay]) input.addEventListener('input', changed);
    const save = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save settings');
    this.element = h(
      'form',
      { class: 'config-form', novalidate: true },
      h('h2', {}, 'Settings'),
      h('label', { for: 'room' }, 'Room name (shown on the grid and on the slate)'),
      this.room,
      h('h3', {}, 'Where to stream'),
      this.destinations.element,
      h('label', { for: 'quality' }, 'Picture quality'),
      this.quality,
      h('div', { class: 'check' }, this.recording, h('label', { for: 'recording' }, 'Record on the box too')),
      h('label', { for: 'record-dir' }, 'Recording folder on the box'),
      this.recordDir,
      h('label', { for: 'delay' }, 'Delay the sound by (ms), when it is ahead of the picture'),
      this.delay,
      this.preview,
      this.problems,
      save,
    );
    const first = this.values();
    this.initial = first.ok ? first.values : {};
    this.element.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.save();
    });
  }

  /** The box changed elsewhere (live updates): saving warns by its current state. */
  setDevice(d: Device): void {
    this.device = d;
  }

  /** The desired config to send: the stored one, with each setting the form changed. */
  private build(): { ok: true; config: Record<string, string> } | { ok: false; errors: string[] } {
    const values = this.values();
    if (!values.ok) return values;
    const config = { ...this.device.config };
    for (const [k, v] of Object.entries(values.values)) if (k in config || v !== this.initial[k]) config[k] = v;
    return { ok: true, config };
  }

  /** What the form says for each variable it edits. */
  private values(): { ok: true; values: Record<string, string> } | { ok: false; errors: string[] } {
    const dest = buildDestinations(this.destinations.value);
    if (!dest.ok) return dest;
    const preset = QUALITY_PRESETS.find((p) => p.id === this.quality.value);
    return {
      ok: true,
      values: {
        [DESTINATIONS]: dest.value,
        [ROOM]: this.room.value.trim(),
        ...(preset ? { [SIZE]: preset.size, [FRAMERATE]: preset.framerate, [BITRATE]: preset.bitrateKbps } : {}),
        [RECORD_DIR]: this.recording.checked ? this.recordDir.value.trim() : '',
        [DELAY]: this.delay.value.trim() === '' ? '0' : this.delay.value.trim(),
      },
    };
  }

  private schedulePreview(): void {
    if (this.previewTimer !== null) clearTimeout(this.previewTimer);
    this.previewTimer = window.setTimeout(() => void this.showPreview(), 300);
  }

  private async showPreview(): Promise<ConfigPreview | null> {
    const built = this.build();
    if (!built.ok) {
      fill(this.preview);
      return null;
    }
    const p = await this.api.previewConfig(this.device.id, built.config).catch(() => null);
    if (!p) return null;
    const live = this.device.state === 'live' || this.device.state === 'starting';
    fill(
      this.preview,
      p.changes.length === 0 ? h('p', { class: 'muted' }, 'No changes yet.') : h('h3', {}, live && p.interrupts ? 'Saving now affects the live stream:' : 'What saving does:'),
      p.changes.length > 0 && h('ul', {}, ...p.changes.map((c) => h('li', { class: live && c.impact !== 'none' ? 'warn' : '' }, h('code', {}, c.variable), ` ${c.message}`))),
    );
    return p;
  }

  private async save(): Promise<void> {
    fill(this.problems);
    const built = this.build();
    if (!built.ok) return this.showProblems('Fix these first:', built.errors);
    const preview = await this.showPreview();
    if (preview && preview.changes.length === 0) return this.showProblems('Nothing to save: no setting changed.', []);
    const live = this.device.state === 'live' || this.device.state === 'starting';
    if (live && preview?.interrupts) {
      const ok = await confirmDialog({
        title: `${this.device.name} is live`,
        lines: preview.changes.filter((c) => c.impact !== 'none').map((c) => `${c.variable}: ${c.message}`),
        confirm: 'Save and apply now',
        cancel: 'Do not save',
      });
      if (!ok) return;
    }
    try {
      const name = this.room.value.trim();
      const answer = await this.api.putConfig(this.device.id, built.config);
      const device = name !== '' && name !== answer.device.name ? await this.api.rename(this.device.id, name) : answer.device;
      this.saved(device);
      fill(this.problems, h('p', { class: 'ok' }, `Saved as version ${answer.version}; the box applies it within seconds.`), ...answer.warnings.map((w) => h('p', { class: 'warn' }, w)));
    } catch (err) {
      if (err instanceof ApiError) this.showProblems(`Not saved: ${err.message}`, err.details);
      else this.showProblems('Not saved: the fleet could not be reached.', []);
    }
  }

  private showProblems(title: string, lines: string[]): void {
    fill(this.problems, h('p', { class: 'error' }, title), lines.length > 0 && h('ul', {}, ...lines.map((l) => h('li', {}, l))));
  }
}
