import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEBOUNCE_MS, LONG_PRESS_MS, PressReader } from '../../device/panel/button.js';
import { readGpioChips } from '../../device/panel/gpio-chips.js';
import { sysfsNumber } from '../../device/panel/gpio-numbers.js';
import { Panel } from '../../device/panel/panel.js';
import { RepeatedFailure, REPEAT_LOG_MS } from '../../device/panel/repeated-failure.js';
import { lightOn, tallyPattern } from '../../device/panel/tally.js';
import { fixturePaths } from '../helpers/host-fixtures.js';
import { sleep } from '../helpers/env.js';
import { idleAgent, MemoryLine } from '../helpers/gpio-fakes.js';
import { LogLines } from '../helpers/log-lines.js';

describe('sysfsNumber: a header pin\'s kernel number', () => {
  it('adds the header chip\'s base (512 on kernel 6.6+, 0 before)', () => {
    assert.deepEqual(sysfsNumber(17, [{ base: 512, label: 'pinctrl-bcm2711', ngpio: 58 }]), { ok: true, number: 529 });
    assert.deepEqual(sysfsNumber(17, [{ base: 0, label: 'pinctrl-bcm2835', ngpio: 54 }]), { ok: true, number: 17 });
    // Pi 5: the header is on RP1, another chip (the SoC's own) listed first.
    assert.deepEqual(sysfsNumber(27, [{ base: 512, label: 'pinctrl-bcm2712', ngpio: 32 }, { base: 571, label: 'pinctrl-rp1', ngpio: 54 }]), { ok: true, number: 598 });
  });
  it('fails closed, saying why, without a Raspberry Pi chip or beyond its lines', () => {
    const none = sysfsNumber(17, []);
    assert.equal(none.ok, false);
    assert.equal(sysfsNumber(60, [{ base: 512, label: 'pinctrl-bcm2711', ngpio: 58 }]).ok, false);
    const other = sysfsNumber(4, [{ base: 0, label: 'gpio-mockup-A', ngpio: 8 }]);
    assert.ok(!other.ok && other.error.includes('gpio-mockup-A'));
  });
});

describe('PressReader: presses from the button\'s edges', () => {
  it('a press is a press; a bounce is not a second one', () => {
    const r = new PressReader();
    assert.equal(r.edge(true, 1000), null);
    assert.equal(r.edge(false, 1005), null, 'a bounce inside the press');
    assert.equal(r.edge(true, 1010), null);
    assert.equal(r.edge(false, 1200), 'press');
    assert.equal(r.edge(true, 1210), null, 'a bounce after the release');
    assert.equal(r.tick(1300, false), null);
  });
  it('a long press is reported once, while held, and its release is no press', () => {
    const r = new PressReader();
    r.edge(true, 0);
    assert.equal(r.tick(LONG_PRESS_MS - 1, true), null);
    assert.equal(r.tick(LONG_PRESS_MS, true), 'long');
    assert.equal(r.tick(LONG_PRESS_MS + 500, true), null);
    assert.equal(r.edge(false, LONG_PRESS_MS + 800), null);
  });
  it('a tap shorter than the bounce time is caught up by tick, not lost or stuck down', () => {
    const r = new PressReader();
    r.edge(true, 0);
    assert.equal(r.edge(false, DEBOUNCE_MS - 10), null, 'inside the bounce window');
    assert.equal(r.tick(DEBOUNCE_MS + 5, false), 'press');
    assert.equal(r.tick(LONG_PRESS_MS + 100, false), null, 'never a long press');
  });
});

