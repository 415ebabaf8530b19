import { execFile } from 'node:child_process';
import { access, constants, readdir } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import type { HostPaths } from '../hardware/paths.js';
import { HealthSourceError } from './probe.js';
import { isMissing, readIfPresent } from './sys-files.js';
import { parseSysfsThrottled, parseVcgencmdThrottled } from './throttled.js';

export interface VcgencmdOptions {
  /** A name looked up in PATH, or an absolute path. */
  command: string;
  timeoutMs: number;
  /** The PATH to look the command up in. */
  path: string;
}

/** After this many failures in a row vcgencmd is not run again: it will not start working (no /dev/vchiq in the container). */
const GIVE_UP_AFTER = 3;

export const DEFAULT_VCGENCMD: VcgencmdOptions = { command: 'vcgencmd', timeoutMs: 2000, path: process.env['PATH'] ?? '' };

/**
 * The firmware driver (drivers/firmware/raspberrypi.c) puts get_throttled on
 * its own device, the DT node "firmware" under the SoC bus node, which the
 * kernel names "<bus>:firmware": "soc" on Pi 0-4 (bcm283x.dtsi), so
 * /sys/devices/platform/soc/soc:firmware/get_throttled, but
 * "soc@107c000000" on Pi 5 (bcm2712.dtsi). This is the Pi 0-4 path,
 * relative to /sys.
 */
export const GET_THROTTLED_SYSFS = 'devices/platform/soc/soc:firmware/get_throttled';

/** Pure: the entries of /sys/devices/platform -> where get_throttled may be, relative to /sys, "soc" first. */
export function getThrottledCandidates(platformEntries: readonly string[]): string[] {
  return platformEntries
    .filter((e) => /^soc(@[0-9a-f]+)?$/.test(e))
    .sort()
    .map((bus) => `devices/platform/${bus}/${bus}:firmware/get_throttled`);
}

async function executable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The word in a get_throttled file, or undefined when the file does not exist. */
async function readSysfsFile(file: string): Promise<number | undefined> {
  const text = await readIfPresent(file);
  if (text === null) return undefined;
  const bits = parseSysfsThrottled(text);
  if (bits === null) throw new HealthSourceError(file, 'not a hex number');
  return bits;
}

/**
 * The firmware's get_throttled word, from the cheapest source this box has:
 * the sysfs file (a read of a few bytes), else `vcgencmd get_throttled` (a
 * process, about as costly as the rest of the sample together on a Pi Zero),
 * else none. vcgencmd is looked up in PATH once, without spawning anything,
 * so a laptop or a PC never forks for it.
 */
export class FirmwareThrottleSource {
  /** undefined: not looked up yet; null: not on this box. */
  private vcgencmd: string | null | undefined;
  private failures = 0;
  /** The get_throttled file found last, or null. */
  private sysfsFile: string | null = null;

  constructor(
    private readonly paths: HostPaths,
    private readonly options: VcgencmdOptions = DEFAULT_VCGENCMD,
  ) {}

  /** The bit field, or undefined when this box has no source (not a Pi). */
  async read(): Promise<number | undefined> {
    const fromSysfs = await this.readSysfs();
    if (fromSysfs !== undefined) return fromSysfs;
    const command = await this.findVcgencmd();
    if (command === null) return undefined;
    try {
      const bits = await this.runVcgencmd(command);
      this.failures = 0;
      return bits;
    } catch (err) {
      this.failures += 1;
      if (this.failures < GIVE_UP_AFTER || !(err instanceof HealthSourceError)) throw err;
      this.vcgencmd = null;
      throw new HealthSourceError(command, `${err.problem}; failed ${GIVE_UP_AFTER} times in a row, not run again`);
    }
  }

  /**
   * The sysfs word, or undefined when no get_throttled file exists. Never
   * spawns anything, so the health probe's 1 s poll uses this alone. The file
   * found is kept; until there is one it is looked for at each read (the
   * firmware driver may bind late), and again if it goes.
   */
  async readSysfs(): Promise<number | undefined> {
    if (this.sysfsFile !== null) {
      const bits = await readSysfsFile(this.sysfsFile);
      if (bits !== undefined) return bits;
      this.sysfsFile = null;
    }
    for (const relative of getThrottledCandidates(await this.platformEntries())) {
      const file = join(this.paths.sys, relative);
      const bits = await readSysfsFile(file);
      if (bits === undefined) continue;
      this.sysfsFile = file;
      return bits;
    }
    return undefined;
  }

  private async platformEntries(): Promise<string[]> {
    try {
      return await readdir(join(this.paths.sys, 'devices/platform'));
    } catch (err) {
      if (isMissing(err)) return [];
      throw err;
    }
  }

  private async findVcgencmd(): Promise<string | null> {
    if (this.vcgencmd !== undefined) return this.vcgencmd;
    const { command, path } = this.options;
    const candidates = isAbsolute(command) ? [command] : path.split(delimiter).filter((d) => d.length > 0).map((d) => join(d, command));
    let found: string | null = null;
    for (const c of candidates) {
      if (await executable(c)) {
        found = c;
        break;
      }
    }
    this.vcgencmd = found;
    return found;
  }

  private runVcgencmd(command: string): Promise<number> {
    return new Promise((resolve, reject) => {
      execFile(command, ['get_throttled'], { timeout: this.options.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 4096 }, (err, stdout) => {
        if (err) {
          reject(new HealthSourceError(command, err.killed ? `no answer within ${this.options.timeoutMs} ms` : err.message));
          return;
        }
        const bits = parseVcgencmdThrottled(stdout);
        if (bits === null) reject(new HealthSourceError(command, 'unexpected output of get_throttled'));
        else resolve(bits);
      });
    });
  }
}
