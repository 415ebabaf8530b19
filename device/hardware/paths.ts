/**
 * Every host path the agent reads, in one place (as balena-supervisor's
 * constants module). Tests point these at a fixture tree of a real Pi.
 */
export interface HostPaths {
  sys: string;
  proc: string;
  dev: string;
}

export function hostPaths(env: Readonly<Record<string, string | undefined>> = process.env): HostPaths {
  return {
    sys: env['ROOMCAST_HOST_SYS'] ?? '/sys',
    proc: env['ROOMCAST_HOST_PROC'] ?? '/proc',
    dev: env['ROOMCAST_HOST_DEV'] ?? '/dev',
  };
}
