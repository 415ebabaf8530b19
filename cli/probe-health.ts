import type { Health } from '../common/protocol.js';

const FLAGS = [
  ['underVoltage', 'under-voltage'],
  ['freqCapped', 'ARM frequency capped'],
  ['throttled', 'throttled'],
  ['softTempLimit', 'soft temperature limit'],
] as const;

/**
 * Pure: `roomcast probe`'s line about the board's heat and power, from one
 * health sample. One sample's "occurred" bits are not "since boot": the
 * kernel's hwmon driver clears them every 2 s (device/health/throttle-latch.ts),
 * so they cover the last seconds.
 */
export function healthLine(h: Health): string {
  const temp = h.tempC === undefined ? 'temperature unknown' : `CPU ${h.tempC} °C`;
  if (h.underVoltageNow === undefined) {
    const unknown = `${temp}; throttling unknown (no get_throttled file, no vcgencmd)`;
    // A kernel with the rpi_volt hwmon but no get_throttled file: its under-voltage alarm alone.
    return h.underVoltageOccurred === undefined ? unknown : `${unknown}; occurred in the last seconds: ${h.underVoltageOccurred ? 'under-voltage' : 'none'}`;
  }
  const now = FLAGS.filter(([k]) => h[`${k}Now`] === true).map(([, label]) => label);
  const occurred = FLAGS.filter(([k]) => h[`${k}Occurred`] === true).map(([, label]) => label);
  return `${temp}; now: ${now.join(', ') || 'no throttling'}; occurred in the last seconds: ${occurred.join(', ') || 'none'}`;
}
