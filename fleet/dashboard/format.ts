import type { DestinationState, Device, Platform } from './types.js';

/** Pure wording and number formats for the page (no DOM): unit-tested in test/unit/dashboard-format.test.ts. */

export type Tone = 'live' | 'starting' | 'idle' | 'error' | 'offline';

/** The one big word on a card: whether the stream works, for someone who is not an A/V expert. */
export function liveState(d: Pick<Device, 'online' | 'status' | 'state' | 'destinations'>): { label: string; tone: Tone; detail: string } {
  if (!d.online) {
    const was = d.state === 'live' || d.state === 'starting' ? ' (it was live)' : '';
    if (d.status === 'lost') return { label: 'LOST', tone: 'offline', detail: `No contact with the box${was}` };
    if (d.status === 'offline') return { label: 'OFF', tone: 'offline', detail: `The box is switched off${was}` };
    return { label: 'NEW', tone: 'offline', detail: 'Enrolled, never connected' };
  }
  switch (d.state) {
    case 'live': {
      // The box may be live while no platform takes the stream: viewers see nothing, so neither may the badge say LIVE in green.
      const total = d.destinations.length;
      const live = d.destinations.filter((x) => x.state === 'live').length;
      const failing = d.destinations.filter((x) => x.state === 'retrying').length;
      if (total > 0 && live === 0) return failing > 0 ? { label: 'NOT ON AIR', tone: 'error', detail: 'Live on the box, but no platform receives the stream' } : { label: 'STARTING', tone: 'starting', detail: 'Connecting to the platforms' };
      if (failing > 0) return { label: 'LIVE', tone: 'starting', detail: `${failing} of ${total} destinations not receiving` };
      return { label: 'LIVE', tone: 'live', detail: total === 0 ? 'Recording only' : 'Streaming' };
    }
    case 'starting':
      return { label: 'STARTING', tone: 'starting', detail: 'Connecting to the platforms' };
    case 'stopping':
      return { label: 'STOPPING', tone: 'starting', detail: 'Ending the stream' };
    case 'error':
      return { label: 'ERROR', tone: 'error', detail: 'The stream stopped with an error' };
    case 'idle':
    case null:
      return { label: 'IDLE', tone: 'idle', detail: 'Not streaming' };
  }
}

export function connectionLabel(d: Pick<Device, 'online' | 'status' | 'revoked'>): string {
  if (d.revoked) return 'revoked';
  if (d.online) return 'online';
  return d.status ?? 'never connected';
}

const PLATFORMS: Readonly<Record<Platform, string>> = { youtube: 'YouTube', twitch: 'Twitch', facebook: 'Facebook', custom: 'RTMP server', ipfs: 'IPFS watch page' };

export function platformName(p: Platform): string {
  return PLATFORMS[p];
}

export function destinationLine(d: DestinationState): { label: string; tone: Tone; detail: string } {
  const name = d.platform === 'custom' ? d.url : platformName(d.platform);
  switch (d.state) {
    case 'live':
      return { label: name, tone: 'live', detail: `live · ${kbps(d.bitrateKbps)}` };
    case 'connecting':
      return { label: name, tone: 'starting', detail: 'connecting…' };
    case 'retrying': {
      const next = d.retryInMs === null ? '' : `, next try in ${Math.max(1, Math.round(d.retryInMs / 1000))} s`;
      return { label: name, tone: 'error', detail: `failing${d.lastError ? `: ${d.lastError}` : ''}${next}` };
    }
    case 'idle':
      return { label: name, tone: 'idle', detail: 'not streaming' };
  }
}

export function kbps(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(1)} Mbit/s` : `${Math.round(value)} kbit/s`;
}

export function bytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GiB`;
  if (n >= 1024 ** 2) return `${Math.round(n / 1024 ** 2)} MiB`;
  return `${Math.round(n / 1024)} KiB`;
}

/** "12 s ago", "3 min ago", "2 h ago". */
export function ago(iso: string | null, now: number): string {
  if (iso === null) return 'never';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

/** Local time of day, hh:mm:ss. */
export function clock(iso: string): string {
  const d = new Date(iso);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** dBFS (-60 and below is silence) as a 0..100 meter length. */
export function meterPercent(db: number): number {
  return Math.round(Math.min(100, Math.max(0, ((db + 60) / 60) * 100)));
}

/** The page title: the number of rooms that need a human first, so it shows in a tab. */
export function pageTitle(needAttention: number): string {
  return needAttention > 0 ? `(${needAttention}) roomcast: ${needAttention === 1 ? '1 room needs' : `${needAttention} rooms need`} attention` : 'roomcast';
}
