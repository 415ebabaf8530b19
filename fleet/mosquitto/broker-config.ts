import { isIP } from 'node:net';
import { isAbsolute } from 'node:path';
import { MAX_PAYLOAD_BYTES } from '../../common/protocol.js';
import { MosquittoFileError } from './errors.js';

export interface ListenerSpec {
  port: number;
  /** An IP address or host name to bind; 0.0.0.0 for every interface. */
  bindAddress: string;
}

export interface TlsListenerSpec extends ListenerSpec {
  cafile: string;
  certfile: string;
  keyfile: string;
}

export interface BrokerConfigOptions {
  /** Plain MQTT: for the fleet service on the same host, or a LAN behind a firewall. */
  listener?: ListenerSpec;
  /** MQTT over TLS (mqtts): what boxes use across the internet. */
  tls?: TlsListenerSpec;
  /**
   * The fleet service instances' own listener (plain, or TLS when it has
   * certificate files), on loopback or a private network that boxes cannot
   * reach. Client ids are kept as sent there: every instance logs in as
   * _fleet, and with use_username_as_clientid they would all get the client
   * id "_fleet" and throw each other off for ever.
   */
  service?: ListenerSpec | TlsListenerSpec;
  passwordFile: string;
  aclFile: string;
  /** Where Mosquitto keeps sessions and retained messages; without it they live in memory only. */
  persistenceDir?: string;
  /** The account Mosquitto drops to when started as root (Mosquitto's default: mosquitto). */
  user?: string;
  pidFile?: string;
}

/**
 * A whole PUBLISH of the largest payload the protocol allows: fixed header
 * (5), topic (2 + under 100 bytes for roomcast/<64-char id>/command/response),
 * packet id (2) and MQTT 5 properties, with room to spare.
 */
export const MAX_PACKET_BYTES = MAX_PAYLOAD_BYTES + 1024;
export const MAX_QUEUED_MESSAGES = 5000;
export const MAX_QUEUED_BYTES = 64 * 1024 * 1024;

/** One setting and the reason it is there; the reason is written above it in the file. */
type Line = readonly [setting: string, why: string];

/**
 * mosquitto.conf for the fleet's external broker. Global settings come first:
 * a listener-only option (such as use_username_as_clientid) placed before any
 * `listener` line would silently open Mosquitto's default listener on :1883.
 */
