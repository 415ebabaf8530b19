import { join } from 'node:path';
import type { HostPaths } from '../hardware/paths.js';
import { HealthSourceError } from './probe.js';
import { numberedEntries, readIfPresent } from './sys-files.js';
import { parseHwmonAlarm, RPI_VOLT_HWMON } from './throttled.js';


/**
 * The under-voltage alarm of the Pi's voltage sensor: in0_lcrit_alarm of the
 * hwmon device named "rpi_volt". raspberrypi-hwmon.c's rpi_read() answers
 * it with the under-voltage sticky bit (BIT(16)) of the get_throttled word
 * it polled last (data->last_throttled, every 2 s), without asking the
 * firmware again: a cheap read. On a kernel without the get_throttled sysfs
 * file (mainline) it is the only sysfs trace of an under-voltage.
 *
 * The hwmon index is not fixed (hwmon0 on one Pi, hwmon2 on a Pi 5 whose
 * cpu_thermal and rp1_adc came first), so /sys/class/hwmon/<n>/name is
 * scanned once and the folder kept. A box without it (not a Pi, the driver
 * not loaded) is looked at once, not at every read.
 */
export class UnderVoltageAlarm {
  /** undefined: not looked for yet; null: not on this box. */
  private dir: string | null | undefined;

  constructor(private readonly paths: HostPaths) {}

  /** The alarm, or undefined when this box has no rpi_volt hwmon. */
  async read(): Promise<boolean | undefined> {
    if (this.dir === undefined) this.dir = await this.find();
    if (this.dir === null) return undefined;
    const file = join(this.dir, 'in0_lcrit_alarm');
    const text = await readIfPresent(file);
    if (text === null) {
      // The driver went (module unloaded); look again next time.
      this.dir = undefined;
      throw new HealthSourceError(file, 'gone');
    }
    const alarm = parseHwmonAlarm(text);
    if (alarm === null) throw new HealthSourceError(file, 'not 0 or 1');
    return alarm;
  }

  private async find(): Promise<string | null> {
    const classDir = join(this.paths.sys, 'class/hwmon');
    for (const entry of (await numberedEntries(classDir, 'hwmon')) ?? []) {
      const dir = join(classDir, entry);
      if ((await readIfPresent(join(dir, 'name')))?.trim() === RPI_VOLT_HWMON) return dir;
    }
    return null;
  }
}
