import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { FLEET_SCHEMA, loadFleetConfig } from '../../fleet/config.js';
import { renderBrokerConfig } from '../../fleet/mosquitto/broker-config.js';

/** dist/test/unit/ -> the repository root. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const read = (name: string): string => readFileSync(join(ROOT, name), 'utf8');

/** Service fields of the Compose Specification (compose-spec.io, "Services top-level element") this file may use. */
const COMPOSE_SERVICE_FIELDS = new Set([
  'build', 'cap_add', 'cap_drop', 'command', 'container_name', 'depends_on', 'entrypoint', 'environment', 'env_file', 'expose', 'healthcheck',
  'image', 'labels', 'logging', 'networks', 'ports', 'profiles', 'read_only', 'restart', 'security_opt', 'stop_grace_period', 'stop_signal',
  'tmpfs', 'ulimits', 'user', 'volumes', 'working_dir',
]);
const COMPOSE_TOP_LEVEL = new Set(['name', 'services', 'networks', 'volumes', 'configs', 'secrets']);

interface Service {
  build?: { context: string; dockerfile?: string };
  environment?: Record<string, string>;
  volumes?: string[];
  profiles?: string[];
  [field: string]: unknown;
}
const compose = parse(read('docker-compose.fleet.yml')) as { services: Record<string, Service>; volumes?: Record<string, unknown> } & Record<string, unknown>;
const fleet = compose.services['fleet'];
const mosquitto = compose.services['mosquitto'];

/** `${NAME:-default}` as compose interpolates it from `vars`. */
function interpolate(env: Record<string, string>, vars: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replace(/\$\{(\w+):-([^}]*)\}/g, (_, name: string, fallback: string) => vars[name] ?? fallback)]));
}

