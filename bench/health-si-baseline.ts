import * as si from 'systeminformation';
import type { Health } from '../common/protocol.js';
import type { HealthDirs, HealthProbe } from '../device/health/probe.js';

/**
 * The benchmark's baseline: the same measures gathered with
 * systeminformation's obvious calls, the way a first version of the probe
 * would. The only file that calls systeminformation (STYLE.md #5); the box
 * itself does not load it.
 */
export class SystemInformationProbe implements HealthProbe {
  constructor(private readonly dirs: HealthDirs) {}

  async sample(): Promise<Health> {
    const started = performance.now();
    const [load, mem, filesystems, ifaces, wifi, temp] = await Promise.all([
      si.currentLoad(),
      si.mem(),
      si.fsSize(),
      si.networkInterfaces(),
      si.wifiConnections(),
      si.cpuTemperature(),
    ]);
    const time = si.time();
    const iface = ifaces.find((i) => i.default)?.iface;
    const signal = wifi.find((w) => w.iface === iface)?.signalLevel;
    const freeUnder = (dir: string): number | undefined =>
      filesystems.filter((f) => dir === f.mount || dir.startsWith(f.mount.endsWith('/') ? f.mount : `${f.mount}/`)).sort((a, b) => b.mount.length - a.mount.length)[0]?.available;
    const data = freeUnder(this.dirs.dataDir);
    const record = this.dirs.recordDir === null ? undefined : freeUnder(this.dirs.recordDir);
    return {
      at: new Date().toISOString(),
      uptimeSeconds: time.uptime,
      cpuLoadPercent: Math.round(load.currentLoad * 10) / 10,
      memUsedBytes: mem.active,
      memTotalBytes: mem.total,
      ...(temp.main === null ? {} : { tempC: temp.main }),
      ...(data === undefined ? {} : { dataFreeBytes: data }),
      ...(record === undefined ? {} : { recordFreeBytes: record }),
      ...(iface === undefined ? {} : { netInterface: iface }),
      ...(signal === undefined ? {} : { wifiSignalDbm: signal }),
      probeMs: Math.round((performance.now() - started) * 100) / 100,
    };
  }
}
