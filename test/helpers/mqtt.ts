import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';
import { sleep } from './env.js';

export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
}

/** A real MQTT.js client and everything it received, for tests against a real broker. */
export interface TestClient {
  client: MqttClient;
  received: Received[];
  /** Set once the broker (or the network) closed the connection. */
  closedAt: number | null;
}

/**
 * Connects once, without retries: a refused login rejects instead of being
 * retried forever. MQTT 5, so refusals and SUBACKs carry reason codes.
 * Passwords go in the options object, never on a command line.
 */
export async function connectClient(url: string, options: IClientOptions, opened: TestClient[]): Promise<TestClient> {
  const client = await connectAsync(url, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5000, ...options }, false);
  const tc: TestClient = { client, received: [], closedAt: null };
  opened.push(tc);
  client.on('message', (topic, payload, packet) => tc.received.push({ topic, payload: payload.toString(), retain: packet.retain }));
  client.on('close', () => (tc.closedAt ??= Date.now()));
  return tc;
}

/** The error a refused connection gives, or null when it connected (and is then closed again). */
export async function refusal(url: string, options: IClientOptions): Promise<Error | null> {
  try {
    const client = await connectAsync(url, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 5000, ...options }, false);
    await client.endAsync(true);
    return null;
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

export async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

export async function closeAll(opened: TestClient[]): Promise<void> {
  for (const tc of opened.splice(0)) await tc.client.endAsync(true);
}
