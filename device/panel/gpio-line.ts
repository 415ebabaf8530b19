import { resolve } from 'node:path';
import { openFileLine } from './file-line.js';
import { openOnoffLine } from './onoff-line.js';

/** One GPIO line as the panel uses it: a level to read or to set. */
export interface GpioLine {
  /** The kernel's sysfs number of the line (not the BCM number: see gpio-numbers.ts). */
  readonly number: number;
  /** The pin reads high. */
  read(): Promise<boolean>;
  write(high: boolean): Promise<void>;
  release(): void;
}

/** Opens a header pin, by its BCM number, or throws saying why (the panel fails closed on it). */
export type LineOpener = (bcm: number, direction: 'in' | 'out') => Promise<GpioLine>;

/** The kernel's own sysfs: onoff's, which cannot be pointed anywhere else. */
export const KERNEL_SYS = '/sys';

/**
 * How lines are opened under a sys root: through onoff on the kernel's own
 * /sys, through the files of a test's tree (ROOMCAST_HOST_SYS) anywhere else.
 */
export function lineOpener(sys: string): LineOpener {
  return resolve(sys) === KERNEL_SYS ? openOnoffLine : (bcm) => openFileLine(sys, bcm);
}

/** The error of a pin whose export was refused (a pin in use, no permission, raspberrypi/linux#6084). */
export function exportRefused(bcm: number, number: number, err: unknown): Error {
  return new Error(`GPIO ${bcm} (sysfs ${number}) could not be exported: ${err instanceof Error ? err.message : String(err)}`);
}
