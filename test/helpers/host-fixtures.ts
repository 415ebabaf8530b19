import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostPaths } from '../../device/hardware/paths.js';

/** The fixture trees of real Pis' /sys, /proc and /dev, in the source tree (dist/test/helpers/ -> test/fixtures/; fixtures are not compiled). */
export const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));

/** The names of the fixture trees, one per board. */
export type HostFixture = 'pi3-legacy-cam' | 'pi4-c920' | 'pi5-picam3' | 'zero2w-i2s-mic';

export function fixturePaths(name: HostFixture): HostPaths {
  const root = join(FIXTURES, name);
  return { sys: join(root, 'sys'), proc: join(root, 'proc'), dev: join(root, 'dev') };
}

/** The ROOMCAST_HOST_* variables that point a real process at a fixture tree. */
export function fixtureEnv(name: HostFixture): Record<string, string> {
  const p = fixturePaths(name);
  return { ROOMCAST_HOST_SYS: p.sys, ROOMCAST_HOST_PROC: p.proc, ROOMCAST_HOST_DEV: p.dev };
}
