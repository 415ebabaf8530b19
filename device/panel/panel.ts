import type { Logger } from '../../common/log.js';
import type { DeviceAgent } from '../agent.js';
import type { StreamState } from '../state.js';
import { PressReader, type ButtonEvent } from './button.js';
import type { GpioLine, LineOpener } from './gpio-line.js';
import { RepeatedFailure, type FailureNote } from './repeated-failure.js';
import { lightOn, tallyPattern } from './tally.js';

/** The button is read, and the light set, this often: well inside the 30 ms bounce and a 100 ms flash. */
const TICK_MS = 20;
const IDENTIFY_SECONDS = 30;

/** What the panel uses of the agent. */
export type PanelAgent = Pick<DeviceAgent, 'identifying' | 'identify' | 'goLive' | 'stopStream'> & { readonly current: Pick<StreamState, 'phase' | 'destinations'> };

export interface PanelOptions {
  /** onoff on the kernel's /sys, or a test tree's files: lineOpener(sys) in gpio-line.ts. */
  openLine: LineOpener;
  buttonBcm: number | null;
  ledBcm: number | null;
  agent: PanelAgent;
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
  private readonly buttonFailures = new RepeatedFailure();
  private readonly ledFailures = new RepeatedFailure();

  private constructor(
    private readonly opts: PanelOptions,
    private readonly button: GpioLine | null,
    private readonly led: GpioLine | null,
  ) {}

  static async open(opts: PanelOptions): Promise<Panel | null> {
    if (opts.buttonBcm === null && opts.ledBcm === null) return null;
    const line = async (bcm: number | null, direction: 'in' | 'out', what: string): Promise<GpioLine | null> => {
      if (bcm === null) return null;
      try {
        const l = await opts.openLine(bcm, direction);
        opts.log.info(`GPIO: ${what} on GPIO ${bcm}`, { sysfs: l.number });
        return l;
      } catch (err) {
        opts.log.error(`GPIO: no ${what}; the box runs on without it`, { gpio: bcm, error: message(err) });
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
      const high = this.button ? await this.readButton(this.button, now) : null;
      // Wired to ground with a pull-up: pressed reads low.
      if (high !== null) this.act(this.reader.tick(now, !high));
      if (this.led) {
        const on = lightOn(tallyPattern(this.opts.agent.current, this.opts.agent.identifying), now);
        if (on !== this.lit) {
          try {
            await this.led.write(on);
            this.lit = on;
            this.note('setting the tally light', this.ledFailures.succeeded());
          } catch (err) {
            // Unknown now: set it again on the next tick.
            this.lit = null;
            this.note('setting the tally light', this.ledFailures.failed(now, message(err)));
          }
        }
      }
    } finally {
      this.reading = false;
    }
  }

  /** The button's level, or null when it cannot be read (logged, rate-limited). */
  private async readButton(button: GpioLine, now: number): Promise<boolean | null> {
    try {
      const high = await button.read();
      this.note('reading the go-live button', this.buttonFailures.succeeded());
      return high;
    } catch (err) {
      this.note('reading the go-live button', this.buttonFailures.failed(now, message(err)));
      return null;
    }
  }

  private note(what: string, n: FailureNote | null): void {
    if (n === null) return;
    const { log } = this.opts;
    switch (n.kind) {
      case 'first':
        log.warn(`GPIO: ${what} failed (logged again at most once a minute while it fails)`, { error: n.error });
        return;
      case 'again':
        log.warn(`GPIO: ${what} still fails`, { error: n.error, failures: n.failures });
        return;
      case 'recovered':
        log.info(`GPIO: ${what} works again`, { failures: n.failures });
        return;
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
      void agent.goLive().then((r) => {
        if (!r.ok) log.error('button: cannot go live', { errors: r.errors });
      });
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

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));
