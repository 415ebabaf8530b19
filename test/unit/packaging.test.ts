import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { loadConfig } from '../../common/config/load.js';
import { PACKAGE_OF } from '../../device/pipeline/plan.js';

/** dist/test/unit/ -> the repository root. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const read = (name: string): string => readFileSync(join(ROOT, name), 'utf8');

/**
 * The service fields balena's supervisor supports in compose files (format
 * 2.4), from docs.balena.io/reference/supervisor/docker-compose: anything
 * else is dropped silently on the device, so it must not be relied on.
 */
const BALENA_SERVICE_FIELDS = new Set([
  'build', 'cap_add', 'cap_drop', 'cgroup_parent', 'command', 'cpu_shares', 'cpu_quota', 'cpuset', 'devices', 'depends_on', 'dns', 'dns_opt',
  'dns_search', 'domainname', 'entrypoint', 'environment', 'expose', 'extra_hosts', 'group_add', 'healthcheck', 'hostname', 'image', 'ipc',
  'labels', 'mac_address', 'mem_limit', 'mem_reservation', 'network_mode', 'networks', 'oom_kill_disable', 'oom_score_adj', 'pid', 'pids_limit',
  'ports', 'privileged', 'read_only', 'restart', 'security_opt', 'shm_size', 'stop_grace_period', 'stop_signal', 'sysctls', 'tmpfs', 'ulimits',
  'user', 'userns_mode', 'volumes', 'working_dir',
]);
const BALENA_BUILD_FIELDS = new Set(['context', 'dockerfile', 'args', 'cache_from', 'extra_hosts', 'labels', 'shm_size', 'target']);
/** balena device type slugs of the boards the box supports (docs.balena.io/reference/hardware/devices). */
const DEVICE_TYPES = new Set(['raspberrypi3', 'raspberrypi4-64', 'raspberrypi5', 'raspberrypi0-2w-64']);

interface Compose {
  version: string;
  services: Record<string, Record<string, unknown> & { build?: Record<string, unknown>; environment?: Record<string, string>; volumes?: string[]; labels?: Record<string, string> }>;
  volumes?: Record<string, unknown>;
}

describe('docker-compose.yml (what balena runs on a box)', () => {
  const compose = parse(read('docker-compose.yml')) as Compose;
  const agent = compose.services['agent'];

  it('is format 2.4 with only fields balena supports', () => {
    assert.equal(compose.version, '2.4');
    for (const [name, service] of Object.entries(compose.services)) {
      for (const field of Object.keys(service)) assert.ok(BALENA_SERVICE_FIELDS.has(field), `${name}.${field} is not supported by balena`);
      for (const field of Object.keys(service.build ?? {})) assert.ok(BALENA_BUILD_FIELDS.has(field), `${name}.build.${field}`);
    }
  });

  it('runs the agent privileged with udev, its data on a named volume', () => {
    assert.ok(agent);
    assert.equal(agent['privileged'], true);
    assert.equal(agent.environment?.['UDEV'], 'on');
    assert.deepEqual(agent.volumes, ['roomcast-data:/data']);
    assert.ok(compose.volumes && 'roomcast-data' in compose.volumes, 'a named volume, not a bind mount (balena has none)');
    assert.equal(agent.environment?.['ROOMCAST_DATA_DIR'], '/data');
  });

  it('asks only for the balena features the agent uses', () => {
    assert.deepEqual(Object.keys(agent?.labels ?? {}), ['io.balena.features.supervisor-api']);
    // The supervisor API is used: the agent polls it for update_pending.
    assert.match(read('cli/device.ts'), /BALENA_SUPERVISOR_ADDRESS/);
  });

  it('has the captive-portal Wi-Fi setup (balena\'s wifi-connect block), with what that block needs and its build context present', () => {
    const wifi = compose.services['wifi-connect'];
    assert.ok(wifi);
    assert.equal(wifi['network_mode'], 'host');
    assert.deepEqual(Object.keys(wifi.labels ?? {}).sort(), ['io.balena.features.dbus', 'io.balena.features.firmware']);
    assert.ok(existsSync(join(ROOT, String(wifi.build?.['context']), 'Dockerfile.template')));
    for (const service of Object.values(compose.services)) if (service.build) assert.ok(existsSync(join(ROOT, String(service.build['context']))), 'a build context is missing');
  });

  it('sets only variables the box\'s schema knows, with valid values', () => {
    const env = agent?.environment ?? {};
    const loaded = loadConfig(env);
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.error.message);
    if (loaded.ok) assert.deepEqual(loaded.warnings, []);
  });
});

