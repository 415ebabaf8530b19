import { loadConfig, type Env } from '../../common/config/load.js';
import type { DeviceConfig } from '../../common/config/schema.js';

export const YOUTUBE_KEY = 'abcd-efgh-ijkl-mnop-qrst';

/** A valid config from environment overrides; streams to YouTube unless ROOMCAST_DESTINATIONS is given. */
export function configFrom(env: Env = {}): DeviceConfig {
  const result = loadConfig({ ROOMCAST_DESTINATIONS: `youtube:${YOUTUBE_KEY}`, ...env });
  if (!result.ok) throw result.error;
  return result.config;
}
