import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** One GPIO line as the panel uses it: a level to read or to set. */
export interface GpioLine {
  /** The pin reads high. */
  read(): Promise<boolean>;
  write(high: boolean): Promise<void>;
  release(): void;
}

/**
 * On a Pi: onoff on the kernel's sysfs GPIO (export, direction, value). Its
 * constructor throws when the kernel refuses the export (a pin in use, no
 * permission, raspberrypi/linux#6084): the caller fails closed on that.
 */
export function onoffLine(number: number, direction: 'in' | 'out'): GpioLine {
  const { Gpio } = createRequire(import.meta.url)('onoff') as typeof import('onoff');
  if (!Gpio.accessible) throw new Error('sysfs GPIO is not accessible (no /sys/class/gpio, or no permission)');
  const gpio = new Gpio(number, direction);
  return {
    read: () => Promise.resolve(gpio.readSync() === 1),
    write: (high) => gpio.write(high ? 1 : 0),
    release: () => gpio.unexport(),
  };
}

/**
 * The same sysfs protocol on a folder tree a test provides (ROOMCAST_HOST_SYS):
 * the line's `value` file under <sys>/class/gpio/gpio<N>/, which must exist,
 * as it does once the kernel exported the line.
 */
export async function fileLine(sys: string, number: number): Promise<GpioLine> {
  const value = join(sys, 'class/gpio', `gpio${number}`, 'value');
  await readFile(value, 'utf8').catch(() => {
    throw new Error(`GPIO ${number} could not be exported (${value} is missing)`);
  });
  return {
    read: async () => (await readFile(value, 'utf8')).trim() === '1',
    write: (high) => writeFile(value, high ? '1\n' : '0\n'),
    release: () => undefined,
  };
}
