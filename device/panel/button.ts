export type ButtonEvent = 'press' | 'long';

/** Contacts bounce for a few milliseconds; a long press is held this long. */
export const DEBOUNCE_MS = 30;
export const LONG_PRESS_MS = 2000;

/**
 * Turns the button's edges into presses (pure: the times are given). A press
 * shorter than the bounce is noise; one held LONG_PRESS_MS is a long press,
 * reported while still held (the light answers at once) and only once.
 */
export class PressReader {
  private downAt: number | null = null;
  private longSent = false;
  private lastEdgeAt = -Infinity;

  /** `down`: the button is pressed now (the pin reads low with the usual pull-up wiring). */
  edge(down: boolean, at: number): ButtonEvent | null {
    // Within the bounce of the last edge, or no change: nothing happened (tick() catches up on the level).
    if (at - this.lastEdgeAt < DEBOUNCE_MS || down === (this.downAt !== null)) return null;
    this.lastEdgeAt = at;
    if (down) {
      if (this.downAt === null) {
        this.downAt = at;
        this.longSent = false;
      }
      return null;
    }
    const since = this.downAt;
    this.downAt = null;
    if (since === null || this.longSent) return null;
    const held = at - since;
    if (held < DEBOUNCE_MS) return null;
    return held >= LONG_PRESS_MS ? 'long' : 'press';
  }

  /**
   * Called now and then with the level the pin reads: an edge lost in a bounce
   * is caught up, and a button held long enough is a long press before it is
   * let go.
   */
  tick(at: number, down: boolean): ButtonEvent | null {
    if (down !== (this.downAt !== null)) return this.edge(down, at);
    if (this.downAt === null || this.longSent || at - this.downAt < LONG_PRESS_MS) return null;
    this.longSent = true;
    return 'long';
  }
}
