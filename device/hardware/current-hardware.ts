import type { Logger } from '../../common/log.js';
import type { Camera, Hardware, Microphone } from './types.js';

/** Detection at most this often: a button pressed twice, or a dashboard asking for stills, detects once. */
export const HARDWARE_MAX_AGE_MS = 2000;
/** A detection stuck longer (v4l2-ctl on a wedged USB camera) is not waited for: the last one is used. */
export const DETECTION_DEADLINE_MS = 5000;

const cameraLabel = (c: Camera): string => `${c.name} (${c.device})`;
const micLabel = (m: Microphone): string => `${m.name} (${m.device})`;

/** Pure: what was plugged in or out between two detections, in words for the log. */
export function hardwareChanges(before: Hardware, after: Hardware): string[] {
  const diff = <T>(what: string, a: T[], b: T[], label: (x: T) => string): string[] => {
    const [was, now] = [new Set(a.map(label)), new Set(b.map(label))];
    return [...[...now].filter((x) => !was.has(x)).map((x) => `${what} plugged in: ${x}`), ...[...was].filter((x) => !now.has(x)).map((x) => `${what} gone: ${x}`)];
  };
  const formats = after.cameras
    .map((c) => ({ c, was: before.cameras.find((b) => cameraLabel(b) === cameraLabel(c)) }))
    .filter(({ c, was }) => was && was.formats.join() !== c.formats.join())
    .map(({ c }) => `camera ${cameraLabel(c)} now offers ${c.formats.join(', ') || 'no known format'}`);
  return [...diff('camera', before.cameras, after.cameras, cameraLabel), ...formats, ...diff('microphone', before.microphones, after.microphones, micLabel)];
}

/**
 * Pure: what a stream that went live with `session` would lose by taking
 * `next`: its camera or USB microphone with none in its place (one that moved
 * to another node is not lost).
 */
export function lostSources(session: Hardware, next: Hardware): string[] {
  const cameras = session.cameras.length > 0 && next.cameras.length === 0 ? session.cameras.map((c) => `camera ${cameraLabel(c)}`) : [];
  const usbMics = (h: Hardware): Microphone[] => h.microphones.filter((m) => m.usb);
  const mics = usbMics(session).length > 0 && usbMics(next).length === 0 ? usbMics(session).map((m) => `microphone ${micLabel(m)}`) : [];
  return [...cameras, ...mics];
}

/**
 * The hardware the box has now. Cameras and USB audio interfaces come and go
 * (plugged in after power-on, or moved to another port), so each go-live and
 * each idle still detects again, at most every HARDWARE_MAX_AGE_MS; a running
 * stream keeps what it went live with (a retry does not swap a lost camera for
 * the test pattern). A failed detection keeps the last one.
 */
export class CurrentHardware {
  private detectedAt: number;
  private pending: Promise<Hardware> | null = null;

  constructor(
    private value: Hardware,
    private readonly detect: (() => Promise<Hardware>) | null,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
    private readonly deadlineMs = DETECTION_DEADLINE_MS,
  ) {
    this.detectedAt = clock();
  }

  /** What the last detection found. */
  get now(): Hardware {
    return this.value;
  }

  /**
   * Detected again unless the last detection is recent; callers at the same
   * time share one detection, and none waits more than the deadline for it.
   */
  async fresh(): Promise<Hardware> {
    if (!this.detect || this.clock() - this.detectedAt < HARDWARE_MAX_AGE_MS) return this.value;
    this.pending ??= this.redetect(this.detect).finally(() => {
      this.pending = null;
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<Hardware>((resolve) => {
      timer = setTimeout(() => {
        this.log.warn('hardware detection takes too long: going on with what was found before', { waitedMs: this.deadlineMs });
        resolve(this.value);
      }, this.deadlineMs);
    });
    try {
      return await Promise.race([this.pending, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async redetect(detect: () => Promise<Hardware>): Promise<Hardware> {
    try {
      const next = await detect();
      const changes = hardwareChanges(this.value, next);
      if (changes.length > 0) this.log.info('hardware changed', { changes, cameras: next.cameras, microphones: next.microphones });
      this.value = next;
      this.detectedAt = this.clock();
    } catch (err) {
      this.log.warn('hardware detection failed: going on with what was found before', { error: err instanceof Error ? err.message : String(err) });
    }
    return this.value;
  }
}