describe('balena.yml (the fleet manifest)', () => {
  const manifest = parse(read('balena.yml')) as { name: string; type: string; version: string; data: { defaultDeviceType: string; supportedDeviceTypes: string[]; applicationEnvironmentVariables: Record<string, string>[] } };

  it('names the application, its release version (package.json\'s) and the supported boards', () => {
    assert.equal(manifest.name, 'roomcast');
    assert.equal(manifest.type, 'sw.application');
    assert.equal(manifest.version, (JSON.parse(read('package.json')) as { version: string }).version);
    assert.deepEqual(new Set(manifest.data.supportedDeviceTypes), DEVICE_TYPES);
    assert.ok(manifest.data.supportedDeviceTypes.includes(manifest.data.defaultDeviceType));
  });

  it('gives fleet variables the box accepts, and none that would go live or stream anywhere by itself', () => {
    const env = Object.assign({}, ...manifest.data.applicationEnvironmentVariables) as Record<string, string>;
    const loaded = loadConfig(env);
    assert.ok(loaded.ok, loaded.ok ? '' : loaded.error.message);
    if (loaded.ok) {
      assert.deepEqual(loaded.warnings, []);
      assert.equal(loaded.config.autostart, false);
      assert.deepEqual(loaded.config.destinations, []);
    }
  });
});

describe('Dockerfiles', () => {
  const ignored = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  for (const file of ['Dockerfile', 'Dockerfile.fleet']) {
    const text = read(file);
    it(`${file}: every COPY source exists and is not excluded by .dockerignore`, () => {
      const sources = [...text.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => (m[1] ?? '').split(/\s+/));
      assert.ok(sources.length >= 5, sources.join(' '));
      for (const source of sources) {
        assert.ok(existsSync(join(ROOT, source)), `${file}: COPY ${source} does not exist`);
        assert.ok(!ignored.includes(source), `${file}: COPY ${source} is excluded by .dockerignore`);
      }
    });
    it(`${file}: multi-stage, Debian bookworm with Node 20, a HEALTHCHECK and a roomcast CMD`, () => {
      assert.equal([...text.matchAll(/^FROM node:20-bookworm/gm)].length, 2);
      assert.match(text, /^HEALTHCHECK /m);
      assert.match(text, /^CMD \["node", "dist\/cli\/main\.js", "(device|fleet)"\]$/m);
    });
  }
  // Every package the planner may name for a missing element; setup.sh leaves out only libcamera (no Pi camera here).
  const planned = [...new Set(Object.values(PACKAGE_OF))];
  it('the box image has the GStreamer plugins the pipelines use, libcamera included', () => {
    const text = read('Dockerfile');
    for (const pkg of [...planned, 'gstreamer1.0-libav']) assert.match(text, new RegExp(`\\s${pkg.replaceAll('.', '\\.')}\\s`), pkg);
  });
  it('the box image honours UDEV=on itself: udev installed, CMD run through the udev entrypoint it copies in', () => {
    const text = read('Dockerfile');
    assert.match(text, /\sudev\s/);
    const entry = /^ENTRYPOINT \["(\S+)"\]$/m.exec(text)?.[1];
    assert.ok(entry, 'no ENTRYPOINT');
    const source = new RegExp(`^COPY (\\S+) ${entry.replaceAll('.', '\\.')}$`, 'm').exec(text)?.[1];
    assert.ok(source && existsSync(join(ROOT, source)), `${entry} is not copied from the repository`);
    assert.equal(statSync(join(ROOT, source)).mode & 0o111, 0o111, `${source} is not executable`);
    assert.match(read(source), /^exec "\$@"$/m, 'the entrypoint must become the CMD');
  });
  it('the box image takes libcamera, its GStreamer element, rpicam-apps and vcgencmd from Raspberry Pi\'s signed archive, GStreamer from Debian', () => {
    const text = read('Dockerfile');
    const keyring = /^ADD https:\/\/archive\.raspberrypi\.com\/debian\/raspberrypi\.gpg\.key (\/usr\/share\/keyrings\/\S+\.asc)$/m.exec(text)?.[1];
    assert.ok(keyring, 'the archive key, fetched at build time into /usr/share/keyrings (armoured: .asc)');
    assert.ok(text.includes(`"deb [signed-by=${keyring}] http://archive.raspberrypi.com/debian bookworm main"`), 'the archive, trusted with that key only');
    for (const pkg of ['libcamera-ipa', 'gstreamer1.0-libcamera', 'rpicam-apps-lite', 'raspi-utils']) assert.match(text, new RegExp(`\\s${pkg.replaceAll('.', '\\.')}\\s`), pkg);
    // apt takes the first record matching a package: RPi's gstreamer1.0-libcamera, no other GStreamer package from RPi.
    const records = read('container/raspberrypi.pref').split(/\n\s*\n/).filter((r) => /^Package:/m.test(r));
    assert.deepEqual(
      records.map((r) => [/^Package: (.+)$/m.exec(r)?.[1], /^Pin: (.+)$/m.exec(r)?.[1], /^Pin-Priority: (.+)$/m.exec(r)?.[1]]),
      [
        ['gstreamer1.0-libcamera', 'origin archive.raspberrypi.com', '900'],
        ['gstreamer1.0-* libgstreamer* gir1.2-gst-*', 'origin archive.raspberrypi.com', '-1'],
      ],
    );
    assert.match(text, /^COPY container\/raspberrypi\.pref \/etc\/apt\/preferences\.d\/\S+$/m);
  });
  it('setup.sh installs the GStreamer plugins the pipelines use on this machine', () => {
    const text = read('scripts/setup.sh');
    for (const pkg of planned.filter((p) => p !== 'gstreamer1.0-libcamera')) assert.match(text, new RegExp(`\\s${pkg.replaceAll('.', '\\.')}\\s`), pkg);
  });
});
