import type { Health } from '../common/protocol.js';

/** A plausible health sample of a live Pi (about 400 bytes of JSON), varied by `n` so rows differ. */
export function simulatedHealth(n: number, at: string): Health {
  return {
    at,
    phase: 'live',
    uptimeSeconds: 3600 + n,
    cpuLoadPercent: 20 + (n % 50),
    tempC: 55 + (n % 20) / 2,
    memUsedBytes: 400_000_000,
    memTotalBytes: 1_000_000_000,
    dataFreeBytes: 20_000_000_000,
    recordFreeBytes: 20_000_000_000,
    netInterface: 'wlan0',
    wifiSignalDbm: -60,
    underVoltageNow: false,
    underVoltageOccurred: false,
    throttledNow: false,
    throttledOccurred: false,
    probeMs: 12,
  };
}
