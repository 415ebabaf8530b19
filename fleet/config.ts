import { parseVariables, type ConfigError, type Env } from '../common/config/load.js';
import { boolean, directory, integer, optionalDirectory, optionalSecret, multiaddrList, optionalUrl, tcpMultiaddr, type VariableSpec } from '../common/config/schema.js';

/**
 * The fleet service's own variables (`roomcast fleet`), in the same form as
 * the box's schema: one table gives names, defaults, docs and parsers.
 */

function url(protocols: string[], example: string) {
  // Kept as written: credentials in it are the point (an external broker's, PostgreSQL's).
  return (raw: string): string | null => (optionalUrl(raw, protocols, example) === null ? null : raw.trim());
}

function host(raw: string): string {
  const v = raw.trim();
  if (!/^[A-Za-z0-9.:-]{1,253}$/.test(v)) throw new Error(`"${v}" is not an address to listen on, like 0.0.0.0 or 127.0.0.1`);
  return v;
}

/** A balena API key (32 characters) or session token (a JWT); never echoed. */
function balenaToken(raw: string): string | null {
  const v = raw.trim();
  if (v === '') return null;
  if (!/^[A-Za-z0-9_\-.~+/=]{16,4096}$/.test(v)) throw new Error('is not a balena API key or session token (16 to 4096 letters, digits or -._~+/=)');
  return v;
}

/** A fleet's slug ("myorg/roomcast") or numeric id, as balena-sdk takes either. */
function balenaFleet(raw: string): string | number | null {
  const v = raw.trim();
  if (v === '') return null;
  if (/^[1-9]\d{0,15}$/.test(v)) return Number(v);
  if (/^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/.test(v)) return v;
  throw new Error(`"${v}" is not a balena fleet slug like myorg/roomcast, nor a fleet id like 1234567`);
}

function baseUrl(raw: string): string {
  const parsed = optionalUrl(raw, ['http:', 'https:'], 'https://api.balena-cloud.com');
  if (parsed === null) throw new Error('is required');
  if (parsed.username !== '' || parsed.password !== '') throw new Error('must not hold a user name or password');
  return parsed.origin + parsed.pathname.replace(/\/+$/, '');
}

function variable<T>(spec: VariableSpec<T>): VariableSpec<T> {
  return spec;
}

