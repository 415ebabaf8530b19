import type { Health } from '../../common/protocol.js';

/**
 * The Raspberry Pi firmware's get_throttled bit field, pure. Bits 0-3 say
 * what holds now, bits 16-19 what has happened (raspberrypi.com
 * documentation, "get_throttled"):
 *   0 under-voltage, 1 ARM frequency capped, 2 throttled, 3 soft temperature limit.
 * The documentation says "since boot", but the kernel's hwmon driver clears
 * bits 16-19 every 2 s; throttle-latch.ts says why and what the sample
 * reports instead.
 */

export type ThrottleFlags = Required<
  Pick<
    Health,
    | 'underVoltageNow'
    | 'underVoltageOccurred'
    | 'freqCappedNow'
    | 'freqCappedOccurred'
    | 'throttledNow'
    | 'throttledOccurred'
    | 'softTempLimitNow'
    | 'softTempLimitOccurred'
  >
>;

const OCCURRED_SHIFT = 16;
const BIT = { underVoltage: 0, freqCapped: 1, throttled: 2, softTempLimit: 3 } as const;

function bit(bits: number, n: number): boolean {
  // `>>>` keeps the value unsigned: bit 31 must not make the number negative.
  return ((bits >>> n) & 1) === 1;
}

export function throttleFlags(bits: number): ThrottleFlags {
  return {
    underVoltageNow: bit(bits, BIT.underVoltage),
    underVoltageOccurred: bit(bits, BIT.underVoltage + OCCURRED_SHIFT),
    freqCappedNow: bit(bits, BIT.freqCapped),
    freqCappedOccurred: bit(bits, BIT.freqCapped + OCCURRED_SHIFT),
    throttledNow: bit(bits, BIT.throttled),
    throttledOccurred: bit(bits, BIT.throttled + OCCURRED_SHIFT),
    softTempLimitNow: bit(bits, BIT.softTempLimit),
    softTempLimitOccurred: bit(bits, BIT.softTempLimit + OCCURRED_SHIFT),
  };
}

// The firmware answers with a 32-bit word: more than 8 hex digits is not it.
const HEX_WORD = /^(?:0x)?([0-9a-f]{1,8})$/i;

/**
 * The text of the firmware device's get_throttled file (throttle-source.ts). The Pi
 * kernel's driver prints it with "%x\n" (hex without 0x), so "50000" is
 * 0x50000, never fifty thousand; a 0x prefix is accepted too. Null for
 * anything else.
 */
export function parseSysfsThrottled(text: string): number | null {
  const m = HEX_WORD.exec(text.trim());
  return m?.[1] === undefined ? null : Number.parseInt(m[1], 16);
}

/** The output of `vcgencmd get_throttled`: "throttled=0x50000". Null for anything else (an error message, an empty line). */
export function parseVcgencmdThrottled(text: string): number | null {
  const m = /^throttled=(0x[0-9a-f]{1,8})$/i.exec(text.trim());
  return m?.[1] === undefined ? null : Number.parseInt(m[1], 16);
}

/**
 * The hwmon `name` of the Raspberry Pi voltage sensor: raspberrypi-hwmon.c
 * registers its hwmon device as "rpi_volt" (devm_hwmon_device_register_with_info).
 */
export const RPI_VOLT_HWMON = 'rpi_volt';

/** The text of an hwmon alarm file (in0_lcrit_alarm): "0\n" or "1\n". Null for anything else. */
export function parseHwmonAlarm(text: string): boolean | null {
  const t = text.trim();
  return t === '1' ? true : t === '0' ? false : null;
}
