import type { Health } from '../common/protocol.js';

const FLAGS = [
  ['underVoltage', 'under-voltage'],
  ['freqCapped', 'ARM frequency capped'],
  ['throttled', 'throttled'],
  ['softTempLimit', 'soft temperature limit'],
] as const;

/** Pure: `roomcast probe`'s line about the board's heat and power, from one health sample. */
export function healthLine(h: Health): string {
  const temp = h.tempC === undefined ? 'temperature unknown' : `CPU ${h.tempC} °C`;
  if (h.underVoltageNow === undefined) return `${temp}; throttling unknown (no get_throttled file, no vcgencmd)`;
  const now = FLAGS.filter(([k]) => h[`${k}Now`] === true).map(([, label]) => label);
  const occurred = FLAGS.filter(([k]) => h[`${k}Occurred`] === true).map(([, label]) => label);
  return `${temp}; now: ${now.join(', ') || 'no throttling'}; occurred: ${occurred.join(', ') || 'none'}`;
}
