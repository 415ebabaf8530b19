/** One /sys/class/gpio/gpiochipN: its first line number, its driver's label and how many lines it has. */
export interface GpioChip {
  base: number;
  label: string;
  ngpio: number;
}

/**
 * The chips whose lines are the 40-pin header's BCM numbers: BCM2835/2836/2837
 * (Pi 3, Zero 2 W), BCM2711 (Pi 4) and the RP1 south bridge (Pi 5).
 */
const HEADER_CHIPS = ['pinctrl-bcm2835', 'pinctrl-bcm2711', 'pinctrl-rp1'];

/**
 * The kernel's sysfs number of a header pin, given by its BCM number. Since
 * kernel 6.6 the header chip no longer starts at 0 (often at 512), so the
 * number is the chip's base plus the BCM number, never the BCM number alone
 * (FIELD.md, onoff#200).
 */
export function sysfsNumber(bcm: number, chips: readonly GpioChip[]): { ok: true; number: number } | { ok: false; error: string } {
  const chip = chips.find((c) => HEADER_CHIPS.includes(c.label));
  if (!chip) return { ok: false, error: `no Raspberry Pi GPIO chip (${HEADER_CHIPS.join(', ')}) in /sys/class/gpio${chips.length > 0 ? `; found ${chips.map((c) => c.label).join(', ')}` : ''}` };
  if (bcm >= chip.ngpio) return { ok: false, error: `GPIO ${bcm} is beyond ${chip.label}'s ${chip.ngpio} lines` };
  return { ok: true, number: chip.base + bcm };
}
