import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FLEET_USERNAME, topicOf, type DeviceId } from '../../common/protocol.js';
import { saveCredentials } from '../../device/fleet/credentials-file.js';
import { hashMosquittoPassword, newBoxPassword } from '../../fleet/credentials.js';
import { MosquittoBroker } from '../../testbed/mosquitto.js';
import { AgentProcess } from './agent-process.js';
import { boxEnv } from './env.js';
import { connectClient, waitUntil, type TestClient } from './mqtt.js';

/**
 * A real box already enrolled with a real Mosquitto, and the test holding the
 * fleet's account: the test says exactly what the box receives (garbage
 * included), and sees exactly what it reports.
 */
export class BareBox {
  private constructor(
    readonly id: DeviceId,
    readonly broker: MosquittoBroker,
    readonly box: AgentProcess,
    readonly fleet: TestClient,
  ) {}

  static async start(dir: string, id: DeviceId, env: Record<string, string>, opened: TestClient[], opts: { control?: boolean } = {}): Promise<BareBox> {
    const fleetPassword = newBoxPassword();
    const boxPassword = newBoxPassword();
    const broker = new MosquittoBroker([
      { username: FLEET_USERNAME, passwordHash: hashMosquittoPassword(fleetPassword) },
      { username: id, passwordHash: hashMosquittoPassword(boxPassword) },
    ]);
    await broker.start();
    // Enrolled already: the box goes straight to the broker (the enrolment URL is never asked).
    const fleetUrl = 'http://127.0.0.1:9';
    const boxDir = join(dir, id);
    await mkdir(boxDir, { recursive: true });
    await saveCredentials(boxDir, { fleetUrl, deviceId: id, mqttUrl: broker.url, username: id, password: boxPassword, ca: null });
    const box = AgentProcess.start(boxEnv(boxDir, { ROOMCAST_FLEET_URL: fleetUrl, ROOMCAST_HEALTH_SECONDS: '2', BALENA_DEVICE_UUID: id, ...env }), opts);
    await box.waitFor((l) => l.msg === 'fleet: connected', 15_000, 'connected to Mosquitto');
    const fleet = await connectClient(broker.url, { clientId: 'fleet-test', username: FLEET_USERNAME, password: fleetPassword }, opened);
    await fleet.client.subscribeAsync([topicOf(id, 'reported'), topicOf(id, 'commandResponse')], { qos: 1 });
    return new BareBox(id, broker, box, fleet);
  }

  send(kind: 'desired' | 'commandRequest', payload: string): Promise<unknown> {
    return this.fleet.client.publishAsync(topicOf(this.id, kind), payload, { qos: 1 });
  }

  lastReported(): Reported | undefined {
    const last = this.fleet.received.filter((m) => m.topic === topicOf(this.id, 'reported')).at(-1);
    return last ? (JSON.parse(last.payload) as Reported) : undefined;
  }

  /** Sends a desired config and waits until the box reports it applied. */
  async apply(version: number, config: Record<string, string>, timeoutMs = 10_000): Promise<void> {
    await this.send('desired', JSON.stringify({ version, config }));
    await waitUntil(() => this.lastReported()?.appliedVersion === version, timeoutMs, `version ${version} applied`);
  }

  async stop(): Promise<void> {
    await this.box.proc.stop();
    await this.broker.stop();
  }
}

export interface Reported {
  appliedVersion: number;
  refused?: { version: number; errors: string[] };
}
