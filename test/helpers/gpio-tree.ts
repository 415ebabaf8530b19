import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sleep } from './env.js';

/** BCM 17 and 27 on a Pi 4 with kernel 6.6+, whose header chip starts at 512. */
export const PI4_BUTTON_SYSFS = 529;
export const PI4_LED_SYSFS = 539;

/** <sys>/class/gpio with a Pi 4's header chip (kernel 6.6+: base 512) and no line exported; returns that folder. */
export async function pi4GpioChip(sys: string): Promise<string> {
  const gpio = join(sys, 'class/gpio');
  await mkdir(join(gpio, 'gpiochip512'), { recursive: true });
  await writeFile(join(gpio, 'gpiochip512/base'), '512\n');
  await writeFile(join(gpio, 'gpiochip512/label'), 'pinctrl-bcm2711\n');
  await writeFile(join(gpio, 'gpiochip512/ngpio'), '58\n');
  return gpio;
}

/** The same with BCM 17 (a button, pulled up: not pressed) and BCM 27 (a light, off) exported; returns their value files. */
export async function pi4GpioTree(sys: string): Promise<{ button: string; led: string }> {
  const gpio = await pi4GpioChip(sys);
  for (const n of [PI4_BUTTON_SYSFS, PI4_LED_SYSFS]) await mkdir(join(gpio, `gpio${n}`), { recursive: true });
  const button = join(gpio, `gpio${PI4_BUTTON_SYSFS}/value`);
  const led = join(gpio, `gpio${PI4_LED_SYSFS}/value`);
  await writeFile(button, '1\n');
  await writeFile(led, '0\n');
  return { button, led };
}

/** The light's level sampled every ~10 ms for `ms`: when each sample was taken and whether it was on. */
export async function sampleLight(led: string, ms: number): Promise<{ at: number; on: boolean }[]> {
  const samples: { at: number; on: boolean }[] = [];
  for (const end = Date.now() + ms; Date.now() < end; ) {
    samples.push({ at: Date.now(), on: (await readFile(led, 'utf8')).trim() === '1' });
    await sleep(10);
  }
  return samples;
}

/** The fraction of samples the light was on. */
export const litShare = (samples: readonly { on: boolean }[]): number => samples.filter((s) => s.on).length / samples.length;

/** The times between successive turn-ons of the light. */
export function onPeriods(samples: readonly { at: number; on: boolean }[]): number[] {
  const ons = samples.filter((s, i) => i > 0 && s.on && !samples[i - 1]?.on).map((s) => s.at);
  return ons.slice(1).map((t, i) => t - (ons[i] ?? t));
}