export const FLEET_SCHEMA = {
  dataDir: variable({
    env: 'ROOMCAST_FLEET_DATA_DIR',
    default: '/data/fleet',
    values: 'absolute path',
    doc: 'Where the fleet service keeps its SQLite database, its TLS certificates and (with an external Mosquitto) the broker files it writes.',
    parse: directory,
  }),
  listenHost: variable({
    env: 'ROOMCAST_FLEET_LISTEN_HOST',
    default: '0.0.0.0',
    values: 'an address',
    doc: 'The address the HTTP API and the embedded broker listen on.',
    parse: host,
  }),
  httpPort: variable({
    env: 'ROOMCAST_FLEET_HTTP_PORT',
    default: '8080',
    values: '0..65535',
    doc: 'Port of the HTTP API, enrolment and the dashboard (0: any free port, logged).',
    parse: integer(0, 65535),
  }),
  mqttPort: variable({
    env: 'ROOMCAST_FLEET_MQTT_PORT',
    default: '1883',
    values: '0..65535',
    doc: 'Port of the embedded broker (plain MQTT; 0: any free port).',
    parse: integer(0, 65535),
  }),
  mqttsPort: variable({
    env: 'ROOMCAST_FLEET_MQTTS_PORT',
    default: '8883',
    values: '0..65535',
    doc: 'Port of the embedded broker over TLS, with a certificate from the fleet\'s own CA; boxes are given this one.',
    parse: integer(0, 65535),
  }),
  mqttUrl: variable({
    env: 'ROOMCAST_FLEET_MQTT_URL',
    default: undefined,
    values: 'mqtt://user:password@host:port, mqtts://...',
    doc: 'An external broker (Mosquitto; EMQX for clusters) instead of the embedded one. See docs/mosquitto.md for the password and ACL files the service writes for it.',
    parse: url(['mqtt:', 'mqtts:'], 'mqtt://roomcast-fleet:secret@127.0.0.1:1883'),
  }),
  boxMqttUrl: variable({
    env: 'ROOMCAST_FLEET_BOX_MQTT_URL',
    default: undefined,
    values: 'mqtts://host:port',
    doc: 'The broker address given to boxes at enrolment. Unset: the embedded broker\'s TLS port on the host of ROOMCAST_FLEET_PUBLIC_URL.',
    parse: url(['mqtt:', 'mqtts:'], 'mqtts://fleet.example.org:8883'),
  }),
  mqttCa: variable({
    env: 'ROOMCAST_FLEET_MQTT_CA',
    default: undefined,
    values: 'path of a PEM file',
    doc: 'The CA of an external broker\'s TLS certificate: the service trusts it and hands it to boxes at enrolment. Unset: the fleet\'s own CA (in the data dir), which the embedded broker uses and an external Mosquitto can use too.',
    parse: optionalDirectory,
  }),
  mosquittoDir: variable({
    env: 'ROOMCAST_FLEET_MOSQUITTO_DIR',
    default: undefined,
    values: 'absolute path',
    doc: 'With an external Mosquitto: where the service writes its password_file (passwords) and acl_file (acl), rewritten at every enrolment and revocation.',
    parse: optionalDirectory,
  }),
  mosquittoPidFile: variable({
    env: 'ROOMCAST_FLEET_MOSQUITTO_PID_FILE',
    default: undefined,
    values: 'absolute path',
    doc: 'Mosquitto\'s pid_file: after rewriting its files the service sends it SIGHUP, which drops a revoked box at once. Unset: reload Mosquitto yourself.',
    parse: optionalDirectory,
  }),
  databaseUrl: variable({
    env: 'ROOMCAST_FLEET_DATABASE_URL',
    default: undefined,
    values: 'postgres://user:password@host:port/db',
    doc: 'PostgreSQL instead of the embedded SQLite, for large fleets or several fleet service instances.',
    parse: url(['postgres:', 'postgresql:'], 'postgres://roomcast@127.0.0.1:5432/roomcast'),
  }),
  publicUrl: variable({
    env: 'ROOMCAST_FLEET_PUBLIC_URL',
    default: undefined,
    values: 'http(s)://host[:port]',
    doc: 'The address boxes and browsers use to reach this service. Unset: http://<this host name>:<HTTP port>.',
    parse: url(['http:', 'https:'], 'https://fleet.example.org'),
  }),
  adminToken: variable({
    env: 'ROOMCAST_ADMIN_TOKEN',
    default: undefined,
    values: 'a token',
    doc: 'Bearer token for the HTTP API and the dashboard. Unset: generated at first start, stored (hashed) and printed once.',
    parse: optionalSecret,
  }),
  enrollToken: variable({
    env: 'ROOMCAST_ENROLL_TOKEN',
    default: undefined,
    values: 'a token',
    doc: 'The token new boxes enrol with (the same variable on the boxes). Unset: generated at first start, stored (hashed) and printed once; rotate it with POST /api/enrollment-token.',
    parse: optionalSecret,
  }),
  commandTimeoutMs: variable({
    env: 'ROOMCAST_FLEET_COMMAND_TIMEOUT_MS',
    default: '10000',
    values: '500..120000 (ms)',
    doc: 'How long a command waits for the box\'s answer before the API reports a timeout.',
    parse: integer(500, 120_000),
  }),
  ipfs: variable({
    env: 'ROOMCAST_FLEET_IPFS',
    default: 'true',
    values: 'true, false',
    doc: 'Run the fleet\'s own IPFS node (Helia, blocks under ROOMCAST_FLEET_DATA_DIR/ipfs): it fetches each segment boxes announce from the box over libp2p before listing it in /live/<deviceId>/index.m3u8, serves it as the default gateway, and pins each finished talk.',
    parse: boolean,
  }),
  ipfsListen: variable({
    env: 'ROOMCAST_FLEET_IPFS_LISTEN',
    default: undefined,
    values: 'TCP multiaddr',
    doc: 'Where the fleet\'s IPFS node listens, e.g. /ip4/0.0.0.0/tcp/4001. Set: every box with the ipfs destination is told to dial it (so a box behind NAT still delivers its segments) and only those boxes may connect. Unset: it does not listen, it only dials the boxes at the addresses they announce.',
    parse: (raw: string): string | null => (raw.trim() === '' ? null : tcpMultiaddr(raw)),
  }),
  ipfsAnnounce: variable({
    env: 'ROOMCAST_FLEET_IPFS_ANNOUNCE',
    default: '',
    values: 'TCP multiaddrs (or /dns4/name/tcp/port), separated by spaces',
    doc: 'With ROOMCAST_FLEET_IPFS_LISTEN: the addresses boxes dial the fleet\'s node at, e.g. /dns4/fleet.example.org/tcp/4001 for a fleet in the cloud. Unset: the addresses it listens on (a wildcard expanded to each interface).',
    parse: multiaddrList,
  }),
  ipfsGateway: variable({
    env: 'ROOMCAST_FLEET_IPFS_GATEWAY',
    default: undefined,
    values: 'https://gateway.example.org',
    doc: 'An IPFS path gateway for the segment URIs of live playlists and for VODs (segments at <gateway>/ipfs/<cid>). Unset: the fleet\'s own node, at /live/<deviceId>/ipfs/<cid>. A public gateway finds segments only when the boxes use Kubo (ROOMCAST_IPFS_KUBO_API), which announces them to the DHT.',
    parse: (raw: string): string | null => optionalUrl(raw, ['http:', 'https:'], 'https://ipfs.io')?.origin ?? null,
  }),
  ipfsWindow: variable({
    env: 'ROOMCAST_FLEET_IPFS_WINDOW',
    default: '6',
    values: '3..60 (segments)',
    doc: 'How many of the newest segments a live playlist lists.',
    parse: integer(3, 60),
  }),
  healthRetentionDays: variable({
    env: 'ROOMCAST_FLEET_HEALTH_DAYS',
    default: '30',
    values: '1..3650',
    doc: 'How long health history is kept.',
    parse: integer(1, 3650),
  }),
  balenaApiToken: variable({
    env: 'ROOMCAST_BALENA_API_TOKEN',
    default: undefined,
    values: 'a balena API key',
    doc: 'Lets the service list releases, pin them and run staged rollouts through balena (docs/updates.md). Unset (with ROOMCAST_BALENA_FLEET): balena features are off and everything else works.',
    parse: balenaToken,
  }),
  balenaFleet: variable({
    env: 'ROOMCAST_BALENA_FLEET',
    default: undefined,
    values: 'myorg/fleet or a fleet id',
    doc: 'The balena fleet (application) the boxes run in.',
    parse: balenaFleet,
  }),
  balenaApiUrl: variable({
    env: 'ROOMCAST_BALENA_API_URL',
    default: 'https://api.balena-cloud.com',
    values: 'http(s)://host[:port]',
    doc: 'The balena API (openBalena: your own server).',
    parse: baseUrl,
  }),
  balenaPollSeconds: variable({
    env: 'ROOMCAST_BALENA_POLL_SECONDS',
    default: '15',
    values: '1..3600 (s)',
    doc: 'How often a running staged rollout looks at balena and the boxes to take its next step.',
    parse: integer(1, 3600),
  }),
} as const;

export type FleetConfig = { [K in keyof typeof FLEET_SCHEMA]: ReturnType<(typeof FLEET_SCHEMA)[K]['parse']> };

export function loadFleetConfig(env: Env): { ok: true; config: FleetConfig } | { ok: false; error: ConfigError } {
  return parseVariables(FLEET_SCHEMA, env);
}
