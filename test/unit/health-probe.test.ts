import assert from 'node:assert/strict';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decodePayload, type Health } from '../../common/protocol.js';
import { hostPaths, type HostPaths } from '../../device/hardware/paths.js';
import { SystemHealthProbe, type SystemHealthProbeOptions } from '../../device/health/system-probe.js';
import { GET_THROTTLED_SYSFS, getThrottledCandidates } from '../../device/health/throttle-source.js';
import { sleep } from '../helpers/env.js';
import { writeScript, writeTree } from '../helpers/file-tree.js';
import { useTempDir } from '../helpers/fixture.js';
import { fixturePaths, type HostFixture } from '../helpers/host-fixtures.js';
import { LogLines } from '../helpers/log-lines.js';

const AT = new Date('2026-05-01T12:00:00.000Z');
const ROUTE_HEADER = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n';
const stat = (busy: number, idle: number): string => `cpu  ${busy} 0 0 ${idle} 0 0 0 0 0 0\ncpu0 ${busy} 0 0 ${idle} 0 0 0 0 0 0\n`;

/** A Raspberry Pi Zero 2 W on Wi-Fi, as its kernel shows itself in /proc and /sys. */
const PI_TREE: Record<string, string> = {
  'proc/uptime': '8123.45 30000.12\n',
  'proc/stat': stat(1000, 3000),
  'proc/meminfo': 'MemTotal:         437544 kB\nMemFree:           31232 kB\nMemAvailable:     201488 kB\n',
  'proc/net/route': ROUTE_HEADER + 'wlan0\t00000000\t0101A8C0\t0003\t0\t0\t303\t00000000\t0\t0\t0\nwlan0\t0001A8C0\t00000000\t0001\t0\t0\t303\t00FFFFFF\t0\t0\t0\n',
  'proc/net/wireless':
    'Inter-| sta-|   Quality        |   Discarded packets               | Missed | WE\n' +
    ' face | tus | link level noise |  nwid  crypt   frag  retry   misc | beacon | 22\n' +
    ' wlan0: 0000   58.  -52.  -256        0      0      0      3     12        0\n',
  'sys/class/thermal/thermal_zone0/type': 'cpu-thermal\n',
  'sys/class/thermal/thermal_zone0/temp': '51540\n',
  [`sys/${GET_THROTTLED_SYSFS}`]: '50005\n',
};

interface Box {
  root: string;
  paths: HostPaths;
  dataDir: string;
  recordDir: string;
  log: LogLines;
}

let boxes = 0;

/** A box whose /proc and /sys are `files` under a fresh folder of the suite's temp dir. */
async function box(base: string, files: Record<string, string>): Promise<Box> {
  const root = join(base, `box${++boxes}`);
  const dataDir = join(root, 'data');
  const recordDir = join(dataDir, 'recordings');
  await mkdir(recordDir, { recursive: true });
  await mkdir(join(root, 'proc'), { recursive: true });
  await mkdir(join(root, 'sys'), { recursive: true });
  await writeTree(root, files);
  return { root, paths: { sys: join(root, 'sys'), proc: join(root, 'proc'), dev: join(root, 'dev') }, dataDir, recordDir, log: new LogLines() };
}

function probeOf(b: Box, extra: Partial<SystemHealthProbeOptions> = {}): SystemHealthProbe {
  return new SystemHealthProbe({
    paths: b.paths,
    dirs: { dataDir: b.dataDir, recordDir: b.recordDir },
    log: b.log.logger,
    // Never this machine's vcgencmd: a test box has one only when the test writes it.
    vcgencmd: { command: join(b.root, 'bin/vcgencmd'), timeoutMs: 1000, path: '' },
    now: () => AT,
    ...extra,
  });
}

/** The sample without the measures whose value depends on this machine (free space, time taken). */
function stable(h: Health): Health {
  const rest = { ...h };
  delete rest.dataFreeBytes;
  delete rest.recordFreeBytes;
  delete rest.probeMs;
  return rest;
}

function assertDecodes(h: Health): void {
  const decoded = decodePayload('health', JSON.stringify(h));
  assert.ok(decoded.ok, decoded.ok ? '' : decoded.error);
  assert.deepEqual(decoded.value, h);
}

const PI_FLAGS = {
  underVoltageNow: true,
  underVoltageOccurred: true,
  freqCappedNow: false,
  freqCappedOccurred: false,
  throttledNow: true,
  throttledOccurred: true,
  softTempLimitNow: false,
  softTempLimitOccurred: false,
};

