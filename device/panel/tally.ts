import type { StreamState } from '../state.js';

export type TallyPattern = 'off' | 'steady' | 'slow' | 'fast' | 'identify';

/**
 * What the tally light says (pure): off idle, steady live, a slow blink while
 * connecting or retrying, a fast blink on an error, and a triple flash while
 * the box shows itself (identify), whatever else it is doing.
 */
export function tallyPattern(state: Pick<StreamState, 'phase' | 'destinations'>, identifying: boolean): TallyPattern {
  if (identifying) return 'identify';
  switch (state.phase) {
    case 'idle':
      return 'off';
    case 'error':
      return 'fast';
    case 'starting':
    case 'stopping':
      return 'slow';
    case 'live':
      return state.destinations.some((d) => d.state !== 'live') ? 'slow' : 'steady';
  }
}

/** Whether the light is on at time `t` (ms) in a pattern. */
export function lightOn(pattern: TallyPattern, t: number): boolean {
  switch (pattern) {
    case 'off':
      return false;
    case 'steady':
      return true;
    case 'slow':
      return t % 1000 < 500;
    case 'fast':
      return t % 200 < 100;
    case 'identify': {
      const p = t % 1500;
      return p < 100 || (p >= 200 && p < 300) || (p >= 400 && p < 500);
    }
  }
}
