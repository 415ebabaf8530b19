import { createRequire } from 'node:module';
import { headerNumber } from './gpio-chips.js';
import { exportRefused, KERNEL_SYS, type GpioLine } from './gpio-line.js';

/**
 * onoff itself (and its native epoll addon), loaded on first use only, so a
 * box without a button or light never loads it. onoff is called nowhere
 * else (STYLE.md: hardware behind its adapter).
 */
export function loadOnoff(): typeof import('onoff') {
  return createRequire(import.meta.url)('onoff') as typeof import('onoff');
}

/**
 * A header pin through onoff on the kernel's sysfs GPIO (export, direction,
 * value). Where there is no sysfs GPIO at all (no /sys/class/gpio, or no
 * permission) it fails before writing anything; onoff's constructor throws
 * when the kernel refuses the export.
 */
export async function openOnoffLine(bcm: number, direction: 'in' | 'out'): Promise<GpioLine> {
  const { Gpio } = loadOnoff();
  if (!Gpio.accessible) throw new Error(`GPIO ${bcm}: sysfs GPIO is not accessible (${KERNEL_SYS}/class/gpio/export cannot be opened for writing: no sysfs GPIO on this kernel, or no permission)`);
  const number = await headerNumber(KERNEL_SYS, bcm);
  let gpio: InstanceType<typeof Gpio>;
  try {
    gpio = new Gpio(number, direction);
  } catch (err) {
    throw exportRefused(bcm, number, err);
  }
  return {
    number,
    // A failed read rejects (the executor's throw) rather than throwing at the caller.
    read: () => new Promise((done) => done(gpio.readSync() === 1)),
    write: (high) => gpio.write(high ? 1 : 0),
    release: () => gpio.unexport(),
  };
}