describe('the health probe on a Raspberry Pi tree', () => {
  const tmp = useTempDir('roomcast-health-');

  it('measures everything, the CPU load from the second sample on', async () => {
    const b = await box(tmp.dir, PI_TREE);
    const probe = probeOf(b);
    const first = await probe.sample();
    assert.deepEqual(stable(first), {
      at: AT.toISOString(),
      uptimeSeconds: 8123.45,
      memTotalBytes: 437544 * 1024,
      memUsedBytes: (437544 - 201488) * 1024,
      tempC: 51.5,
      netInterface: 'wlan0',
      wifiSignalDbm: -52,
      ...PI_FLAGS,
    });
    assert.ok(Number.isSafeInteger(first.dataFreeBytes) && (first.dataFreeBytes ?? 0) > 0);
    assert.ok(Number.isSafeInteger(first.recordFreeBytes) && (first.recordFreeBytes ?? 0) > 0);
    assert.ok(typeof first.probeMs === 'number' && first.probeMs >= 0);
    assertDecodes(first);

    // 300 busy and 100 idle ticks later: 75 %.
    await writeTree(b.root, { 'proc/stat': stat(1300, 3100) });
    const second = await probe.sample();
    assert.equal(second.cpuLoadPercent, 75);
    assertDecodes(second);
    assert.deepEqual(b.log.at('warn'), []);
    assert.deepEqual(b.log.at('info'), [], 'nothing is absent on a Pi');
  });

  it('gives no load when no clock tick passed between two samples, and measures again after', async () => {
    const b = await box(tmp.dir, PI_TREE);
    const probe = probeOf(b);
    await probe.sample();
    assert.equal((await probe.sample()).cpuLoadPercent, undefined);
    await writeTree(b.root, { 'proc/stat': stat(1100, 3300) });
    assert.equal((await probe.sample()).cpuLoadPercent, 25);
  });

  it('chooses the CPU\'s thermal zone among several', async () => {
    const b = await box(tmp.dir, {
      ...PI_TREE,
      'sys/class/thermal/thermal_zone0/type': 'acpitz\n',
      'sys/class/thermal/thermal_zone0/temp': '27800\n',
      'sys/class/thermal/thermal_zone2/type': 'x86_pkg_temp\n',
      'sys/class/thermal/thermal_zone2/temp': '64000\n',
      'sys/class/thermal/thermal_zone10/type': 'iwlwifi_1\n',
      'sys/class/thermal/thermal_zone10/temp': '40000\n',
    });
    assert.equal((await probeOf(b).sample()).tempC, 64);
  });

  it('reports the interface of an IPv6-only network', async () => {
    const zero = '0'.repeat(32);
    const b = await box(tmp.dir, {
      ...PI_TREE,
      'proc/net/route': ROUTE_HEADER,
      'proc/net/ipv6_route': `${zero} 00 ${zero} 00 fe800000000000000000000000000001 00000400 00000001 00000000 00450003     eth0\n`,
    });
    const h = await probeOf(b).sample();
    assert.equal(h.netInterface, 'eth0');
    assert.equal(h.wifiSignalDbm, undefined, 'eth0 is not in /proc/net/wireless');
  });

  it('leaves out what it cannot read and logs each failure once, and its recovery', async () => {
    const b = await box(tmp.dir, {
      ...PI_TREE,
      [`sys/${GET_THROTTLED_SYSFS}`]: 'garbage\n',
      'sys/class/thermal/thermal_zone0/temp': 'abc\n',
      'proc/meminfo': 'nothing here\n',
    });
    const probe = probeOf(b);
    const first = await probe.sample();
    await probe.sample();
    for (const key of ['tempC', 'memTotalBytes', 'memUsedBytes', 'underVoltageNow', 'throttledOccurred'] as const) assert.equal(first[key], undefined, key);
    assert.equal(first.uptimeSeconds, 8123.45);
    assert.equal(first.netInterface, 'wlan0');
    assertDecodes(first);
    const warned = b.log.at('warn').map((l) => l['measure']);
    assert.deepEqual(warned.sort(), ['memory', 'temperature', 'throttling'], 'once each over two samples');

    await writeTree(b.root, { [`sys/${GET_THROTTLED_SYSFS}`]: '0\n' });
    const recovered = await probe.sample();
    assert.equal(recovered.underVoltageNow, false);
    assert.deepEqual(b.log.at('info').filter((l) => l.msg === 'health measure recovered').map((l) => l['measure']), ['throttling']);
  });

  it('leaves out a record folder that does not exist, and takes none when the box does not record', async () => {
    const b = await box(tmp.dir, PI_TREE);
    await rm(b.recordDir, { recursive: true });
    const missing = await probeOf(b).sample();
    assert.equal(missing.recordFreeBytes, undefined);
    assert.ok((missing.dataFreeBytes ?? 0) > 0);
    assert.deepEqual(b.log.at('warn').map((l) => l['measure']), ['recordFree']);
    const none = await probeOf(b, { dirs: { dataDir: b.dataDir, recordDir: null } }).sample();
    assert.equal(none.recordFreeBytes, undefined);
  });
});

