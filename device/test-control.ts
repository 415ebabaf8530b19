import type { Logger } from '../common/log.js';
import type { DeviceAgent } from './agent.js';

/**
 * Test controls, taken only from a parent process that started the agent
 * with an IPC channel (the integration tests and benchmarks; balena never
 * does). They act through the real paths: a fault makes GStreamer fail the
 * source, as an unplugged camera does.
 */
export type TestControl = { type: 'inject-fault'; feed: 'video' | 'audio' } | { type: 'test-flash'; on: boolean };

export function parseTestControl(msg: unknown): TestControl | null {
  if (typeof msg !== 'object' || msg === null) return null;
  const m = msg as Record<string, unknown>;
  if (m['type'] === 'inject-fault' && (m['feed'] === 'video' || m['feed'] === 'audio')) return { type: 'inject-fault', feed: m['feed'] };
  if (m['type'] === 'test-flash' && typeof m['on'] === 'boolean') return { type: 'test-flash', on: m['on'] };
  return null;
}

/** Listens on the IPC channel, if there is one; malformed messages are dropped, counted and logged. */
export function listenForTestControls(agent: DeviceAgent, log: Logger): void {
  if (!process.send) return;
  let dropped = 0;
  process.on('message', (msg: unknown) => {
    const control = parseTestControl(msg);
    if (!control) {
      dropped += 1;
      log.warn('test control dropped: not understood', { dropped });
      return;
    }
    const done = control.type === 'inject-fault' ? agent.injectFault(control.feed) : agent.setFlash(control.on);
    if (!done) log.warn('test control ignored: not live', { control: control.type });
  });
  // The channel must not keep the agent alive after SIGTERM.
  process.channel?.unref();
}
