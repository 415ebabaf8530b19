import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { healthLine } from '../../cli/probe-health.js';

describe("roomcast probe's health line", () => {
  const none = { underVoltageNow: false, underVoltageOccurred: false, freqCappedNow: false, freqCappedOccurred: false, throttledNow: false, throttledOccurred: false, softTempLimitNow: false, softTempLimitOccurred: false };

  it('says what holds now and what occurred in the last seconds, not since boot', () => {
    assert.equal(healthLine({ tempC: 55.1, ...none, underVoltageOccurred: true, throttledOccurred: true }), 'CPU 55.1 °C; now: no throttling; occurred in the last seconds: under-voltage, throttled');
    assert.equal(healthLine({ ...none, softTempLimitNow: true }), 'temperature unknown; now: soft temperature limit; occurred in the last seconds: none');
  });

  it('says when throttling is unknown, and what the hwmon alarm alone says', () => {
    assert.equal(healthLine({ tempC: 40 }), 'CPU 40 °C; throttling unknown (no get_throttled file, no vcgencmd)');
    assert.equal(healthLine({ underVoltageOccurred: true }), 'temperature unknown; throttling unknown (no get_throttled file, no vcgencmd); occurred in the last seconds: under-voltage');
    assert.equal(healthLine({ underVoltageOccurred: false }), 'temperature unknown; throttling unknown (no get_throttled file, no vcgencmd); occurred in the last seconds: none');
  });
});
