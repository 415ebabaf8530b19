import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { AgentProcess } from '../helpers/agent-process.js';
import { boxEnv, sleep } from '../helpers/env.js';
import { useIngest } from '../helpers/fixture.js';

/** A Pi 4 on kernel 6.6+: the header chip starts at 512, so BCM 17 is sysfs 529 and BCM 27 is 539. */
async function gpioTree(sys: string): Promise<{ button: string; led: string }> {
  const gpio = join(sys, 'class/gpio');
  await mkdir(join(gpio, 'gpiochip512'), { recursive: true });
  await writeFile(join(gpio, 'gpiochip512/base'), '512\n');
  await writeFile(join(gpio, 'gpiochip512/label'), 'pinctrl-bcm2711\n');
  await writeFile(join(gpio, 'gpiochip512/ngpio'), '58\n');
  for (const n of [529, 539]) await mkdir(join(gpio, `gpio${n}`), { recursive: true });
  const button = join(gpio, 'gpio529/value');
  const led = join(gpio, 'gpio539/value');
  await writeFile(button, '1\n'); // pulled up: not pressed
  await writeFile(led, '0\n');
  return { button, led };
}

/** What the light does over a while: the fraction of samples it was on. */
async function litShare(led: string, ms: number): Promise<number> {
  let on = 0;
  let n = 0;
  for (const end = Date.now() + ms; Date.now() < end; n += 1) {
    if ((await readFile(led, 'utf8')).trim() === '1') on += 1;
    await sleep(10);
  }
  return on / n;
}

describe('the go-live button and the tally light (a real agent, the sysfs GPIO protocol on a Pi 4 tree)', () => {
  const f = useIngest('roomcast-panel-');

  test('a press goes live and the light turns steady; a long press makes it flash; a press stops the stream', async () => {
    const dir = join(f.dir, 'box');
    const { button, led } = await gpioTree(join(dir, 'host/sys'));
    const agent = AgentProcess.start(boxEnv(dir, { ROOMCAST_AUTOSTART: 'false', ROOMCAST_VIDEO_SIZE: '320x180', ROOMCAST_DESTINATIONS: f.ingest.url('live', 'panel-key-4242'), ROOMCAST_GPIO_BUTTON: '17', ROOMCAST_GPIO_LED: '27' }));
    f.agents.push(agent);
    await agent.waitFor((l) => l.msg === 'GPIO: tally light on GPIO 27' && l['sysfs'] === 539, 10_000, 'the light on its kernel number');
    assert.ok(agent.lines().some((l) => l.msg === 'GPIO: go-live button on GPIO 17' && l['sysfs'] === 529));
    assert.equal(await litShare(led, 300), 0, 'the light is off while idle');

    const press = async (ms: number): Promise<void> => {
      await writeFile(button, '0\n');
      await sleep(ms);
      await writeFile(button, '1\n');
    };
    await press(150);
    await agent.waitForPhase('live');
    await agent.waitFor((l) => l.msg === 'destination live', 15_000, 'destination live');
    assert.equal(await litShare(led, 500), 1, 'steady while live');
    assert.equal((await f.ingest.sessionsOf('panel-key-4242')).length, 1, 'the button\'s stream reached the ingest');

    await press(2300);
    await agent.waitFor((l) => l.msg === 'identify: this box was asked to show itself', 2000, 'identify');
    const flashing = await litShare(led, 1500);
    assert.ok(flashing > 0.05 && flashing < 0.4, `identify flashes (on ${Math.round(flashing * 100)}% of the time)`);
    assert.equal(agent.lines().filter((l) => l.msg.startsWith('phase ')).at(-1)?.msg, 'phase live', 'a long press does not stop the stream');

    await press(150);
    await agent.waitForPhase('idle');
    // Still identifying (30 s from the long press): the flashes go on; steady is gone.
    const after = await litShare(led, 1500);
    assert.ok(after > 0.05 && after < 0.4, `identify flashes on after stopping (on ${Math.round(after * 100)}% of the time)`);
    assert.equal(agent.lines().filter((l) => l.msg === 'phase live').length, 1, 'one stream, never restarted');
  });

  test('a pin the kernel does not give fails closed: one clear line, and the agent streams on', async () => {
    const dir = join(f.dir, 'nogpio');
    await mkdir(join(dir, 'host/sys'), { recursive: true });
    const agent = AgentProcess.start(boxEnv(dir, { ROOMCAST_VIDEO_SIZE: '320x180', ROOMCAST_DESTINATIONS: f.ingest.url('live', 'panel-key-5353'), ROOMCAST_GPIO_BUTTON: '17' }));
    f.agents.push(agent);
    const refused = await agent.waitFor((l) => l.msg === 'GPIO: no go-live button; the box runs on without it', 10_000, 'the refusal');
    assert.match(String(refused['error']), /no Raspberry Pi GPIO chip/);
    await agent.waitForPhase('live');
  });
});
