import { KNOWN_ELEMENTS } from '../../device/hardware/detect.js';
import type { Camera, Hardware, Microphone } from '../../device/hardware/types.js';

/** Hardware objects for the planner, shaped like what detect.ts reports on real boards. */

/**
 * Every element detection looks up (so, since the relay architecture, flvdemux,
 * tcpserversink and tcpclientsrc too). Taken from KNOWN_ELEMENTS rather than
 * listed here, so fake hardware never holds an element real detection could
 * not report; plan.test.ts checks it covers everything a plan can require.
 */
export const ALL_ELEMENTS: readonly string[] = KNOWN_ELEMENTS;

export function elementsWithout(...missing: string[]): Set<string> {
  return new Set(ALL_ELEMENTS.filter((e) => !missing.includes(e)));
}

export const PICAM3: Camera = { kind: 'picam', device: '/dev/video0', name: 'unicam-image', driver: 'unicam', formats: ['raw'] };
export const PICAM_LEGACY: Camera = { kind: 'picam-legacy', device: '/dev/video0', name: 'camera0', driver: 'bcm2835_v4l2', formats: ['raw', 'mjpeg', 'h264'] };
/** A C920 with current firmware: YUYV and MJPG. */
export const C920: Camera = { kind: 'usb', device: '/dev/video0', name: 'HD Pro Webcam C920', driver: 'uvcvideo', formats: ['raw', 'mjpeg'] };
/** An older C920 (or a C930e) that also sends H.264 itself. */
export const C920_H264: Camera = { ...C920, formats: ['raw', 'h264', 'mjpeg'] };
/** A cheap HDMI dongle offering only raw YUYV. */
export const HDMI_RAW: Camera = { kind: 'usb', device: '/dev/video2', name: 'USB Video', driver: 'uvcvideo', formats: ['raw'] };

export const USB_MIC: Microphone = { card: 1, id: 'Device', name: 'USB Audio Device', device: 'hw:CARD=Device,DEV=0', usb: true, webcam: false };
export const I2S_MIC: Microphone = { card: 0, id: 'sndrpigooglevoi', name: 'snd_rpi_googlevoicehat_soundcar', device: 'hw:CARD=sndrpigooglevoi,DEV=0', usb: false, webcam: false };
/** A C920's built-in microphone: a USB card on the same USB device as the camera. */
export const C920_MIC: Microphone = { card: 1, id: 'C920', name: 'HD Pro Webcam C920', device: 'hw:CARD=C920,DEV=0', usb: true, webcam: true };
/** A USB audio interface (Behringer UMC202HD), the box's intended sound. */
export const UMC202HD: Microphone = { card: 2, id: 'U192k', name: 'UMC202HD 192k', device: 'hw:CARD=U192k,DEV=0', usb: true, webcam: false };

export function pi4(over: Partial<Hardware> = {}): Hardware {
  return {
    board: { model: 'Raspberry Pi 4 Model B Rev 1.4', pi: 'pi4' },
    cameras: [],
    microphones: [],
    elements: new Set(ALL_ELEMENTS),
    hardwareEncoder: true,
    ...over,
  };
}

export function pi5(over: Partial<Hardware> = {}): Hardware {
  return pi4({ board: { model: 'Raspberry Pi 5 Model B Rev 1.0', pi: 'pi5' }, hardwareEncoder: false, ...over });
}
