import type { DeviceId } from '../common/protocol.js';
import type { DeviceView } from './device-view.js';

export type DeviceListener = (view: DeviceView) => void;

/**
 * Tells open dashboards that a box changed. A box that reports often (health,
 * meters) is sent at most every `minIntervalMs`, with its latest view: the
 * page stays live without a message per MQTT message.
 */
export class DeviceEvents {
  private readonly listeners = new Set<DeviceListener>();
  private readonly due = new Map<DeviceId, NodeJS.Timeout>();

  constructor(
    private readonly load: (id: DeviceId) => Promise<DeviceView | null>,
    private readonly minIntervalMs = 500,
  ) {}

  changed(id: DeviceId): void {
    if (this.listeners.size === 0 || this.due.has(id)) return;
    this.due.set(
      id,
      setTimeout(() => {
        this.due.delete(id);
        this.load(id).then(
          (view) => {
            if (view) for (const l of this.listeners) l(view);
          },
          () => undefined,
        );
      }, this.minIntervalMs),
    );
  }

  subscribe(listener: DeviceListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    for (const t of this.due.values()) clearTimeout(t);
    this.due.clear();
    this.listeners.clear();
  }
}
