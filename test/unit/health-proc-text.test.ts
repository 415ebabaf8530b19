import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
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
} from '../../device/health/proc-text.js';

describe('/proc/stat and the CPU load', () => {
  const stat = (user: number, idle: number, iowait: number, guest = 0): string =>
    `cpu  ${user} 0 100 ${idle} ${iowait} 10 5 0 ${guest} 0\ncpu0 1 2 3 4 5 6 7 8 9 10\nintr 12345\n`;

  it('sums user to steal, counting iowait as idle and guest not twice', () => {
    assert.deepEqual(parseProcStat(stat(1000, 5000, 200, 300)), { total: 1000 + 100 + 5000 + 200 + 10 + 5, idle: 5200 });
  });

  it('reads an old kernel\'s shorter line', () => {
    assert.deepEqual(parseProcStat('cpu 10 0 10 80\n'), { total: 100, idle: 80 });
  });

  it('refuses text that is not /proc/stat', () => {
    for (const bad of ['', 'cpu0 1 2 3 4 5\n', 'cpu a b c d\n', 'intr 1 2 3 4 5\n', 'cpu 1 2 -3 4\n']) assert.equal(parseProcStat(bad), null, JSON.stringify(bad));
  });

  it('gives the busy share between two readings', () => {
    assert.equal(cpuLoadPercent({ total: 1000, idle: 800 }, { total: 1400, idle: 1100 }), 25);
    assert.equal(cpuLoadPercent({ total: 0, idle: 0 }, { total: 3, idle: 2 }), 33.3);
    assert.equal(cpuLoadPercent({ total: 10, idle: 10 }, { total: 20, idle: 10 }), 100);
  });

  it('gives nothing when no tick passed or the counters went backwards', () => {
    assert.equal(cpuLoadPercent({ total: 1000, idle: 800 }, { total: 1000, idle: 800 }), null);
    assert.equal(cpuLoadPercent({ total: 1000, idle: 800 }, { total: 900, idle: 700 }), null);
    assert.equal(cpuLoadPercent({ total: 1000, idle: 800 }, { total: 1100, idle: 700 }), null);
  });
});

describe('/proc/meminfo', () => {
  it('reads total and available in bytes', () => {
    const text = 'MemTotal:         437544 kB\nMemFree:           31232 kB\nMemAvailable:     201488 kB\nBuffers:           11000 kB\n';
    assert.deepEqual(parseMeminfo(text), { totalBytes: 437544 * 1024, availableBytes: 201488 * 1024 });
  });

  it('has no available figure on a kernel without MemAvailable', () => {
    assert.deepEqual(parseMeminfo('MemTotal: 1000 kB\nMemFree: 10 kB\n'), { totalBytes: 1024000, availableBytes: null });
  });

  it('refuses text without a total', () => {
    assert.equal(parseMeminfo('MemFree: 10 kB\n'), null);
    assert.equal(parseMeminfo(''), null);
    assert.equal(parseMeminfo('MemTotal: 0 kB\n'), null);
  });
});

describe('/proc/uptime', () => {
  it('reads the first number', () => {
    assert.equal(parseUptime('350735.47 234388.90\n'), 350735.47);
    assert.equal(parseUptime('12 34'), 12);
  });

  it('refuses garbage', () => {
    for (const bad of ['', 'up 3 days', '-5 4', 'NaN 1']) assert.equal(parseUptime(bad), null, JSON.stringify(bad));
  });
});

describe('the default route', () => {
  const HEADER = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n';

  it('is the IPv4 route to 0.0.0.0/0 with the lowest metric', () => {
    const text =
      HEADER +
      'eth0\t00000000\t0101A8C0\t0003\t0\t0\t202\t00000000\t0\t0\t0\n' +
      'wlan0\t00000000\t0101A8C0\t0003\t0\t0\t303\t00000000\t0\t0\t0\n' +
      'eth0\t0001A8C0\t00000000\t0001\t0\t0\t202\t00FFFFFF\t0\t0\t0\n';
    assert.equal(defaultRouteInterface(text), 'eth0');
    assert.equal(defaultRouteInterface(text.replace('\t202\t00000000', '\t404\t00000000')), 'wlan0');
  });

  it('skips routes that are down and routes with a mask', () => {
    const text = HEADER + 'eth0\t00000000\t0101A8C0\t0002\t0\t0\t0\t00000000\t0\t0\t0\n' + 'usb0\t00000000\t00000000\t0001\t0\t0\t0\t000000FF\t0\t0\t0\n';
    assert.equal(defaultRouteInterface(text), null);
  });

  it('is absent from a header alone or from garbage', () => {
    assert.equal(defaultRouteInterface(HEADER), null);
    assert.equal(defaultRouteInterface('garbage\n00000000 00000000\n'), null);
  });

  it('is found in /proc/net/ipv6_route, skipping the kernel\'s unreachable defaults on lo', () => {
    const zero = '0'.repeat(32);
    const text =
      `${zero} 00 ${zero} 00 ${zero} ffffffff 00000001 00000000 00200200       lo\n` +
      `${zero} 00 ${zero} 00 fe800000000000000000000000000001 00000400 00000001 00000000 00450003     eth0\n` +
      `fe800000000000000000000000000000 40 ${zero} 00 ${zero} 00000100 00000001 00000000 00000001     eth0\n`;
    assert.equal(defaultRoute6Interface(text), 'eth0');
    assert.equal(defaultRoute6Interface(text.split('\n')[0] ?? ''), null);
  });
});

describe('/proc/net/wireless', () => {
  const text =
    'Inter-| sta-|   Quality        |   Discarded packets               | Missed | WE\n' +
    ' face | tus | link level noise |  nwid  crypt   frag  retry   misc | beacon | 22\n' +
    ' wlan0: 0000   58.  -52.  -256        0      0      0      3     12        0\n' +
    ' wlan1: 0000    0     0     0        0      0      0      0      0        0\n';

  it('gives the level of the interface in dBm', () => {
    assert.equal(wirelessSignalDbm(text, 'wlan0'), -52);
  });

  it('gives nothing for an interface not listed or a level that is not dBm', () => {
    assert.equal(wirelessSignalDbm(text, 'eth0'), null);
    assert.equal(wirelessSignalDbm(text, 'wlan1'), null);
    assert.equal(wirelessSignalDbm(text, 'wlan'), null);
    assert.equal(wirelessSignalDbm(' wlan0: 0000   70.  190.  0   0 0 0 0 0   0\n', 'wlan0'), null);
    assert.equal(wirelessSignalDbm('', 'wlan0'), null);
  });
});

describe('thermal zones', () => {
  it('reads millidegrees to a tenth of a degree', () => {
    assert.equal(parseMilliCelsius('51540\n'), 51.5);
    assert.equal(parseMilliCelsius('-5000'), -5);
  });

  it('refuses garbage and values no CPU has', () => {
    for (const bad of ['', 'abc', '51.5', '-273150', '999999']) assert.equal(parseMilliCelsius(bad), null, JSON.stringify(bad));
  });

  it('picks the CPU\'s zone by type', () => {
    assert.equal(pickThermalZone(['cpu-thermal']), 0);
    assert.equal(pickThermalZone(['acpitz', 'x86_pkg_temp', 'iwlwifi_1']), 1);
    assert.equal(pickThermalZone(['acpitz', 'x86_pkg_temp', 'soc_thermal']), 2);
    assert.equal(pickThermalZone(['acpitz', 'iwlwifi_1']), 0);
    assert.equal(pickThermalZone([]), null);
  });
});
