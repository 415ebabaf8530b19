import type { DetectTools } from '../../device/hardware/detect.js';
import type { CameraFormat } from '../../device/hardware/types.js';

/** A hand-written stand-in for v4l2-ctl and gst-inspect-1.0 that records what it was asked. */
export class FakeDetectTools implements DetectTools {
  readonly formatQueries: string[] = [];
  readonly elementQueries: string[][] = [];
  private readonly installed: Set<string>;

  constructor(
    private readonly formats: Readonly<Record<string, CameraFormat[]>>,
    installed: Iterable<string>,
  ) {
    this.installed = new Set(installed);
  }

  cameraFormats(device: string): Promise<CameraFormat[]> {
    this.formatQueries.push(device);
    return Promise.resolve([...(this.formats[device] ?? [])]);
  }

  installedElements(names: readonly string[]): Promise<Set<string>> {
    this.elementQueries.push([...names]);
    return Promise.resolve(new Set(names.filter((n) => this.installed.has(n))));
  }
}
