import { readFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { Health } from '../../common/protocol.js';
import type { Logger } from '../../common/log.js';
import type { HostPaths } from '../hardware/paths.js';
import { HealthSourceError, type HealthDirs, type HealthProbe } from './probe.js';
import { ProblemLog } from './problems.js';
import { isMissing, numberedEntries, readIfPresent } from './sys-files.js';
import {
  cpuLoadPercent,
  defaultRoute6Interface,
  defaultRouteInterface,
  parseMeminfo,
  parseMilliCelsius,
  parseProcStat,
  parseUptime,
  pickThermalZone,
  wirelessSignalDbm,
  type CpuTimes,
} from './proc-text.js';
import { DEFAULT_VCGENCMD, type VcgencmdOptions } from './throttle-source.js';
import { THROTTLE_POLL_MS, ThrottleWatch } from './throttle-watch.js';

/*
 * Where each measure comes from, and why not from systeminformation (checked
 * in systeminformation 5.33 on Linux; docs/health.md has the figures):
 * - CPU load: two readings of /proc/stat, the previous sample's and this
 *   one's, so no sleep. si.currentLoad runs `cat /proc/stat | grep cpu`
 *   through execSync: a shell and two processes, with the event loop blocked.
 * - Memory: /proc/meminfo, used = MemTotal - MemAvailable (what the kernel
 *   could not hand out without swapping; MemFree would count the page cache
 *   as used). si.mem reads the same file without spawning, but from a fixed
 *   /proc that fixture trees cannot replace, so it is not worth loading.
 * - Temperature: /sys/class/thermal/thermal_zone<n>/temp of the CPU's zone
 *   (cpu-thermal on a Pi). si.cpuTemperature runs shells, a loop over hwmon
 *   and `sensors`.
 * - Free space: fs.statfs of the folder itself (bavail, what a process may
 *   still write, as the recording janitor counts it). si.fsSize runs `df` and
 *   lists every filesystem.
 * - Uptime: /proc/uptime. si.time reads os.uptime(), the same number, and
 *   runs `date` through execSync for the time zone.
 * - Interface: the default route in /proc/net/route, else /proc/net/ipv6_route.
 *   si.networkInterfaces runs `ip route`, `cat` of several files and more.
 * - Wi-Fi signal: /proc/net/wireless, in dBm. si.wifiConnections runs iw,
 *   nmcli and wpa_cli per Wi-Fi interface.
 * - Throttling: see ThrottleWatch (sysfs, else vcgencmd, and the rpi_volt
 *   hwmon's under-voltage alarm; the sysfs sources read every second and
 *   latched between samples).
 * So systeminformation is not used by the probe at all, and not loaded.
 */

export interface SystemHealthProbeOptions {
  paths: HostPaths;
  dirs: HealthDirs;
  log: Logger;
  vcgencmd?: VcgencmdOptions;
  now?: () => Date;
  /** How often start() reads the sysfs throttling sources; THROTTLE_POLL_MS unless a test wants it shorter. */
  pollMs?: number;
}

type Part = Partial<Health>;

type Measure = Exclude<keyof Health, 'at' | 'phase' | 'probeMs' | 'sendKbps'>;

/** Every measure of a sample, kept complete by the compiler when Health grows; true for those the first sample cannot have (a load needs two readings). */
const MEASURES: Readonly<Record<Measure, boolean>> = {
  uptimeSeconds: false,
  cpuLoadPercent: true,
  tempC: false,
  memUsedBytes: false,
  memTotalBytes: false,
  dataFreeBytes: false,
  recordFreeBytes: false,
  netInterface: false,
  wifiSignalDbm: false,
  underVoltageNow: false,
  underVoltageOccurred: false,
  freqCappedNow: false,
  freqCappedOccurred: false,
  throttledNow: false,
  throttledOccurred: false,
  softTempLimitNow: false,
  softTempLimitOccurred: false,
};


async function readRequired(path: string): Promise<string> {
  const text = await readIfPresent(path);
  if (text === null) throw new HealthSourceError(path, 'missing');
  return text;
}

/**
 * A /proc file's text, read synchronously, or null when it does not exist.
 * procfs files are made in memory by the kernel and never wait for a disk,
 * and a synchronous read costs about a quarter of the CPU of fs.promises'
 * open/fstat/read/read/close through the threadpool (docs/health.md). Not for
 * /sys files backed by hardware (a thermal sensor, the firmware mailbox) or
 * statfs, which may wait.
 */
function readProcIfPresent(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
}

function readProcRequired(path: string): string {
  const text = readProcIfPresent(path);
  if (text === null) throw new HealthSourceError(path, 'missing');
  return text;
}

function parsed<T>(value: T | null, source: string): T {
  if (value === null) throw new HealthSourceError(source, 'not understood');
  return value;
}

/**
 * The real probe: /proc, /sys and statfs under the host paths, no process
 * spawned except vcgencmd on a Pi without the sysfs file. sample() alone
 * works (`roomcast probe` takes one); the agent also calls start(), so the
 * throttling flags catch what happens between samples, and stop().
 */
export class SystemHealthProbe implements HealthProbe {
  private readonly paths: HostPaths;
  private readonly dirs: HealthDirs;
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly problems: ProblemLog;
  private readonly throttle: ThrottleWatch;
  private lastCpu: CpuTimes | null = null;
  /** The chosen zone's temp file, kept so a sample reads one file instead of listing all zones. */
  private thermalFile: string | null = null;
  private sampled = false;

  constructor(options: SystemHealthProbeOptions) {
    this.paths = options.paths;
    this.dirs = options.dirs;
    this.log = options.log;
    this.now = options.now ?? (() => new Date());
    this.problems = new ProblemLog(options.log);
    this.throttle = new ThrottleWatch({
      paths: options.paths,
      log: options.log,
      problems: this.problems,
      vcgencmd: options.vcgencmd ?? DEFAULT_VCGENCMD,
      pollMs: options.pollMs ?? THROTTLE_POLL_MS,
    });
  }

  /** Starts reading the throttling flags between samples (every second, sysfs only). Never rejects. */
  start(): Promise<void> {
    return this.throttle.start();
  }

  /** How many times the sysfs throttling sources were read between samples. */
  get throttlePolls(): number {
    return this.throttle.polls;
  }

  /** Releases the timer start() took; nothing is read after it resolves. */
  stop(): Promise<void> {
    return this.throttle.stop();
  }

  async sample(): Promise<Health> {
    const started = performance.now();
    const at = this.now().toISOString();
    const { recordDir } = this.dirs;
    const parts = await Promise.all([
      this.measure('uptime', () => this.uptime()),
      this.measure('cpu', () => this.cpuLoad()),
      this.measure('memory', () => this.memory()),
      this.measure('temperature', () => this.temperature()),
      this.measure('dataFree', async () => ({ dataFreeBytes: await freeBytes(this.dirs.dataDir) })),
      recordDir === null ? {} : this.measure('recordFree', async () => ({ recordFreeBytes: await freeBytes(recordDir) })),
      this.network(),
      // Logs its own failures ('throttling', 'underVoltageAlarm').
      this.throttle.sample(),
    ]);
    const health = parts.reduce<Health>((h, part) => ({ ...h, ...part }), { at });
    health.probeMs = Math.round((performance.now() - started) * 100) / 100;
    if (!this.sampled) this.reportAbsent(health);
    this.sampled = true;
    return health;
  }

  private async measure(name: string, read: () => Part | Promise<Part>): Promise<Part> {
    const part = await this.problems.attempt(name, read);
    return part.ok ? part.value : {};
  }

  /** Once, which measures this box does not have (or failed at once, logged as such), so a missing field on the fleet's page has an explanation in the log. */
  private reportAbsent(first: Health): void {
    const notRecording = this.dirs.recordDir === null;
    const absent = (Object.keys(MEASURES) as Measure[]).filter((k) => first[k] === undefined && !MEASURES[k] && !(k === 'recordFreeBytes' && notRecording));
    if (absent.length > 0) this.log.info('health measures not available on this box', { absent });
  }

  private uptime(): Part {
    const file = join(this.paths.proc, 'uptime');
    return { uptimeSeconds: parsed(parseUptime(readProcRequired(file)), file) };
  }

  private cpuLoad(): Part {
    const file = join(this.paths.proc, 'stat');
    const times = parsed(parseProcStat(readProcRequired(file)), file);
    const before = this.lastCpu;
    this.lastCpu = times;
    // Null also when no clock tick passed since the last sample: nothing to divide by.
    const load = before === null ? null : cpuLoadPercent(before, times);
    return load === null ? {} : { cpuLoadPercent: load };
  }

  private memory(): Part {
    const file = join(this.paths.proc, 'meminfo');
    const mem = parsed(parseMeminfo(readProcRequired(file)), file);
    const total = { memTotalBytes: mem.totalBytes };
    return mem.availableBytes === null ? total : { ...total, memUsedBytes: mem.totalBytes - mem.availableBytes };
  }

  private async temperature(): Promise<Part> {
    if (this.thermalFile === null) this.thermalFile = await this.findThermalFile();
    const file = this.thermalFile;
    if (file === null) return {};
    try {
      return { tempC: parsed(parseMilliCelsius(await readRequired(file)), file) };
    } catch (err) {
      // Choose again next time: the zone may have gone with its driver.
      this.thermalFile = null;
      throw err;
    }
  }

  private async findThermalFile(): Promise<string | null> {
    const dir = join(this.paths.sys, 'class/thermal');
    const zones = await numberedEntries(dir, 'thermal_zone');
    if (zones === null) return null;
    const types = await Promise.all(zones.map(async (z) => ((await readIfPresent(join(dir, z, 'type'))) ?? '').trim()));
    const chosen = pickThermalZone(types);
    const zone = chosen === null ? undefined : zones[chosen];
    return zone === undefined ? null : join(dir, zone, 'temp');
  }

  /** The interface, then its signal: a Wi-Fi problem must not lose the interface. */
  private async network(): Promise<Part> {
    const net = await this.measure('interface', () => this.defaultInterface());
    const iface = net.netInterface;
    if (iface === undefined) return net;
    return { ...net, ...(await this.measure('wifi', () => this.wifiSignal(iface))) };
  }

  private defaultInterface(): Part {
    const v4 = readProcIfPresent(join(this.paths.proc, 'net/route'));
    const iface = (v4 === null ? null : defaultRouteInterface(v4)) ?? this.defaultInterface6();
    // No default route: the box is offline or on a network without one, not a failure of the probe.
    return iface === null ? {} : { netInterface: iface };
  }

  private defaultInterface6(): string | null {
    const v6 = readProcIfPresent(join(this.paths.proc, 'net/ipv6_route'));
    return v6 === null ? null : defaultRoute6Interface(v6);
  }

  private wifiSignal(iface: string): Part {
    // Absent on a kernel without wireless extensions; an interface not listed is not wireless.
    const text = readProcIfPresent(join(this.paths.proc, 'net/wireless'));
    const dbm = text === null ? null : wirelessSignalDbm(text, iface);
    return dbm === null ? {} : { wifiSignalDbm: dbm };
  }
}

async function freeBytes(dir: string): Promise<number> {
  const fs = await statfs(dir);
  return fs.bavail * fs.bsize;
}
