import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { AgentProcess } from '../helpers/agent-process.js';
import { boxEnv, sleep } from '../helpers/env.js';
import { useIngest } from '../helpers/fixture.js';
import { litShare, onPeriods, pi4GpioTree, PI4_BUTTON_SYSFS, PI4_LED_SYSFS, sampleLight } from '../helpers/gpio-tree.js';
import { freePort } from '../../testbed/ports.js';

describe('the go-live button and the tally light (a real agent, the sysfs GPIO protocol on a Pi 4 tree)', () => {
  const f = useIngest('roomcast-panel-');

  test('a press goes live and the light turns steady; a long press makes it flash; a press stops the stream', async () => {
    const dir = join(f.dir, 'box');
    const { button, led } = await pi4GpioTree(join(dir, 'host/sys'));
    const agent = AgentProcess.start(boxEnv(dir, { ROOMCAST_AUTOSTART: 'false', ROOMCAST_VIDEO_SIZE: '320x180', ROOMCAST_DESTINATIONS: f.ingest.url('live', 'panel-key-4242'), ROOMCAST_GPIO_BUTTON: '17', ROOMCAST_GPIO_LED: '27' }));
    f.agents.push(agent);
    await agent.waitFor((l) => l.msg === 'GPIO: tally light on GPIO 27' && l['sysfs'] === PI4_LED_SYSFS, 10_000, 'the light on its kernel number');
    assert.ok(agent.lines().some((l) => l.msg === 'GPIO: go-live button on GPIO 17' && l['sysfs'] === PI4_BUTTON_SYSFS));
    assert.equal(litShare(await sampleLight(led, 300)), 0, 'the light is off while idle');

    const press = async (ms: number): Promise<void> => {
      await writeFile(button, '0\n');
      await sleep(ms);
      await writeFile(button, '1\n');
    };
    await press(150);
    await agent.waitForPhase('live');
    await agent.waitFor((l) => l.msg === 'destination live', 15_000, 'destination live');
    assert.equal(litShare(await sampleLight(led, 500)), 1, 'steady while live');
    assert.equal((await f.ingest.sessionsOf('panel-key-4242')).length, 1, 'the button\'s stream reached the ingest');

    await press(2300);
    await agent.waitFor((l) => l.msg === 'identify: this box was asked to show itself', 2000, 'identify');
    const flashing = litShare(await sampleLight(led, 1500));
    assert.ok(flashing > 0.05 && flashing < 0.4, `identify flashes (on ${Math.round(flashing * 100)}% of the time)`);
    assert.equal(agent.lines().filter((l) => l.msg.startsWith('phase ')).at(-1)?.msg, 'phase live', 'a long press does not stop the stream');

    await press(150);
    await agent.waitForPhase('idle');
    // Still identifying (30 s from the long press): the flashes go on; steady is gone.
    const after = litShare(await sampleLight(led, 1500));
    assert.ok(after > 0.05 && after < 0.4, `identify flashes on after stopping (on ${Math.round(after * 100)}% of the time)`);
    assert.equal(agent.lines().filter((l) => l.msg === 'phase live').length, 1, 'one stream, never restarted');
  });

  test('while a destination retries, the light blinks slowly (1 s period, half on)', async (t) => {
    const dir = join(f.dir, 'retrying');
    const { led } = await pi4GpioTree(join(dir, 'host/sys'));
    const refusing = `rtmp://127.0.0.1:${await freePort()}/live/refused-key-6161`;
    const agent = AgentProcess.start(boxEnv(dir, { ROOMCAST_VIDEO_SIZE: '320x180', ROOMCAST_DESTINATIONS: `${f.ingest.url('live', 'panel-key-6161')} ${refusing}`, ROOMCAST_GPIO_LED: '27' }));
    f.agents.push(agent);
    await agent.waitForPhase('live');
    await agent.waitFor((l) => l.msg === 'destination retry', 15_000, 'the refusing destination retrying');
    // Live with one destination retrying: slow. Steady would have no turn-ons, the
    // error's fast blink a 200 ms period; the margins allow for a busy machine.
    const samples = await sampleLight(led, 5000);
    const periods = onPeriods(samples).sort((a, b) => a - b);
    const median = periods[Math.floor(periods.length / 2)] ?? 0;
    const share = litShare(samples);
    t.diagnostic(`slow blink: periods ${periods.join(', ')} ms, on ${Math.round(share * 100)}% of ${samples.length} samples`);
    assert.ok(periods.length >= 3, `at least 3 blinks in 5 s (periods ${periods.join(', ')} ms)`);
    assert.ok(median > 700 && median < 1300, `a blink about every second (median ${median} ms of ${periods.join(', ')})`);
    assert.ok(share > 0.3 && share < 0.7, `on about half the time (${Math.round(share * 100)}%)`);
    assert.ok(agent.lines().filter((l) => l.msg === 'destination retry').length >= 1);
    assert.equal(agent.lines().filter((l) => l.msg.startsWith('phase ')).at(-1)?.msg, 'phase live', 'still live: the other destination streams on');
  });
});
