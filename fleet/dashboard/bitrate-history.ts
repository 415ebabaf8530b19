/** What each box sent (kbit/s) over the last minutes: seeded from health history, extended by live updates. Pure. */
export const HISTORY_MS = 10 * 60_000;

export interface BitratePoint {
  t: number;
  kbps: number;
}

export class BitrateHistory {
  private readonly points = new Map<string, BitratePoint[]>();

  /** Adds a sample unless one at that time is known; keeps them in time order. */
  add(id: string, at: string | null, kbps: number | undefined): void {
    if (at === null || kbps === undefined) return;
    const t = Date.parse(at);
    if (Number.isNaN(t)) return;
    const list = this.points.get(id) ?? [];
    if (list.some((p) => p.t === t)) return;
    list.push({ t, kbps });
    list.sort((a, b) => a.t - b.t);
    this.points.set(id, list.filter((p) => p.t >= t - HISTORY_MS));
  }

  recent(id: string, now: number): BitratePoint[] {
    return (this.points.get(id) ?? []).filter((p) => p.t >= now - HISTORY_MS);
  }

  has(id: string): boolean {
    return this.points.has(id);
  }
}
