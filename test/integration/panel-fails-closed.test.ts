import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describe, test } from 'node:test';
import { AgentProcess } from '../helpers/agent-process.js';
import { boxEnv } from '../helpers/env.js';
import { useIngest } from '../helpers/fixture.js';
import { pi4GpioChip } from '../helpers/gpio-tree.js';

const NO_BUTTON = 'GPIO: no go-live button; the box runs on without it';
const NO_LIGHT = 'GPIO: no tally light; the box runs on without it';

describe('a GPIO pin that cannot be had fails closed: one clear line, and the agent streams on (a real agent)', () => {
  const f = useIngest('roomcast-panel-closed-');

  const start = (dir: string, extra: Record<string, string>): AgentProcess => {
    const agent = AgentProcess.start(boxEnv(dir, { ROOMCAST_VIDEO_SIZE: '320x180', ROOMCAST_DESTINATIONS: f.ingest.url('live', `closed-${basename(dir)}`), ROOMCAST_GPIO_BUTTON: '17', ...extra }));
    f.agents.push(agent);
    return agent;
  };

  test('no GPIO chip in the tree', async () => {
    const dir = join(f.dir, 'nochip');
    await mkdir(join(dir, 'host/sys'), { recursive: true });
    const agent = start(dir, {});
    const refused = await agent.waitFor((l) => l.msg === NO_BUTTON, 10_000, 'the refusal');
    assert.match(String(refused['error']), /no Raspberry Pi GPIO chip/);
    await agent.waitForPhase('live');
  });

  test('the export refused (export is a folder: writing it fails even for root)', async () => {
    const dir = join(f.dir, 'refused');
    const gpio = await pi4GpioChip(join(dir, 'host/sys'));
    await mkdir(join(gpio, 'export'));
    const agent = start(dir, {});
    const refused = await agent.waitFor((l) => l.msg === NO_BUTTON, 10_000, 'the refusal');
    assert.equal(refused['gpio'], 17);
    assert.match(String(refused['error']), /^GPIO 17 \(sysfs 529\) could not be exported: EISDIR/);
    await agent.waitForPhase('live');
    assert.ok(!existsSync(join(gpio, 'gpio529')), 'nothing pretended the line was there');
  });

  // onoff writes to the kernel's own /sys/class/gpio: run only where there is none to write to.
  test('onoff on this machine\'s real /sys, which has no sysfs GPIO', { skip: existsSync('/sys/class/gpio') && 'this machine has /sys/class/gpio: tests never write to it' }, async () => {
    const agent = start(join(f.dir, 'realsys'), { ROOMCAST_HOST_SYS: '/sys', ROOMCAST_GPIO_LED: '27' });
    const button = await agent.waitFor((l) => l.msg === NO_BUTTON, 10_000, 'the button refused');
    const light = await agent.waitFor((l) => l.msg === NO_LIGHT, 10_000, 'the light refused');
    assert.match(String(button['error']), /^GPIO 17: sysfs GPIO is not accessible \(\/sys\/class\/gpio\/export cannot be opened/);
    assert.match(String(light['error']), /^GPIO 27: sysfs GPIO is not accessible/);
    await agent.waitForPhase('live');
    assert.equal(agent.lines().filter((l) => l.msg.startsWith('GPIO: ')).length, 2, 'one line per pin, nothing more');
  });
});