describe('the health probe on a Pi without the get_throttled sysfs file', () => {
  const tmp = useTempDir('roomcast-health-vc-');
  const noSysfs = Object.fromEntries(Object.entries(PI_TREE).filter(([path]) => path !== `sys/${GET_THROTTLED_SYSFS}`));

  it('asks vcgencmd get_throttled', async () => {
    const b = await box(tmp.dir, noSysfs);
    await writeScript(join(b.root, 'bin/vcgencmd'), 'echo "$@" >> "$0.calls"\necho "throttled=0x50005"');
    const h = await probeOf(b).sample();
    assert.deepEqual({ ...h, ...PI_FLAGS }, h);
    assert.equal(await readFile(join(b.root, 'bin/vcgencmd.calls'), 'utf8'), 'get_throttled\n');
  });

  it('finds vcgencmd in PATH', async () => {
    const b = await box(tmp.dir, noSysfs);
    await writeScript(join(b.root, 'bin/vcgencmd'), 'echo "throttled=0x0"');
    const h = await probeOf(b, { vcgencmd: { command: 'vcgencmd', timeoutMs: 1000, path: `${join(b.root, 'nothing')}:${join(b.root, 'bin')}` } }).sample();
    assert.equal(h.underVoltageOccurred, false);
  });

  it('gives up on a vcgencmd that hangs after its timeout, and the sample still comes', async () => {
    const b = await box(tmp.dir, noSysfs);
    await writeScript(join(b.root, 'bin/vcgencmd'), 'exec sleep 30');
    const started = Date.now();
    const h = await probeOf(b, { vcgencmd: { command: join(b.root, 'bin/vcgencmd'), timeoutMs: 200, path: '' } }).sample();
    assert.ok(Date.now() - started < 5000);
    assert.equal(h.underVoltageNow, undefined);
    assert.equal(h.uptimeSeconds, 8123.45);
    assert.ok((h.probeMs ?? 0) >= 200, 'probeMs shows what the wait cost');
    assert.match(String((b.log.at('warn')[0]?.['error'] as { message?: string } | undefined)?.message), /no answer within 200 ms/);
  });

  it('stops running a vcgencmd that fails three times in a row', async () => {
    const b = await box(tmp.dir, noSysfs);
    await writeScript(join(b.root, 'bin/vcgencmd'), 'echo x >> "$0.calls"\necho "VCHI initialization failed" >&2\nexit 1');
    const probe = probeOf(b);
    for (let i = 0; i < 5; i++) assert.equal((await probe.sample()).throttledNow, undefined);
    assert.equal(await readFile(join(b.root, 'bin/vcgencmd.calls'), 'utf8'), 'x\nx\nx\n');
  });
});

describe('the health probe on a bare tree', () => {
  const tmp = useTempDir('roomcast-health-bare-');

  it('still gives a sample from an empty /proc and /sys, and logs why', async () => {
    const b = await box(tmp.dir, {});
    const h = await probeOf(b).sample();
    assert.deepEqual(Object.keys(h).sort(), ['at', 'dataFreeBytes', 'probeMs', 'recordFreeBytes']);
    assertDecodes(h);
    assert.deepEqual(b.log.at('warn').map((l) => l['measure']).sort(), ['cpu', 'memory', 'uptime']);
  });

  it('gives what a container without thermal zones, Wi-Fi or firmware shows', async () => {
    const b = await box(tmp.dir, {
      'proc/uptime': PI_TREE['proc/uptime'] ?? '',
      'proc/stat': stat(10, 10),
      'proc/meminfo': PI_TREE['proc/meminfo'] ?? '',
      'proc/net/route': ROUTE_HEADER + 'eth0\t00000000\t010011AC\t0003\t0\t0\t0\t00000000\t0\t0\t0\n',
    });
    const h = await probeOf(b).sample();
    assert.deepEqual(Object.keys(stable(h)).sort(), ['at', 'memTotalBytes', 'memUsedBytes', 'netInterface', 'uptimeSeconds']);
    assert.deepEqual(b.log.at('warn'), []);
    const absent = b.log.at('info').find((l) => l.msg === 'health measures not available on this box')?.['absent'];
    assert.ok(Array.isArray(absent) && absent.includes('tempC') && absent.includes('wifiSignalDbm') && absent.includes('underVoltageNow'));
    assert.ok(!absent.includes('cpuLoadPercent'), 'the first sample cannot have it anywhere');
  });
});

