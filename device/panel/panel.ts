import type { Logger } from '../../common/log.js';
import type { DeviceAgent } from '../agent.js';
import { PressReader, type ButtonEvent } from './button.js';
import { readGpioChips } from './gpio-chips.js';
import { fileLine, onoffLine, type GpioLine } from './gpio-line.js';
import { sysfsNumber } from './gpio-numbers.js';
import { lightOn, tallyPattern } from './tally.js';

/** The button is read, and the light set, this often: well inside the 30 ms bounce and a 100 ms flash. */
const TICK_MS = 20;
const IDENTIFY_SECONDS = 30;

export interface PanelOptions {
  /** /sys, or a test's tree (then the lines are its files, not onoff). */
  sys: string;
  buttonBcm: number | null;
  ledBcm: number | null;
  agent: DeviceAgent;
  log: Logger;
}

/**
 * The box's one button and one light. Each is optional and fails closed: a
 * pin the kernel refuses is logged once, plainly, and the agent runs on
 * without it.
 */
export class Panel {
  private timer: NodeJS.Timeout | null = null;
  private readonly reader = new PressReader();
  private lit: boolean | null = null;
  private reading = false;

  private constructor(
    private readonly opts: PanelOptions,
    private readonly button: GpioLine | null,
    private readonly led: GpioLine | null,
  ) {}

  static async open(opts: PanelOptions): Promise<Panel | null> {
    if (opts.buttonBcm === null && opts.ledBcm === null) return null;
    const chips = await readGpioChips(opts.sys);
    const line = async (bcm: number | null, direction: 'in' | 'out', what: string): Promise<GpioLine | null> => {
      if (bcm === null) return null;
      const n = sysfsNumber(bcm, chips);
      try {
        if (!n.ok) throw new Error(n.error);
        const l = opts.sys === '/sys' ? onoffLine(n.number, direction) : await fileLine(opts.sys, n.number);
        opts.log.info(`GPIO: ${what} on GPIO ${bcm}`, { sysfs: n.number });
        return l;
      } catch (err) {
        opts.log.error(`GPIO: no ${what}; the box runs on without it`, { gpio: bcm, error: err instanceof Error ? err.message : String(err) });
        return null;
      }
    };
    const button = await line(opts.buttonBcm, 'in', 'go-live button');
    const led = await line(opts.ledBcm, 'out', 'tally light');
    return button || led ? new Panel(opts, button, led) : null;
  }

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), TICK_MS);
  }

  private async tick(): Promise<void> {
    if (this.reading) return;
    this.reading = true;
    try {
      const now = Date.now();
      // Wired to ground with a pull-up: pressed reads low.
      if (this.button) this.act(this.reader.tick(now, !(await this.button.read())));
      if (this.led) {
        const on = lightOn(tallyPattern(this.opts.agent.current, this.opts.agent.identifying), now);
        if (on !== this.lit) {
          this.lit = on;
          await this.led.write(on);
        }
      }
    } catch (err) {
      this.opts.log.warn('GPIO: reading or setting a pin failed', { error: err instanceof Error ? err.message : String(err) });
    } finally {
      this.reading = false;
    }
  }

  private act(event: ButtonEvent | null): void {
    if (event === null) return;
    const { agent, log } = this.opts;
    if (event === 'long') {
      log.info('button: long press: identify');
      agent.identify(IDENTIFY_SECONDS);
      return;
    }
    const phase = agent.current.phase;
    if (phase === 'idle' || phase === 'error') {
      log.info('button: go live');
      const r = agent.goLive();
      if (!r.ok) log.error('button: cannot go live', { errors: r.errors });
    } else {
      log.info('button: stop');
      void agent.stopStream();
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.led?.write(false).catch(() => undefined);
    this.button?.release();
    this.led?.release();
  }
}
