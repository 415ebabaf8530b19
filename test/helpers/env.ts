import { join } from 'node:path';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The environment of a virtual box under test: test pattern and tone,
 * autostart, state in `dir`, and host paths pointed at empty folders so this
 * machine's own /sys and /proc cannot change what is planned.
 */
export function boxEnv(dir: string, extra: Record<string, string>): Record<string, string> {
  return {
    ROOMCAST_VIDEO_SOURCE: 'test',
    ROOMCAST_AUDIO_SOURCE: 'test',
    ROOMCAST_AUTOSTART: 'true',
    ROOMCAST_DATA_DIR: dir,
    ROOMCAST_HOST_SYS: join(dir, 'host/sys'),
    ROOMCAST_HOST_PROC: join(dir, 'host/proc'),
    ROOMCAST_HOST_DEV: join(dir, 'host/dev'),
    ROOMCAST_LOG_LEVEL: 'info',
    ...extra,
  };
}
