import type { Health } from '../../common/protocol.js';

/**
 * The box's health probe (STYLE.md #5): one sample of what the fleet shows
 * about the machine. A sample always comes: a measure that cannot be taken
 * here (no thermal zone, no Wi-Fi, not a Pi) or that failed is left out.
 * The stream phase is not the probe's: the agent adds it to the sample.
 */
export interface HealthProbe {
  sample(): Promise<Health>;
}

/** The folders whose free space the sample reports. */
export interface HealthDirs {
  /** The box's data folder (ROOMCAST_DATA_DIR). */
  dataDir: string;
  /** The recording folder, or null when the box does not record. */
  recordDir: string | null;
}

/** A source that exists but could not be read or understood: logged, and its field left out. */
export class HealthSourceError extends Error {
  override readonly name = 'HealthSourceError';

  constructor(
    readonly source: string,
    readonly problem: string,
  ) {
    super(`${source}: ${problem}`);
  }
}
