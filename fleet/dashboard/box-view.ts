import type { Api } from './api.js';
import type { BitrateHistory } from './bitrate-history.js';
import { attentionList, boxFacts, connectionPill, destinationList, liveBadge, snapshotImage } from './box-parts.js';
import { ConfigForm } from './config-form.js';
import { confirmDialog } from './confirm.js';
import { fill, h } from './dom.js';
import { platformName } from './format.js';
import { audioMeters } from './meters.js';
import { sparkline } from './sparkline.js';
import { timelineList } from './timeline-view.js';
import type { Device } from './types.js';

export interface BoxViewContext {
  api: Api;
  history: BitrateHistory;
  pictures: ReadonlyMap<string, { src: string; at: number }>;
  noPictures: ReadonlySet<string>;
  /** A box's new view from an answer here (shown at once, before the live update). */
  update: (d: Device) => void;
}

/**
 * One box: its live state with the buttons to go live or stop, its settings
 * and its timeline. The live part is redrawn on every update; the settings
 * form is built once, so live updates never overwrite what is being typed.
 */
export class BoxView {
  readonly element: HTMLElement;
  private readonly live = h('section', { class: 'box-live', 'aria-label': 'Live state' });
  private readonly timeline = h('section', { class: 'box-timeline' }, h('h2', {}, 'What happened'));
  private readonly timelineBody = h('div', {});
  private readonly message = h('p', { class: 'action-message', role: 'status' });
  private readonly form: ConfigForm;
  private device: Device;
  private busy = false;

  constructor(
    device: Device,
    private readonly ctx: BoxViewContext,
  ) {
    this.device = device;
    this.form = new ConfigForm(ctx.api, device, (d) => {
      ctx.update(d);
      void this.refreshTimeline();
    });
    this.timeline.append(this.timelineBody);
    this.element = h(
      'div',
      { class: 'box-page' },
      h('p', {}, h('a', { href: '#/' }, '← All rooms')),
      this.live,
      h('div', { class: 'box-columns' }, this.form.element, this.timeline),
    );
    this.render(device, Date.now());
    void this.refreshTimeline();
  }

  get id(): string {
    return this.device.id;
  }

  render(d: Device, now: number): void {
    const eventful = timelineKey(d) !== timelineKey(this.device);
    this.device = d;
    this.form.setDevice(d);
    const focusedKey = document.activeElement instanceof HTMLElement && this.live.contains(document.activeElement) ? document.activeElement.dataset['key'] : undefined;
    const streaming = d.state === 'live' || d.state === 'starting';
    const goLive = h('button', { type: 'button', class: 'btn btn-primary btn-big', 'data-key': 'start', disabled: !d.online || streaming || this.busy }, 'Go live');
    goLive.addEventListener('click', () => void this.start());
    const stop = h('button', { type: 'button', class: 'btn btn-danger btn-big', 'data-key': 'stop', disabled: !d.online || !streaming || this.busy }, 'Stop the stream');
    stop.addEventListener('click', () => void this.stop());
    fill(
      this.live,
      h('header', { class: 'box-head' }, h('h1', {}, d.name), connectionPill(d, now)),
      h('div', { class: 'box-top' }, liveBadge(d), h('div', { class: 'box-buttons' }, goLive, stop)),
      this.message,
      attentionList(d),
      h('div', { class: 'box-grid' }, h('div', {}, snapshotImage(this.ctx.pictures.get(d.id), d, now, this.ctx.noPictures.has(d.id))), h('div', {}, destinationList(d), sparkline(this.ctx.history.recent(d.id, now), now), audioMeters(d.stream?.audio ?? null, streaming && d.online), boxFacts(d))),
    );
    if (focusedKey) this.live.querySelector<HTMLElement>(`[data-key="${focusedKey}"]`)?.focus();
    if (eventful) void this.refreshTimeline();
  }

  private async refreshTimeline(): Promise<void> {
    const { events } = await this.ctx.api.timeline(this.device.id).catch(() => ({ events: null }));
    if (events) fill(this.timelineBody, timelineList(events));
  }

  private async start(): Promise<void> {
    await this.run('start', 'Going live…');
  }

  private async stop(): Promise<void> {
    const d = this.device;
    const places = d.destinations.map((x) => (x.platform === 'custom' ? x.url : platformName(x.platform)));
    const ok = await confirmDialog({
      title: `Stop the stream in ${d.name}?`,
      lines: [
        places.length > 0 ? `This ends the stream for every viewer on ${places.join(', ')}. The broadcast may end there for good; viewers have to find a new one.` : 'This ends the stream and the recording.',
        'Only stop when the talk is over.',
      ],
      confirm: 'Stop the stream',
      cancel: 'Keep streaming',
    });
    if (ok) await this.run('stop', 'Stopping…');
  }

  private async run(name: 'start' | 'stop', doing: string): Promise<void> {
    this.busy = true;
    this.message.textContent = doing;
    this.render(this.device, Date.now());
    try {
      const { response } = await this.ctx.api.command(this.device.id, name);
      this.message.textContent = response.ok ? '' : `The box said no: ${response.error}`;
    } catch (err) {
      this.message.textContent = `Not done: ${err instanceof Error ? err.message : String(err)}`;
    } finally {
      this.busy = false;
      this.render(this.device, Date.now());
    }
  }
}

/** What the fleet's timeline events are made of: when it changes, there are new events to show. */
function timelineKey(d: Device): string {
  return JSON.stringify([d.online, d.state, d.appliedVersion, d.refused?.version, d.destinations.map((x) => [x.state, x.failures]), d.stream?.video.slate, d.stream?.audio.silent, d.stream?.audio.failed, d.stream?.recording.stopped]);
}
