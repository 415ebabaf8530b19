/** Quality presets: what the crew picks instead of sizes, frame rates and bitrates. */
export interface QualityPreset {
  id: string;
  label: string;
  size: string;
  framerate: string;
  bitrateKbps: string;
}

export const QUALITY_PRESETS: readonly QualityPreset[] = [
  { id: '480p30', label: '480p, 30 fps, 1.2 Mbit/s (weak uplink)', size: '854x480', framerate: '30', bitrateKbps: '1200' },
  { id: '720p30', label: '720p, 30 fps, 2.5 Mbit/s (most rooms)', size: '1280x720', framerate: '30', bitrateKbps: '2500' },
  { id: '720p30-yt', label: '720p, 30 fps, 4 Mbit/s (YouTube recommends)', size: '1280x720', framerate: '30', bitrateKbps: '4000' },
  { id: '1080p30', label: '1080p, 30 fps, 4.5 Mbit/s', size: '1920x1080', framerate: '30', bitrateKbps: '4500' },
  { id: '1080p30-hi', label: '1080p, 30 fps, 6 Mbit/s (Twitch maximum)', size: '1920x1080', framerate: '30', bitrateKbps: '6000' },
];

export const SIZE = 'ROOMCAST_VIDEO_SIZE';
export const FRAMERATE = 'ROOMCAST_FRAMERATE';
export const BITRATE = 'ROOMCAST_VIDEO_BITRATE';
/** The box's defaults (common/config/schema.ts), for a box that sets none of the three. */
const DEFAULTS: Readonly<Record<string, string>> = { [SIZE]: '1280x720', [FRAMERATE]: '30', [BITRATE]: '2500' };

/** The preset the box's values match, or null (custom values, kept as they are). */
export function presetOf(values: Readonly<Record<string, string>>): QualityPreset | null {
  const get = (k: string): string => values[k] || (DEFAULTS[k] ?? '');
  return QUALITY_PRESETS.find((p) => p.size === get(SIZE) && p.framerate === get(FRAMERATE) && p.bitrateKbps === get(BITRATE)) ?? null;
}

export function describeQuality(values: Readonly<Record<string, string>>): string {
  const get = (k: string): string => values[k] || (DEFAULTS[k] ?? '');
  return `${get(SIZE)}, ${get(FRAMERATE)} fps, ${get(BITRATE)} kbit/s`;
}
