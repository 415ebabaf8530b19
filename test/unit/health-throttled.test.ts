import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ThrottleLatch } from '../../device/health/throttle-latch.js';
import { parseHwmonAlarm, parseSysfsThrottled, parseVcgencmdThrottled, throttleFlags, type ThrottleFlags } from '../../device/health/throttled.js';

const NONE: ThrottleFlags = {
  underVoltageNow: false,
  underVoltageOccurred: false,
  freqCappedNow: false,
  freqCappedOccurred: false,
  throttledNow: false,
  throttledOccurred: false,
  softTempLimitNow: false,
  softTempLimitOccurred: false,
};

describe('throttleFlags', () => {
  it('is all false for 0', () => {
    assert.deepEqual(throttleFlags(0), NONE);
  });

  it('maps each documented bit to its own flag', () => {
    const cases: [number, keyof ThrottleFlags][] = [
      [0, 'underVoltageNow'],
      [1, 'freqCappedNow'],
      [2, 'throttledNow'],
      [3, 'softTempLimitNow'],
      [16, 'underVoltageOccurred'],
      [17, 'freqCappedOccurred'],
      [18, 'throttledOccurred'],
      [19, 'softTempLimitOccurred'],
    ];
    for (const [bit, flag] of cases) assert.deepEqual(throttleFlags(2 ** bit), { ...NONE, [flag]: true }, `bit ${bit}`);
  });

  it('reads 0x50005 as under-voltage and throttling, now and occurred', () => {
    assert.deepEqual(throttleFlags(0x50005), { ...NONE, underVoltageNow: true, throttledNow: true, underVoltageOccurred: true, throttledOccurred: true });
  });

  it('reads 0x80008 as the soft temperature limit, now and occurred', () => {
    assert.deepEqual(throttleFlags(0x80008), { ...NONE, softTempLimitNow: true, softTempLimitOccurred: true });
  });

  it('ignores the bits it does not know, including bit 31', () => {
    assert.deepEqual(throttleFlags(0xfff0fff0), NONE);
  });
});

describe('parseSysfsThrottled', () => {
  it('reads the kernel\'s "%x\\n" as hex, so "50000" is 0x50000', () => {
    assert.equal(parseSysfsThrottled('50000\n'), 0x50000);
    assert.equal(parseSysfsThrottled('0\n'), 0);
    assert.equal(parseSysfsThrottled('e0008\n'), 0xe0008);
  });

  it('accepts a 0x prefix and upper case', () => {
    assert.equal(parseSysfsThrottled('0x50005'), 0x50005);
    assert.equal(parseSysfsThrottled('0XE0008\n'), 0xe0008);
  });

  it('refuses garbage, empty text, signs and more than 32 bits', () => {
    for (const bad of ['', '\n', 'throttled', '-1', '5 0000', '0x', '123456789', 'g', '1.5']) assert.equal(parseSysfsThrottled(bad), null, JSON.stringify(bad));
  });
});

describe('parseVcgencmdThrottled', () => {
  it('reads the output of vcgencmd get_throttled', () => {
    assert.equal(parseVcgencmdThrottled('throttled=0x50000\n'), 0x50000);
    assert.equal(parseVcgencmdThrottled('throttled=0x0\n'), 0);
    assert.equal(parseVcgencmdThrottled('throttled=0xE0008'), 0xe0008);
  });

  it('refuses error messages and other commands\' output', () => {
    for (const bad of [
      '',
      'VCHI initialization failed\n',
      'error=1 error_msg="Command not registered"\n',
      'temp=51.5\'C\n',
      'throttled=50000\n',
      'throttled=0x\n',
      'throttled=0x123456789\n',
      'throttled=0x50000 extra\n',
    ]) {
      assert.equal(parseVcgencmdThrottled(bad), null, JSON.stringify(bad));
    }
  });
});

describe('parseHwmonAlarm', () => {
  it('reads the 0 or 1 of in0_lcrit_alarm', () => {
    assert.equal(parseHwmonAlarm('1\n'), true);
    assert.equal(parseHwmonAlarm('0\n'), false);
  });

  it('refuses anything else', () => {
    for (const bad of ['', '\n', '2\n', '-1', 'true', '01']) assert.equal(parseHwmonAlarm(bad), null, JSON.stringify(bad));
  });
});

/** The latch after these readings: get_throttled words, or { alarm } for the rpi_volt hwmon's in0_lcrit_alarm. */
function latched(...readings: (number | { alarm: boolean })[]): ThrottleLatch {
  const latch = new ThrottleLatch();
  for (const r of readings) {
    if (typeof r === 'number') latch.observe(r);
    else latch.observeUnderVoltageAlarm(r.alarm);
  }
  return latch;
}

describe('ThrottleLatch', () => {
  it('reports nothing before any reading', () => {
    assert.equal(latched().word(), 0);
    assert.equal(latched().underVoltageOccurred, false);
  });

  it('keeps an occurred bit the kernel cleared: 0x50005 then 0 reports 0x50000', () => {
    assert.equal(latched(0x50005, 0).word(), 0x50000);
  });

  it('reports the latest reading\'s now bits only', () => {
    assert.equal(latched(0x50005, 0x80008).word(), 0xd0008);
    assert.equal(latched(0x80008, 0x50005).word(), 0xd0005);
  });

  it('latches a now bit as occurred even when the reading had no sticky bit', () => {
    assert.equal(latched(0x1, 0).word(), 0x10000);
    assert.equal(latched(0x2, 0x8, 0).word(), 0xa0000);
  });

  it('adds up the occurred bits of several readings', () => {
    assert.equal(latched(0x10000, 0, 0x40000, 0x20000, 0).word(), 0x70000);
    assert.equal(latched(0x10000, 0).underVoltageOccurred, true);
  });

  it('latches the hwmon alarm as under-voltage occurred, and nothing when it is 0', () => {
    assert.equal(latched({ alarm: true }, 0).word(), 0x10000);
    assert.equal(latched({ alarm: true }).underVoltageOccurred, true);
    assert.equal(latched({ alarm: false }, 0x40000).word(), 0x40000);
    assert.equal(latched({ alarm: false }).underVoltageOccurred, false);
  });

  it('ignores the bits it does not know, bit 31 included, and never goes negative', () => {
    assert.equal(latched(0xfff0fff0).word(), 0);
    assert.equal(latched(0x8000000f).word(), 0xf000f);
  });
});
