import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { lineOpener } from '../../device/panel/gpio-line.js';
import { loadOnoff } from '../../device/panel/onoff-line.js';
import { Panel } from '../../device/panel/panel.js';
import { idleAgent } from '../helpers/gpio-fakes.js';
import { pi4GpioChip, pi4GpioTree } from '../helpers/gpio-tree.js';
import { LogLines } from '../helpers/log-lines.js';

// onoff writes to the kernel's own /sys/class/gpio: these run only where there is none to write to.
const realGpio = existsSync('/sys/class/gpio') && 'this machine has /sys/class/gpio: tests never write to it';

describe('onoff, the real module, on a machine without sysfs GPIO', { skip: realGpio }, () => {
  it('loads, with its native epoll addon, and says GPIO is not accessible', () => {
    const { Gpio } = loadOnoff();
    assert.equal(typeof Gpio, 'function');
    assert.equal(Gpio.accessible, false);
  });
  it('is what lines on /sys are opened with, and opening one fails closed naming the pin', async () => {
    for (const sys of ['/sys', '/sys/', '/sys/class/..']) {
      await assert.rejects(lineOpener(sys)(17, 'in'), /^Error: GPIO 17: sysfs GPIO is not accessible \(\/sys\/class\/gpio\/export cannot be opened for writing/, sys);
    }
  });
  it('the panel on /sys logs each pin it cannot have and opens without them', async () => {
    const log = new LogLines();
    assert.equal(await Panel.open({ openLine: lineOpener('/sys'), buttonBcm: 17, ledBcm: 27, agent: idleAgent, log: log.logger }), null);
    assert.deepEqual(log.at('error').map((l) => [l.msg, l['gpio'], String(l['error']).split(' (')[0]]), [
      ['GPIO: no go-live button; the box runs on without it', 17, 'GPIO 17: sysfs GPIO is not accessible'],
      ['GPIO: no tally light; the box runs on without it', 27, 'GPIO 27: sysfs GPIO is not accessible'],
    ]);
  });
});

describe('lines on a test\'s tree: the files, never onoff', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roomcast-gpio-line-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('an exported line is its value file', async () => {
    const sys = join(dir, 'exported/sys');
    const { button } = await pi4GpioTree(sys);
    const line = await lineOpener(sys)(17, 'in');
    assert.equal(line.number, 529);
    assert.equal(await line.read(), true);
    await writeFile(button, '0\n');
    assert.equal(await line.read(), false);
  });
  it('a line not exported is exported through the export file; a refused export names the pin', async () => {
    const sys = join(dir, 'refused/sys');
    await mkdir(join(await pi4GpioChip(sys), 'export'));
    await assert.rejects(lineOpener(sys)(17, 'in'), /^Error: GPIO 17 \(sysfs 529\) could not be exported: EISDIR/);
  });
});
