import type { VideoInput } from '../pipeline/plan.js';

/** What takes a still while the box is idle (its camera free): chosen from the camera and the tools the box has (pure). */
export type IdleStillPlan =
  | { tool: 'rpicam-still'; command: string; args: string[] }
  | { tool: 'raspistill'; width: number; height: number; quality: number }
  | { tool: 'gstreamer'; args: string[] }
  | { tool: 'none'; reason: string };

export interface StillTools {
  /** rpicam-still (Bookworm) or libcamera-still (Bullseye) on the PATH, or null. */
  rpicamStill: string | null;
  /** The legacy stack's raspistill is on the PATH (gone since Bullseye). */
  raspistill: boolean;
}

export const IDLE_STILL_WIDTH = 640;
export const IDLE_STILL_HEIGHT = 360;

/**
 * The libcamera PiCam: rpicam-still. The legacy PiCam: raspistill, through
 * node-raspistill, where it still exists. A USB camera or the test pattern:
 * one short GStreamer run, a few frames so a webcam's exposure settles, the
 * last one kept (multifilesink with one file).
 */
export function planIdleStill(input: VideoInput, legacyPicam: boolean, tools: StillTools, quality: number, dir: string): IdleStillPlan {
  const w = IDLE_STILL_WIDTH;
  const h = IDLE_STILL_HEIGHT;
  const tail = ['!', 'videoconvert', '!', 'videoscale', '!', `video/x-raw,width=${w},height=${h},pixel-aspect-ratio=1/1`, '!', 'jpegenc', `quality=${quality}`, '!', 'multifilesink', `location=${dir}/still-%05d.jpg`, 'max-files=1'];
  switch (input.kind) {
    case 'libcamera':
      if (!tools.rpicamStill) return { tool: 'none', reason: 'no rpicam-still on this box to take a still of the idle camera' };
      return { tool: 'rpicam-still', command: tools.rpicamStill, args: ['-n', '-t', '500', '--width', String(w), '--height', String(h), '-q', String(quality), '-e', 'jpg', '-o', '-'] };
    case 'test':
      return { tool: 'gstreamer', args: ['-q', 'videotestsrc', 'num-buffers=1', 'pattern=smpte', ...tail] };
    case 'v4l2': {
      if (legacyPicam && tools.raspistill) return { tool: 'raspistill', width: w, height: h, quality };
      const decode = input.format === 'mjpeg' ? ['!', 'jpegdec'] : input.format === 'h264' ? ['!', 'h264parse', '!', 'avdec_h264'] : [];
      return { tool: 'gstreamer', args: ['-q', 'v4l2src', `device=${input.device}`, 'num-buffers=10', ...decode, ...tail] };
    }
  }
}
