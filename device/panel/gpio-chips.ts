import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sysfsNumber, type GpioChip } from './gpio-numbers.js';

/** Every gpiochip the kernel lists under <sys>/class/gpio (none where there is no GPIO). */
export async function readGpioChips(sys: string): Promise<GpioChip[]> {
  const dir = join(sys, 'class/gpio');
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.startsWith('gpiochip'));
  const chips: GpioChip[] = [];
  for (const name of names) {
    const field = (f: string): Promise<string> => readFile(join(dir, name, f), 'utf8').then((t) => t.trim());
    try {
      chips.push({ base: Number(await field('base')), label: await field('label'), ngpio: Number(await field('ngpio')) });
    } catch {
      // a chip without the files: not one we can use
    }
  }
  return chips;
}

/** The sysfs number of a header pin (BCM number) under <sys>, or throws saying why there is none. */
export async function headerNumber(sys: string, bcm: number): Promise<number> {
  const n = sysfsNumber(bcm, await readGpioChips(sys));
  if (!n.ok) throw new Error(n.error);
  return n.number;
}