describe('the health probe on this machine', () => {
  const tmp = useTempDir('roomcast-health-real-');

  it('measures what every Linux has, in values the protocol accepts', async () => {
    const log = new LogLines();
    const probe = new SystemHealthProbe({ paths: hostPaths({}), dirs: { dataDir: tmp.dir, recordDir: null }, log: log.logger });
    const first = await probe.sample();
    // Several clock ticks (10 ms each) on every core, so the second reading differs.
    await sleep(150);
    const second = await probe.sample();
    for (const h of [first, second]) {
      assert.ok((h.uptimeSeconds ?? 0) > 0);
      assert.ok((h.memTotalBytes ?? 0) > 0);
      assert.ok((h.memUsedBytes ?? -1) >= 0 && (h.memUsedBytes ?? 0) < (h.memTotalBytes ?? 0));
      assert.ok((h.dataFreeBytes ?? 0) > 0);
      assert.ok((h.probeMs ?? -1) >= 0);
      assertDecodes(h);
    }
    assert.equal(first.cpuLoadPercent, undefined);
    assert.ok(second.cpuLoadPercent !== undefined && second.cpuLoadPercent >= 0 && second.cpuLoadPercent <= 100);
    assert.deepEqual(log.at('warn'), []);
  });
});

describe('where get_throttled is on each Pi', () => {
  it('is under the SoC bus node: "soc" on Pi 0-4, "soc@107c000000" on Pi 5', () => {
    assert.deepEqual(getThrottledCandidates(['soc', 'axi', 'leds', 'regulatory.0']), [GET_THROTTLED_SYSFS]);
    assert.deepEqual(getThrottledCandidates(['axi', 'soc@107c000000', 'gpio-keys']), ['devices/platform/soc@107c000000/soc@107c000000:firmware/get_throttled']);
    assert.deepEqual(getThrottledCandidates(['serial8250', 'intel_pmc_core.0', 'socket-thing']), []);
  });
});

describe('the health probe on the fixture trees of real Pis', () => {
  const tmp = useTempDir('roomcast-health-fixtures-');
  const none = { underVoltageNow: false, underVoltageOccurred: false, freqCappedNow: false, freqCappedOccurred: false, throttledNow: false, throttledOccurred: false, softTempLimitNow: false, softTempLimitOccurred: false };
  const cases: [HostFixture, number, Partial<Health>][] = [
    // 0x80008: soft temperature limit now, and occurred (the answer to the hwmon driver's last 2 s poll).
    ['pi3-legacy-cam', 62.8, { softTempLimitNow: true, softTempLimitOccurred: true }],
    ['pi4-c920', 48.7, {}],
    // 0x50000: under-voltage and throttling happened, neither holds now; read from soc@107c000000:firmware.
    // Its rpi_volt hwmon (hwmon2, after cpu_thermal) shows the same under-voltage sticky bit.
    ['pi5-picam3', 55.1, { underVoltageOccurred: true, throttledOccurred: true }],
    // 0x50005: under-voltage and throttling, now and occurred.
    ['zero2w-i2s-mic', 51.5, { underVoltageNow: true, underVoltageOccurred: true, throttledNow: true, throttledOccurred: true }],
  ];
  for (const [board, tempC, flags] of cases) {
    it(`${board}: the CPU temperature and the firmware's throttling flags`, async () => {
      const log = new LogLines();
      const probe = new SystemHealthProbe({ paths: fixturePaths(board), dirs: { dataDir: tmp.dir, recordDir: null }, log: log.logger, vcgencmd: { command: join(tmp.dir, 'no-vcgencmd'), timeoutMs: 1000, path: '' } });
      const h = await probe.sample();
      assert.equal(h.tempC, tempC);
      assert.deepEqual(
        Object.fromEntries(Object.keys(none).map((k) => [k, h[k as keyof typeof none]])),
        { ...none, ...flags },
      );
      const failed = log.at('warn').map((l) => l['measure']);
      assert.ok(!failed.includes('temperature') && !failed.includes('throttling'), JSON.stringify(failed));
    });
  }
});
