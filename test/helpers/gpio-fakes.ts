import type { GpioLine } from '../../device/panel/gpio-line.js';
import type { PanelAgent } from '../../device/panel/panel.js';

/** A GPIO line in memory: its level, and an error its reads give while set. */
export class MemoryLine implements GpioLine {
  high = true;
  readError: Error | null = null;
  reads = 0;

  constructor(readonly number: number) {}

  read(): Promise<boolean> {
    this.reads += 1;
    return this.readError ? Promise.reject(this.readError) : Promise.resolve(this.high);
  }

  write(high: boolean): Promise<void> {
    this.high = high;
    return Promise.resolve();
  }

  release(): void {}
}

const notImplemented = (what: string): never => {
  throw new Error(`the idle agent fake does not implement ${what}`);
};

/** An agent that stays idle; the panel acting on it (a press) throws. */
export const idleAgent: PanelAgent = {
  current: { phase: 'idle', destinations: [] },
  identifying: false,
  identify: () => notImplemented('identify'),
  goLive: () => notImplemented('goLive'),
  stopStream: () => notImplemented('stopStream'),
};
