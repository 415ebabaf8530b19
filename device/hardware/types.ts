/** What the box found attached to it. Produced by detect.ts, consumed by the pure planner. */

export type CameraFormat = 'raw' | 'mjpeg' | 'h264';

export interface Camera {
  /** picam: libcamera stack; picam-legacy: the bcm2835_v4l2 module (legacy MMAL stack, start_x=1); usb: a UVC camera or HDMI dongle. */
  kind: 'picam' | 'picam-legacy' | 'usb';
  /** /dev/videoN (for libcamera cameras, the sensor's capture node). */
  device: string;
  /** /sys/class/video4linux/videoN/name ("camera0" for the legacy camera). */
  name: string;
  /** The bound driver (the module, bcm2835_v4l2, for the legacy camera, whose node has no parent device). */
  driver: string;
  formats: CameraFormat[];
  /** A libcamera sensor that drives a focus lens (Camera Module 3 and the like): it needs autofocus switched on, or it stays focused at about 1 m. */
  autofocus?: boolean;
}

export interface Microphone {
  card: number;
  id: string;
  name: string;
  /** The ALSA device string the pipeline opens. */
  device: string;
  usb: boolean;
  /**
   * The card belongs to a USB device that is also a UVC camera: a webcam's
   * built-in microphone (or an HDMI grabber's sound), usually not the talk's
   * sound. False for other cards, and when sysfs does not say.
   */
  webcam: boolean;
}

export type PiModel = 'pi3' | 'pi4' | 'pi5' | 'zero2w' | 'pi-other';

export interface Board {
  /** /proc/device-tree/model, e.g. "Raspberry Pi 4 Model B Rev 1.4"; null off a Pi. */
  model: string | null;
  pi: PiModel | null;
}

export interface Hardware {
  board: Board;
  cameras: Camera[];
  microphones: Microphone[];
  /** GStreamer elements present on this system that the planner may choose from. */
  elements: ReadonlySet<string>;
  /** A V4L2 memory-to-memory H.264 encoder device exists (bcm2835-codec on Pi 3/4/Zero 2 W). */
  hardwareEncoder: boolean;
  /** libcamerasrc's property for the autofocus mode, looked up only when an autofocus camera is found; null: it has none. */
  libcameraAf?: LibcameraAfProperty | null;
}

/** libcamera 0.5+ generates af-mode from its controls; 0.1-0.4 had auto-focus-mode. */
export type LibcameraAfProperty = 'af-mode' | 'auto-focus-mode';
