import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { headerNumber } from './gpio-chips.js';
import { exportRefused, type GpioLine } from './gpio-line.js';

/**
 * A header pin through the sysfs protocol on a folder tree a test provides
 * (ROOMCAST_HOST_SYS): a line not yet exported is exported by writing its
 * number to <sys>/class/gpio/export; its level is then the `value` file under
 * gpio<N>/ (which, with no kernel behind the tree, the test must have made).
 */
export async function openFileLine(sys: string, bcm: number): Promise<GpioLine> {
  const number = await headerNumber(sys, bcm);
  const gpio = join(sys, 'class/gpio');
  const value = join(gpio, `gpio${number}`, 'value');
  const present = (): Promise<boolean> => access(value).then(() => true, () => false);
  if (!(await present())) {
    await writeFile(join(gpio, 'export'), String(number)).catch((err: unknown) => {
      throw exportRefused(bcm, number, err);
    });
    if (!(await present())) throw exportRefused(bcm, number, `${value} did not appear`);
  }
  return {
    number,
    read: async () => (await readFile(value, 'utf8')).trim() === '1',
    write: (high) => writeFile(value, high ? '1\n' : '0\n'),
    release: () => undefined,
  };
}
