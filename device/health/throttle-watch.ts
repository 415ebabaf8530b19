import type { Logger } from '../../common/log.js';
import type { HostPaths } from '../hardware/paths.js';
import type { ProblemLog } from './problems.js';
import { ThrottleLatch } from './throttle-latch.js';
import { FirmwareThrottleSource, type VcgencmdOptions } from './throttle-source.js';
import { throttleFlags, type ThrottleFlags } from './throttled.js';
import { UnderVoltageAlarm } from './under-voltage-alarm.js';

/**
 * Half the raspberrypi-hwmon driver's 2 s poll (throttle-latch.ts): each of
 * its answers stays readable for 2 s, so reading every second sees every one.
 */
export const THROTTLE_POLL_MS = 1000;

export interface ThrottleWatchOptions {
  paths: HostPaths;
  log: Logger;
  problems: ProblemLog;
  vcgencmd: VcgencmdOptions;
  pollMs: number;
}

/**
 * The throttling flags of the health sample, latched between samples
 * (throttle-latch.ts). Between start() and stop() it reads the two cheap
 * sysfs sources every pollMs: the firmware device's get_throttled file and
 * the rpi_volt hwmon's under-voltage alarm. vcgencmd is never run on that
 * timer, only at a sample: it is a process. A box with neither sysfs source
 * gets no timer at all (looked at once, at start).
 */
export class ThrottleWatch {
  private readonly firmware: FirmwareThrottleSource;
  private readonly alarm: UnderVoltageAlarm;
  private readonly latch = new ThrottleLatch();
  private running = false;
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<boolean> | null = null;
  /** Polls done since start (a test waits for them rather than for time). */
  polls = 0;

  constructor(private readonly options: ThrottleWatchOptions) {
    this.firmware = new FirmwareThrottleSource(options.paths, options.vcgencmd);
    this.alarm = new UnderVoltageAlarm(options.paths);
  }

  /** Reads the sysfs sources once and, if there is one, every pollMs until stop(). Never rejects: a failing source is logged. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const found = await this.pollOnce();
    if (!this.running) return;
    if (!found) {
      this.options.log.info('no get_throttled file or rpi_volt hwmon: throttling is read at each health sample only');
      return;
    }
    this.schedule();
  }

  /** Stops the timer and waits for a read in progress: nothing is read after this. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.polling;
  }

  /**
   * Every source once, vcgencmd too when it is the only one, into the latch,
   * and the flags to report: the "now" bits of this reading and every
   * "occurred" bit latched. Without a get_throttled word this time, only
   * what the alarm says; without either, nothing.
   */
  async sample(): Promise<Partial<ThrottleFlags>> {
    const [word, alarm] = await Promise.all([
      this.options.problems.attempt('throttling', () => this.firmware.read()),
      this.options.problems.attempt('underVoltageAlarm', () => this.alarm.read()),
    ]);
    if (alarm.ok && alarm.value !== undefined) this.latch.observeUnderVoltageAlarm(alarm.value);
    if (word.ok && word.value !== undefined) {
      this.latch.observe(word.value);
      return throttleFlags(this.latch.word());
    }
    return alarm.ok && alarm.value !== undefined ? { underVoltageOccurred: this.latch.underVoltageOccurred } : {};
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.pollOnce().then(() => {
        if (this.running) this.schedule();
      });
    }, this.options.pollMs);
  }

  private async pollOnce(): Promise<boolean> {
    const poll = this.poll();
    this.polling = poll;
    try {
      return await poll;
    } finally {
      this.polls += 1;
      if (this.polling === poll) this.polling = null;
    }
  }

  /** One read of the sysfs sources into the latch; true when this box has at least one (a failing one counts: it is logged, and read again). */
  private async poll(): Promise<boolean> {
    const [word, alarm] = await Promise.all([
      // Not 'throttling': at a sample that one may be vcgencmd failing, which the sysfs file being absent must not "recover".
      this.options.problems.attempt('throttlingPoll', () => this.firmware.readSysfs()),
      this.options.problems.attempt('underVoltageAlarm', () => this.alarm.read()),
    ]);
    if (word.ok && word.value !== undefined) this.latch.observe(word.value);
    if (alarm.ok && alarm.value !== undefined) this.latch.observeUnderVoltageAlarm(alarm.value);
    return !word.ok || word.value !== undefined || !alarm.ok || alarm.value !== undefined;
  }
}
