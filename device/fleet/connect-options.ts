import type { IClientOptions } from 'mqtt';
import { lastWill, type DeviceId } from '../../common/protocol.js';
import type { FleetCredentials } from './credentials-file.js';

/**
 * How a box logs in to the fleet's broker (the agent and the fleet simulator
 * alike): its device id as client id and username, the retained "lost" will,
 * and the CA it was given at enrolment. The reconnect policy is the caller's.
 */
export function boxConnectOptions(id: DeviceId, creds: FleetCredentials): IClientOptions {
  const will = lastWill(id);
  return {
    clientId: id,
    username: creds.username,
    password: creds.password,
    protocolVersion: 4,
    // State lives in retained messages and versions, not in a broker session.
    clean: true,
    keepalive: 30,
    connectTimeout: 10_000,
    // MQTT.js gives up for good on a refused CONNACK unless told otherwise. A
    // refused password makes the box enrol again (fleet-client.ts); any other
    // refusal (server unavailable, a broker starting up) is retried with backoff.
    reconnectOnConnackError: true,
    will: { topic: will.topic, payload: Buffer.from(will.payload), qos: will.qos, retain: will.retain },
    ...(creds.ca ? { ca: creds.ca } : {}),
  };
}
