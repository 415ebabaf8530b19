/**
 * Pure parsers of the /proc and /sys texts the health probe reads. Each
 * returns null for text it does not understand, never throws.
 */

/** Aggregate CPU time from /proc/stat, in clock ticks (all cores together). */
export interface CpuTimes {
  total: number;
  idle: number;
}

/**
 * The first line of /proc/stat: "cpu user nice system idle iowait irq softirq
 * steal guest guest_nice". guest and guest_nice are already inside user and
 * nice, so they are not added again; iowait counts as idle (the CPU was free).
 */
export function parseProcStat(text: string): CpuTimes | null {
  const line = text.split('\n', 1)[0] ?? '';
  const fields = line.trim().split(/\s+/);
  if (fields[0] !== 'cpu' || fields.length < 5) return null;
  const ticks = fields.slice(1, 9).map(Number);
  if (!ticks.every((t) => Number.isSafeInteger(t) && t >= 0)) return null;
  const total = ticks.reduce((a, t) => a + t, 0);
  return { total, idle: (ticks[3] ?? 0) + (ticks[4] ?? 0) };
}

/**
 * The share of CPU time spent busy between two readings, 0 to 100 (all cores
 * together, so 50 on a 4-core Pi is two cores' worth). Null when no time
 * passed or the counters went backwards.
 */
export function cpuLoadPercent(before: CpuTimes, after: CpuTimes): number | null {
  const total = after.total - before.total;
  const idle = after.idle - before.idle;
  if (total <= 0 || idle < 0 || idle > total) return null;
  return round1((100 * (total - idle)) / total);
}

export interface Meminfo {
  totalBytes: number;
  /** The kernel's estimate of what can be allocated without swapping (MemAvailable); null on kernels before 3.14. */
  availableBytes: number | null;
}

/** /proc/meminfo: "MemTotal:  512000 kB" lines. */
export function parseMeminfo(text: string): Meminfo | null {
  const kb = (key: string): number | null => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(text);
    return m?.[1] === undefined ? null : Number(m[1]) * 1024;
  };
  const totalBytes = kb('MemTotal');
  if (totalBytes === null || totalBytes <= 0) return null;
  const availableBytes = kb('MemAvailable');
  return { totalBytes, availableBytes: availableBytes !== null && availableBytes <= totalBytes ? availableBytes : null };
}

/** /proc/uptime: "12345.67 23456.78" (seconds up, seconds idle summed over cores). */
export function parseUptime(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s/.exec(text.trim() + ' ');
  return m?.[1] === undefined ? null : Number(m[1]);
}

const RTF_UP = 0x1;
const RTF_REJECT = 0x200;
/** Interface names as the kernel allows them (IFNAMSIZ 16 with the NUL) and the protocol accepts. */
const IFACE_NAME = /^[A-Za-z0-9_.:-]{1,15}$/;

interface Candidate {
  iface: string;
  metric: number;
}

function lowestMetric(candidates: Candidate[]): string | null {
  const best = candidates.filter((c) => IFACE_NAME.test(c.iface)).sort((a, b) => a.metric - b.metric)[0];
  return best?.iface ?? null;
}

/**
 * The interface of the IPv4 default route in /proc/net/route (columns: Iface
 * Destination Gateway Flags RefCnt Use Metric Mask ...): destination and mask
 * 0, route up; the lowest metric wins, as in the kernel's choice.
 */
export function defaultRouteInterface(text: string): string | null {
  const candidates = text
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length >= 8 && f[1] === '00000000' && f[7] === '00000000' && (Number.parseInt(f[3] ?? '', 16) & RTF_UP) !== 0)
    .map((f) => ({ iface: f[0] ?? '', metric: Number.parseInt(f[6] ?? '', 10) }));
  return lowestMetric(candidates);
}

/**
 * The interface of the IPv6 default route in /proc/net/ipv6_route (no header;
 * dest, prefix length, src, src length, next hop, metric, refcnt, use, flags,
 * iface; numbers in hex), for a box on an IPv6-only network. The kernel's
 * "unreachable" defaults on lo carry RTF_REJECT and are skipped.
 */
export function defaultRoute6Interface(text: string): string | null {
  const candidates = text
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => {
      if (f.length < 10 || !/^0{32}$/.test(f[0] ?? '') || f[1] !== '00') return false;
      const flags = Number.parseInt(f[8] ?? '', 16);
      return (flags & RTF_UP) !== 0 && (flags & RTF_REJECT) === 0;
    })
    .map((f) => ({ iface: f[9] ?? '', metric: Number.parseInt(f[5] ?? '', 16) }));
  return lowestMetric(candidates);
}

/**
 * The signal level of `iface` in /proc/net/wireless, in dBm:
 *   " wlan0: 0000   70.  -40.  -256   0 0 0 0 0   0"
 * (status, link quality, level, noise, ...). cfg80211 drivers such as the
 * Pi's brcmfmac report the level in dBm; a level outside -150..-1 is not
 * dBm (an older driver's relative scale, or 0 while not associated): null.
 */
export function wirelessSignalDbm(text: string, iface: string): number | null {
  for (const line of text.split('\n')) {
    const m = /^\s*([^\s:]+):\s+[0-9a-f]+\s+(-?\d+)\.?\s+(-?\d+)\.?\s/i.exec(line);
    if (m?.[1] !== iface) continue;
    const level = Number(m[3]);
    return level < 0 && level >= -150 ? level : null;
  }
  return null;
}

/**
 * A thermal zone's temp file: millidegrees Celsius. Null outside -60..200 °C,
 * which some drivers report when a sensor is absent or not ready.
 */
export function parseMilliCelsius(text: string): number | null {
  const t = text.trim();
  if (!/^-?\d+$/.test(t)) return null;
  const c = Number(t) / 1000;
  return c >= -60 && c <= 200 ? round1(c) : null;
}

/**
 * Which thermal zone measures the CPU, by its type: cpu-thermal on a Pi
 * (the SoC's only sensor), x86_pkg_temp on a PC, else the first zone.
 * Returns an index into `types`, or null when there is none.
 */
export function pickThermalZone(types: readonly string[]): number | null {
  const preferred = [/cpu|soc/i, /x86_pkg_temp/i];
  for (const pattern of preferred) {
    const i = types.findIndex((t) => pattern.test(t));
    if (i >= 0) return i;
  }
  return types.length > 0 ? 0 : null;
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
