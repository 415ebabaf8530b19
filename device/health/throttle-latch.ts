/**
 * Pure: what the health sample reports of the firmware's get_throttled word
 * (throttled.ts), latched between samples.
 *
 * Why a latch: bits 16-19 are documented as "has occurred since boot", but
 * on Pi OS and balenaOS kernels the raspberrypi-hwmon driver asks the
 * firmware for the word every 2 s with the request value 0xffff, "Request
 * firmware to clear sticky bits" (drivers/hwmon/raspberrypi-hwmon.c,
 * rpi_firmware_get_throttled() and get_values_poll(), which reschedules
 * itself with 2 * HZ; read in raspberrypi/linux at 1a91e6d5 and in
 * torvalds/linux; the same there, and the device is named "rpi_volt"). The
 * firmware driver's get_throttled file only shows the last answer to such a
 * request (drivers/firmware/raspberrypi.c in raspberrypi/linux:
 * get_throttled_show() prints fw->get_throttled, which
 * rpi_firmware_property() updates on every RPI_FIRMWARE_GET_THROTTLED; read
 * at 01fc79ac). So
 * an "occurred" bit lives about 2 s, and a sample every 10 s misses most
 * short under-voltage events: the brown-outs that corrupt SD cards and drop
 * frames. Reading every second (throttle-watch.ts) and ORing every reading
 * in here catches each 2 s window.
 *
 * What "occurred" means then: since this agent started, not since boot. A
 * container restart forgets, and what the kernel cleared before the agent
 * started is lost.
 */

/** Bits 0-3: under-voltage, ARM frequency capped, throttled, soft temperature limit, now. */
const NOW_BITS = 0xf;
/** Bits 16-19: the same four, occurred. */
const OCCURRED_SHIFT = 16;
const OCCURRED_BITS = NOW_BITS << OCCURRED_SHIFT;
/** Bit 16: under-voltage occurred, the only bit the hwmon alarm carries. */
const UNDER_VOLTAGE_OCCURRED = 1 << OCCURRED_SHIFT;

export class ThrottleLatch {
  private now = 0;
  private occurred = 0;

  /**
   * One get_throttled word. Its "now" bits replace the previous ones; they
   * and its "occurred" bits are latched as occurred (a condition seen now
   * has occurred, even if the firmware's sticky bit was cleared before this
   * reading).
   */
  observe(word: number): void {
    this.now = word & NOW_BITS;
    this.occurred |= (this.now << OCCURRED_SHIFT) | (word & OCCURRED_BITS);
  }

  /** The rpi_volt hwmon's in0_lcrit_alarm: the under-voltage sticky bit of the driver's last 2 s window. */
  observeUnderVoltageAlarm(alarm: boolean): void {
    if (alarm) this.occurred |= UNDER_VOLTAGE_OCCURRED;
  }

  /** The word to report: the latest reading's "now" bits and every "occurred" bit latched so far (unsigned). */
  word(): number {
    return (this.now | this.occurred) >>> 0;
  }

  get underVoltageOccurred(): boolean {
    return (this.occurred & UNDER_VOLTAGE_OCCURRED) !== 0;
  }
}
