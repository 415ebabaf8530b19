import { h } from './dom.js';
import { meterPercent } from './format.js';
import type { StreamDetails } from './types.js';

/** Peak and loudness (RMS) per channel, and the flags a person must act on. */
export function audioMeters(audio: StreamDetails['audio'] | null, streaming: boolean): HTMLElement {
  if (!audio || audio.source === 'none') return h('div', { class: 'meters muted' }, audio ? 'No microphone in use: silent audio is sent' : 'No sound reading yet');
  const names = audio.rmsDb.length === 2 ? ['L', 'R'] : audio.rmsDb.map((_, i) => `${i + 1}`);
  const rows = audio.rmsDb.map((rms, i) => {
    const peak = audio.peakDb[i] ?? rms;
    return h(
      'div',
      { class: 'meter-row' },
      h('span', { class: 'meter-name' }, names[i] ?? ''),
      h(
        'div',
        { class: 'meter', role: 'meter', 'aria-label': `Channel ${names[i] ?? i + 1} loudness`, 'aria-valuemin': -60, 'aria-valuemax': 0, 'aria-valuenow': Math.round(rms), 'aria-valuetext': `${Math.round(rms)} dB, peak ${Math.round(peak)} dB` },
        sized(h('div', { class: `meter-rms level-${level(rms)}` }), 'width', meterPercent(rms)),
        sized(h('div', { class: `meter-peak${peak >= -1 ? ' hot' : ''}` }), 'left', meterPercent(peak)),
      ),
      h('span', { class: 'meter-db' }, `${Math.round(rms)} dB`),
    );
  });
  const flags = [
    audio.failed && h('span', { class: 'flag flag-error' }, 'Microphone failed'),
    streaming && audio.silent && !audio.failed && h('span', { class: 'flag flag-error' }, 'Silent'),
    audio.clipping && h('span', { class: 'flag flag-warn' }, 'Too loud (clipping)'),
    audio.source === 'test' && h('span', { class: 'flag' }, 'Test tone'),
  ];
  return h('div', { class: 'meters' }, h('div', { class: 'meter-flags' }, ...flags), ...(rows.length > 0 ? rows : [h('span', { class: 'muted' }, 'No sound reading yet')]));
}

/** ok up to -12 dBFS, loud up to -1, then clipping: the colour of the whole bar, so a quiet channel is never drawn red. */
function level(db: number): 'ok' | 'loud' | 'clip' {
  return db >= -1 ? 'clip' : db >= -12 ? 'loud' : 'ok';
}

// Through the CSSOM: the Content-Security-Policy refuses style attributes.
function sized(el: HTMLElement, prop: 'width' | 'left', percent: number): HTMLElement {
  el.style[prop] = `${percent}%`;
  return el;
}