/** The `KEY=value` lines the file's header comment gives for the Mosquitto profile, <public-host> filled in. */
const mosquittoVars = Object.fromEntries(
  [...read('docker-compose.fleet.yml').matchAll(/^#\s+(ROOMCAST_\w+)=(\S+)$/gm)].map((m) => [m[1] ?? '', (m[2] ?? '').replace('<public-host>', 'fleet.example.org')]),
);

/** What mosquitto/mosquitto.conf holds: the fleet's own certificate and files, from the fleet's volume. */
const COMPOSE_BROKER = {
  tls: { port: 8883, bindAddress: '0.0.0.0', cafile: '/data/fleet/tls/ca.pem', certfile: '/data/fleet/tls/server.pem', keyfile: '/data/fleet/tls/server.key' },
  service: { port: 1884, bindAddress: '0.0.0.0' },
  passwordFile: '/data/fleet/mosquitto/passwords',
  aclFile: '/data/fleet/mosquitto/acl',
  persistenceDir: '/mosquitto/data',
};

describe('docker-compose.fleet.yml (the fleet service, optionally with Mosquitto)', () => {
  it('uses only Compose Specification fields, and build contexts and Dockerfiles that exist', () => {
    for (const key of Object.keys(compose)) assert.ok(COMPOSE_TOP_LEVEL.has(key), `top-level ${key}`);
    for (const [name, service] of Object.entries(compose.services)) {
      for (const field of Object.keys(service)) assert.ok(COMPOSE_SERVICE_FIELDS.has(field), `${name}.${field} is not a compose field`);
      assert.ok(service.build, `${name} has no build`);
      assert.ok(existsSync(join(ROOT, service.build.context, service.build.dockerfile ?? 'Dockerfile')), `${name}: no Dockerfile`);
    }
  });

  it('keeps data in named volumes only', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0] ?? '';
        assert.ok(compose.volumes && source in compose.volumes, `${name}: ${volume} is not a named volume`);
      }
    }
  });

  for (const [label, vars] of [['embedded broker (no variables set)', {}], ['--profile mosquitto with the header\'s variables', mosquittoVars]] as const) {
    it(`sets only variables of the fleet's schema, which load (${label})`, () => {
      const known = new Set<string>(Object.values(FLEET_SCHEMA).map((s) => s.env));
      const env = interpolate(fleet?.environment ?? {}, vars);
      for (const name of Object.keys(env)) assert.ok(known.has(name), `${name} is not in FLEET_SCHEMA: the fleet would ignore it`);
      const loaded = loadFleetConfig(env);
      assert.ok(loaded.ok, loaded.ok ? '' : loaded.error.message);
    });
  }

  it('the header\'s Mosquitto variables point the fleet at the mosquitto service, and boxes at its published TLS port', () => {
    assert.equal(mosquittoVars['COMPOSE_PROFILES'], undefined, 'COMPOSE_PROFILES is not a fleet variable');
    assert.deepEqual(mosquitto?.profiles, ['mosquitto']);
    const env = interpolate(fleet?.environment ?? {}, mosquittoVars);
    assert.equal(env['ROOMCAST_FLEET_MQTT_URL'], 'mqtt://mosquitto:1884');
    assert.match(env['ROOMCAST_FLEET_BOX_MQTT_URL'] ?? '', /^mqtts:\/\/fleet\.example\.org:8884$/);
    assert.deepEqual(mosquitto?.['ports'], ['8884:8883']);
    assert.match(read('docker-compose.fleet.yml'), /^#\s+COMPOSE_PROFILES=mosquitto$/m);
  });

  it('runs the fleet unprivileged, and Mosquitto as the fleet\'s uid, reading the fleet\'s volume', () => {
    for (const field of ['privileged', 'cap_add', 'user', 'pid', 'network_mode']) assert.equal(fleet?.[field], undefined, `fleet.${field}`);
    const dir = fleet?.environment?.['ROOMCAST_FLEET_MOSQUITTO_DIR'];
    assert.equal(mosquitto?.environment?.['ROOMCAST_FLEET_MOSQUITTO_DIR'], dir);
    const dataVolume = fleet?.volumes?.find((v) => v.endsWith(':/data/fleet'));
    assert.ok(dataVolume && mosquitto?.volumes?.includes(`${dataVolume}:ro`), 'Mosquitto reads the fleet\'s volume at the same path, read-only');
    assert.ok(dir?.startsWith('/data/fleet/'));
    const fleetUser = /^USER (\d+):(\d+)$/m.exec(read('Dockerfile.fleet'));
    assert.ok(fleetUser, 'Dockerfile.fleet: USER uid:gid, numeric');
    assert.notEqual(fleetUser[1], '0');
    assert.match(read('Dockerfile.fleet'), new RegExp(`--uid ${fleetUser[1]} --gid ${fleetUser[2]} `));
    assert.match(read('mosquitto/Dockerfile'), new RegExp(`^USER ${fleetUser[1]}:${fleetUser[2]}$`, 'm'), 'Mosquitto must run as the owner of the 0600 files the fleet writes');
  });

  it('mosquitto/: every COPY source exists, the entrypoint is executable, the config is renderBrokerConfig\'s', () => {
    const dockerfile = read('mosquitto/Dockerfile');
    const sources = [...dockerfile.matchAll(/^COPY (\S+) \S+$/gm)].map((m) => m[1] ?? '');
    assert.deepEqual(sources.sort(), ['mosquitto.conf', 'reload-on-change.sh']);
    assert.equal(statSync(join(ROOT, 'mosquitto', 'reload-on-change.sh')).mode & 0o111, 0o111);
    assert.equal(read('mosquitto/mosquitto.conf'), renderBrokerConfig(COMPOSE_BROKER), 'regenerate mosquitto/mosquitto.conf with renderBrokerConfig(COMPOSE_BROKER)');
    assert.ok(COMPOSE_BROKER.passwordFile.startsWith(`${fleet?.environment?.['ROOMCAST_FLEET_MOSQUITTO_DIR'] ?? '?'}/`));
  });
});