export function renderBrokerConfig(o: BrokerConfigOptions): string {
  const problems = check(o);
  if (problems.length > 0) throw new MosquittoFileError('broker config', problems);

  const global: Line[] = [
    ['per_listener_settings false', 'One set of accounts and one ACL for every listener: a box has the same rights over TLS and plain MQTT.'],
    ['allow_anonymous false', 'Every client logs in: a box with its device id, the fleet service with its own account.'],
    [`password_file ${o.passwordFile}`, 'Written by the fleet service from the hashes it stores; re-read on SIGHUP.'],
    [`acl_file ${o.aclFile}`, 'Generated from common/protocol.ts (BOX_ACL, FLEET_ACL); re-read on SIGHUP, which also drops clients whose login no longer holds.'],
    [`max_packet_size ${MAX_PACKET_BYTES}`, `The protocol refuses payloads above ${MAX_PAYLOAD_BYTES} bytes; a client sending a larger packet is disconnected before the broker stores it.`],
    [`max_queued_messages ${MAX_QUEUED_MESSAGES}`, "Per client: enough for the fleet's own session to ride out a restart of the service with many boxes reporting, bounded so one absent client cannot eat the broker's memory."],
    [`max_queued_bytes ${MAX_QUEUED_BYTES}`, 'The same bound in bytes, for queues of large reported states.'],
    ['set_tcp_nodelay true', "Small messages (a report, a desired config) leave at once instead of waiting up to 40 ms behind Nagle's algorithm and a delayed ACK."],
    ['log_dest stderr', 'Into the service manager (journald) or the test harness, next to the process that owns it.'],
    ['log_type error', 'Errors, warnings and notices (connections, reloads), not every packet.'],
    ['log_type warning', ''],
    ['log_type notice', ''],
    ['log_type information', 'Includes "Reloading config." and refused logins, which show that a revocation took.'],
    ['connection_messages true', 'One line per connect and disconnect, with the username.'],
  ];
  if (o.user !== undefined) global.push([`user ${o.user}`, 'The account Mosquitto drops to when started as root; it must read every file named here.']);
  if (o.pidFile !== undefined) global.push([`pid_file ${o.pidFile}`, 'So the fleet service can find the broker to send it SIGHUP.']);
  if (o.persistenceDir === undefined) {
    global.push(['persistence false', 'Sessions and retained messages in memory only: the fleet re-publishes desired configs from its store after a broker restart.']);
  } else {
    global.push(
      ['persistence true', 'Persistent sessions (clean: false) and retained desired configs survive a broker restart, so queued QoS 1 messages are not lost.'],
      // Mosquitto joins the location and the file name as strings.
      [`persistence_location ${o.persistenceDir.endsWith('/') ? o.persistenceDir : `${o.persistenceDir}/`}`, 'Must end with a slash: Mosquitto appends the file name to it as text.'],
      ['autosave_interval 300', 'A crash loses at most five minutes of session state instead of the default thirty.'],
      ['persistent_client_expiration 30d', 'A retired or revoked box leaves a session that would otherwise queue messages for it forever.'],
    );
  }

  const blocks: Line[][] = [global];
  const listenerLines = (l: ListenerSpec): Line[] => [
    [`listener ${l.port} ${l.bindAddress}`, ''],
    ['use_username_as_clientid true', "The client id becomes the username (the device id): a box cannot take over another box's session or last will by claiming its client id. A listener option, so it is repeated per listener."],
  ];
  const tlsLines = (l: TlsListenerSpec): Line[] => [
    [`cafile ${l.cafile}`, "The fleet's private CA; boxes get its certificate at enrolment and trust nothing else."],
    [`certfile ${l.certfile}`, 'The server certificate (subjectAltName = the fleet host); re-read on SIGHUP, so a renewal needs no restart.'],
    [`keyfile ${l.keyfile}`, 'Readable by the user Mosquitto runs as, and by nobody else.'],
    ['tls_version tlsv1.2', 'The minimum: TLS 1.2 and 1.3 only.'],
  ];
  if (o.listener !== undefined) blocks.push(listenerLines(o.listener));
  if (o.tls !== undefined) blocks.push([...listenerLines(o.tls), ...tlsLines(o.tls)]);
  if (o.service !== undefined) {
    blocks.push([
      [`listener ${o.service.port} ${o.service.bindAddress}`, ''],
      [
        'use_username_as_clientid false',
        'For the fleet service only: its instances share the _fleet account and pick distinct client ids; forced to the username they would disconnect each other in turn. Bind it where boxes cannot connect.',
      ],
      ...('certfile' in o.service ? tlsLines(o.service) : []),
    ]);
  }

  const header = '# Generated by the roomcast fleet service (fleet/mosquitto/broker-config.ts); it is rewritten, do not edit.\n';
  return header + blocks.map((lines) => lines.map(([setting, why]) => (why === '' ? `${setting}\n` : `# ${why}\n${setting}\n`)).join('')).join('\n');
}

function check(o: BrokerConfigOptions): string[] {
  const problems: string[] = [];
  if (o.listener === undefined && o.tls === undefined) problems.push('no listener: give a plain or a TLS listener, or both');
  const ports = [o.listener, o.tls, o.service].flatMap((l) => (l === undefined ? [] : [l.port]));
  if (new Set(ports).size !== ports.length) problems.push('two listeners share a port');
  for (const [name, l] of [['listener', o.listener], ['TLS listener', o.tls], ['service listener', o.service]] as const) {
    if (l === undefined) continue;
    if (!Number.isInteger(l.port) || l.port < 1 || l.port > 65535) problems.push(`${name} port must be 1 to 65535, not ${l.port}`);
    if (isIP(l.bindAddress) === 0 && !/^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/.test(l.bindAddress)) problems.push(`${name} bind address is neither an IP address nor a host name`);
  }
  const paths: [string, string | undefined][] = [
    ['password file', o.passwordFile],
    ['ACL file', o.aclFile],
    ['persistence dir', o.persistenceDir],
    ['pid file', o.pidFile],
    ['CA file', o.tls?.cafile],
    ['certificate file', o.tls?.certfile],
    ['key file', o.tls?.keyfile],
    ...(o.service !== undefined && 'certfile' in o.service
      ? ([
          ['service CA file', o.service.cafile],
          ['service certificate file', o.service.certfile],
          ['service key file', o.service.keyfile],
        ] as [string, string][])
      : []),
  ];
  for (const [name, path] of paths) {
    if (path === undefined) continue;
    // A newline would start a setting of its own; spaces are read differently by different options.
    if (!isAbsolute(path) || !/^[!-~]+$/.test(path)) problems.push(`${name} must be an absolute path without spaces or control characters`);
  }
  if (o.user !== undefined && !/^[a-z_][a-z0-9_-]{0,31}$/.test(o.user)) problems.push('user must be a system account name');
  return problems;
}