describe('the tally light', () => {
  const live = { phase: 'live' as const, destinations: [{ state: 'live' as const }] };
  it('is off idle, steady live, slow while connecting or retrying, fast on error, its own pattern for identify', () => {
    assert.equal(tallyPattern({ phase: 'idle', destinations: [] } as never, false), 'off');
    assert.equal(tallyPattern(live as never, false), 'steady');
    assert.equal(tallyPattern({ phase: 'live', destinations: [{ state: 'retrying' }] } as never, false), 'slow');
    assert.equal(tallyPattern({ phase: 'starting', destinations: [] } as never, false), 'slow');
    assert.equal(tallyPattern({ phase: 'error', destinations: [] } as never, false), 'fast');
    assert.equal(tallyPattern(live as never, true), 'identify');
  });
  it('blinks at the pattern\'s pace', () => {
    const duty = (p: Parameters<typeof lightOn>[0], period: number): number => Array.from({ length: period }, (_, t) => lightOn(p, t)).filter(Boolean).length / period;
    assert.equal(duty('off', 1000), 0);
    assert.equal(duty('steady', 1000), 1);
    assert.equal(duty('slow', 1000), 0.5);
    assert.equal(duty('fast', 200), 0.5);
    assert.equal(duty('identify', 1500), 0.2, 'three 100 ms flashes per 1.5 s');
  });
});

describe('readGpioChips on the fixture trees of real Pis (kernel 6.6+)', () => {
  it('finds each board\'s header chip and numbers BCM 17 from its base', async () => {
    for (const [board, expected] of [['pi3-legacy-cam', 529], ['pi4-c920', 529], ['pi5-picam3', 588], ['zero2w-i2s-mic', 529]] as const) {
      assert.deepEqual(sysfsNumber(17, await readGpioChips(fixturePaths(board).sys)), { ok: true, number: expected }, board);
    }
  });
});

describe('a pin failing on every tick does not flood the log', () => {
  it('RepeatedFailure: the first failure, then once a minute with the count, then the recovery', () => {
    const f = new RepeatedFailure();
    assert.equal(f.succeeded(), null, 'nothing to recover from');
    assert.deepEqual(f.failed(1000, 'EIO'), { kind: 'first', error: 'EIO' });
    let t = 1000;
    for (; t + 20 < 1000 + REPEAT_LOG_MS; ) assert.equal(f.failed((t += 20), 'EIO'), null, `quiet at ${t}`);
    assert.deepEqual(f.failed(1000 + REPEAT_LOG_MS, 'EIO'), { kind: 'again', error: 'EIO', failures: REPEAT_LOG_MS / 20 + 1 });
    assert.equal(f.failed(1000 + REPEAT_LOG_MS + 20, 'EIO'), null);
    assert.deepEqual(f.succeeded(), { kind: 'recovered', failures: REPEAT_LOG_MS / 20 + 2 });
    assert.equal(f.succeeded(), null, 'the recovery is logged once');
    assert.deepEqual(f.failed(1000 + REPEAT_LOG_MS + 60, 'EIO'), { kind: 'first', error: 'EIO' }, 'a new failure is logged at once');
  });

  it('the panel logs a button that cannot be read once, not every 20 ms, and again when it reads', async () => {
    const button = new MemoryLine(529);
    button.readError = new Error('EIO: i/o error, read');
    const log = new LogLines();
    const panel = await Panel.open({ openLine: () => Promise.resolve(button), buttonBcm: 17, ledBcm: null, agent: idleAgent, log: log.logger });
    assert.ok(panel);
    panel.start();
    try {
      await sleep(300);
      assert.ok(button.reads >= 5, `read on every tick (${button.reads} reads)`);
      assert.deepEqual(log.at('warn').map((l) => [l.msg, l['error']]), [['GPIO: reading the go-live button failed (logged again at most once a minute while it fails)', 'EIO: i/o error, read']]);
      button.readError = null;
      await sleep(100);
      const recovered = log.lines.filter((l) => l.msg === 'GPIO: reading the go-live button works again');
      assert.equal(recovered.length, 1);
      assert.ok(Number(recovered[0]?.['failures']) >= 5);
      assert.equal(log.at('warn').length, 1);
    } finally {
      await panel.stop();
    }
  });
});
