import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connectAsync, type MqttClient } from 'mqtt';
import { createLogger } from '../../common/log.js';
import { FLEET_USERNAME, topicOf, type DeviceId } from '../../common/protocol.js';
import { EmbeddedBroker } from '../../fleet/broker/embedded-broker.js';
import { sleep } from '../helpers/env.js';

const BOX = 'box-early' as DeviceId;

test("the embedded broker holds a box's login until the fleet's link is ready, so nothing a box publishes goes unheard", async () => {
  const broker = new EmbeddedBroker({
    auth: { check: (user) => Promise.resolve(user === FLEET_USERNAME ? 'fleet' : user === BOX ? 'box' : null) },
    host: '127.0.0.1',
    port: 0,
    tls: null,
    logger: createLogger('broker', { write: () => undefined }, 'error'),
  });
  const { port } = await broker.start();
  const url = `mqtt://127.0.0.1:${port}`;
  const clients: MqttClient[] = [];
  try {
    let boxConnectedAt: number | null = null;
    const boxConnecting = connectAsync(url, { clientId: BOX, username: BOX, password: 'p', protocolVersion: 4, reconnectPeriod: 0 }).then((c) => {
      boxConnectedAt = Date.now();
      clients.push(c);
      return c;
    });
    // The fleet's own login is answered at once.
    const fleet = await connectAsync(url, { clientId: 'fleet-1', username: FLEET_USERNAME, password: 'p', protocolVersion: 4, reconnectPeriod: 0 });
    clients.push(fleet);
    await sleep(300);
    assert.equal(boxConnectedAt, null, 'the box was answered before the fleet was ready');
    const heard: string[] = [];
    fleet.on('message', (topic) => heard.push(topic));
    await fleet.subscribeAsync('roomcast/+/health', { qos: 0 });
    const welcomedAt = Date.now();
    broker.welcomeBoxes();
    const box = await boxConnecting;
    assert.ok(boxConnectedAt! >= welcomedAt);
    await box.publishAsync(topicOf(BOX, 'health'), '{}', { qos: 0 });
    for (let i = 0; i < 100 && heard.length === 0; i++) await sleep(20);
    assert.deepEqual(heard, [topicOf(BOX, 'health')]);
  } finally {
    for (const c of clients) await c.endAsync(true);
    await broker.stop();
  }
});
