import assert from 'node:assert/strict';
import { cp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { detectBoard, afPropertyInBinary, detectHardware, KNOWN_ELEMENTS, parseLibcameraAfProperty, parseV4l2Formats, piModelOf } from '../../device/hardware/detect.js';
import { hostPaths, type HostPaths } from '../../device/hardware/paths.js';
import type { Microphone } from '../../device/hardware/types.js';
import { planPipeline } from '../../device/pipeline/plan.js';
import { configFrom } from '../helpers/config.js';
import { FakeDetectTools } from '../helpers/fake-detect-tools.js';
import { useTempDir } from '../helpers/fixture.js';
import { FIXTURES, fixturePaths as fixture } from '../helpers/host-fixtures.js';

/** The pi4-c920 tree's two USB cards as detection should report them. */
const C920_CARD: Microphone = { card: 1, id: 'C920', name: 'HD Pro Webcam C920', device: 'hw:CARD=C920,DEV=0', usb: true, webcam: true };
const UMC202HD_CARD: Microphone = { card: 2, id: 'U192k', name: 'UMC202HD 192k', device: 'hw:CARD=U192k,DEV=0', usb: true, webcam: false };

/**
 * A copy of the pi4-c920 tree where the interface enumerated first: card 1
 * is the UMC202HD and card 2 the C920, in /proc/asound and /sys/class/sound.
 */
async function swapUsbCards(dir: string): Promise<HostPaths> {
  const copy = join(dir, 'pi4-c920-swapped');
  await cp(join(FIXTURES, 'pi4-c920'), copy, { recursive: true, verbatimSymlinks: true });
  for (const parent of ['proc/asound', 'sys/class/sound']) {
    await rename(join(copy, parent, 'card1'), join(copy, parent, 'card-swap'));
    await rename(join(copy, parent, 'card2'), join(copy, parent, 'card1'));
    await rename(join(copy, parent, 'card-swap'), join(copy, parent, 'card2'));
  }
  for (const [id, card] of [['C920', 'card2'], ['U192k', 'card1']] as const) {
    await rm(join(copy, 'proc/asound', id));
    await symlink(card, join(copy, 'proc/asound', id));
  }
  await writeFile(
    join(copy, 'proc/asound/cards'),
    [
      ' 0 [Headphones     ]: bcm2835_headpho - bcm2835 Headphones',
      '                      bcm2835 Headphones',
      ' 1 [U192k          ]: USB-Audio - UMC202HD 192k',
      '                      BEHRINGER UMC202HD 192k at usb-0000:01:00.0-1.4, high speed',
      ' 2 [C920           ]: USB-Audio - HD Pro Webcam C920',
      '                      HD Pro Webcam C920 at usb-0000:01:00.0-1.3, high speed',
      '',
    ].join('\n'),
  );
  return { sys: join(copy, 'sys'), proc: join(copy, 'proc'), dev: join(copy, 'dev') };
}

describe('a Raspberry Pi 4 with a Logitech C920 and a USB audio interface', () => {
  const paths = fixture('pi4-c920');
  const video0 = join(paths.dev, 'video0');
  const tmp = useTempDir('roomcast-detect-c920-');

  it('is detected in full', async () => {
    const tools = new FakeDetectTools({ [video0]: ['raw', 'mjpeg'] }, ['x264enc', 'v4l2h264enc', 'v4l2src', 'rtmp2sink', 'not-asked-for']);
    const hw = await detectHardware(paths, tools);
    assert.deepEqual(hw.board, { model: 'Raspberry Pi 4 Model B Rev 1.4', pi: 'pi4' });
    assert.deepEqual(hw.cameras, [{ kind: 'usb', device: video0, name: 'HD Pro Webcam C920', driver: 'uvcvideo', formats: ['raw', 'mjpeg'] }]);
    assert.deepEqual(hw.microphones, [C920_CARD, UMC202HD_CARD]);
    assert.deepEqual([...hw.elements].sort(), ['rtmp2sink', 'v4l2h264enc', 'v4l2src', 'x264enc']);
    assert.equal(hw.hardwareEncoder, true);
  });

  it('asks v4l2-ctl only about the capture node, not the metadata node or the codec', async () => {
    const tools = new FakeDetectTools({}, []);
    await detectHardware(paths, tools);
    assert.deepEqual(tools.formatQueries, [video0]);
    assert.deepEqual(tools.elementQueries, [[...KNOWN_ELEMENTS]]);
  });

  it("plans hardware encoding of MJPEG capture with the audio interface, not the webcam's microphone on card 1", async () => {
    const hw = await detectHardware(paths, new FakeDetectTools({ [video0]: ['raw', 'mjpeg'] }, KNOWN_ELEMENTS));
    const result = planPipeline(configFrom({}), hw, { sessionStamp: '20261122-141503' });
    if (!result.ok) assert.fail(result.errors.join('; '));
    assert.deepEqual(result.plan.video.input, { kind: 'v4l2', device: video0, format: 'mjpeg' });
    assert.equal(result.plan.video.encoder, 'v4l2h264enc');
    assert.deepEqual(result.plan.audio.input, { kind: 'alsa', device: 'hw:CARD=U192k,DEV=0' });
  });

  it("tells the webcam's microphone by the card's USB device, whatever the card order", async () => {
    const swapped = await swapUsbCards(tmp.dir);
    const hw = await detectHardware(swapped, new FakeDetectTools({}, KNOWN_ELEMENTS));
    assert.deepEqual(hw.microphones, [{ ...UMC202HD_CARD, card: 1 }, { ...C920_CARD, card: 2 }]);
    const result = planPipeline(configFrom({}), hw, { sessionStamp: '20261122-141503' });
    if (!result.ok) assert.fail(result.errors.join('; '));
    assert.deepEqual(result.plan.audio.input, { kind: 'alsa', device: 'hw:CARD=U192k,DEV=0' });
  });

  it("takes the webcam's microphone, and says so, when the interface is unplugged", async () => {
    const copy = join(tmp.dir, 'pi4-c920-no-interface');
    await cp(join(FIXTURES, 'pi4-c920'), copy, { recursive: true, verbatimSymlinks: true });
    await rm(join(copy, 'proc/asound/card2'), { recursive: true });
    await rm(join(copy, 'proc/asound/U192k'));
    await rm(join(copy, 'sys/class/sound/card2'), { recursive: true });
    await rm(join(copy, 'sys/devices/platform/scb/fd500000.pcie/usb1/1-1/1-1.4'), { recursive: true });
    await writeFile(
      join(copy, 'proc/asound/cards'),
      [
        ' 0 [Headphones     ]: bcm2835_headpho - bcm2835 Headphones',
        '                      bcm2835 Headphones',
        ' 1 [C920           ]: USB-Audio - HD Pro Webcam C920',
        '                      HD Pro Webcam C920 at usb-0000:01:00.0-1.3, high speed',
        '',
      ].join('\n'),
    );
    const hw = await detectHardware({ sys: join(copy, 'sys'), proc: join(copy, 'proc'), dev: join(copy, 'dev') }, new FakeDetectTools({}, KNOWN_ELEMENTS));
    assert.deepEqual(hw.microphones, [C920_CARD]);
    const result = planPipeline(configFrom({}), hw, { sessionStamp: '20261122-141503' });
    if (!result.ok) assert.fail(result.errors.join('; '));
    assert.deepEqual(result.plan.audio.input, { kind: 'alsa', device: 'hw:CARD=C920,DEV=0' });
    assert.ok(result.plan.choices.includes("audio: only the webcam's microphone was found (card C920): plug a USB audio interface for the talk's sound"), result.plan.choices.join('\n'));
  });
});

describe('a Raspberry Pi Zero 2 W with an I2S microphone HAT and a USB microphone', () => {
  it('lists both capture cards, only the USB one as USB, and the hardware encoder', async () => {
    const hw = await detectHardware(fixture('zero2w-i2s-mic'), new FakeDetectTools({}, KNOWN_ELEMENTS));
    assert.deepEqual(hw.board, { model: 'Raspberry Pi Zero 2 W Rev 1.0', pi: 'zero2w' });
    assert.deepEqual(hw.cameras, []);
    assert.equal(hw.hardwareEncoder, true);
    assert.deepEqual(hw.microphones, [
      { card: 0, id: 'sndrpigooglevoi', name: 'snd_rpi_googlevoicehat_soundcar', device: 'hw:CARD=sndrpigooglevoi,DEV=0', usb: false, webcam: false },
      { card: 1, id: 'Mic', name: 'USB PnP Sound Device', device: 'hw:CARD=Mic,DEV=0', usb: true, webcam: false },
    ]);
  });
});

describe('a Raspberry Pi 5 with a Camera Module 3', () => {
  const paths = fixture('pi5-picam3');

  it('lists the libcamera sensor once, with its focus lens, no hardware encoder and no microphone', async () => {
    const tools = new FakeDetectTools({}, KNOWN_ELEMENTS, 'af-mode');
    const hw = await detectHardware(paths, tools);
    assert.deepEqual(hw.board, { model: 'Raspberry Pi 5 Model B Rev 1.0', pi: 'pi5' });
    // The imx708's sub-device (v4l-subdev2, "imx708 6-001a") says it has a lens to focus.
    assert.deepEqual(hw.cameras, [{ kind: 'picam', device: join(paths.dev, 'video0'), name: 'rp1-cfe-csi2_ch0', driver: 'rp1-cfe', formats: ['raw'], autofocus: true }]);
    assert.equal(hw.libcameraAf, 'af-mode');
    assert.equal(tools.afQueries, 1);
    assert.equal(hw.hardwareEncoder, false);
    assert.deepEqual(hw.microphones, []);
    assert.deepEqual(tools.formatQueries, []);
  });

  it('reads the model from /sys/firmware when /proc/device-tree is missing', async () => {
    const board = await detectBoard({ ...paths, proc: join(FIXTURES, 'does-not-exist') });
    assert.deepEqual(board, { model: 'Raspberry Pi 5 Model B Rev 1.0', pi: 'pi5' });
  });
});

describe('libcamerasrc autofocus', () => {
  it("finds the property in gst-inspect-1.0's listing: af-mode (libcamera 0.5+), else auto-focus-mode (0.1-0.4), else none", () => {
    const listing = (props: string[]): string =>
      ['Factory Details:', '  Long-name                libcamera Source', '', 'Element Properties:', '', ...props.flatMap((p) => [`  ${p}`, '                        flags: writable']), ''].join('\n');
    assert.equal(parseLibcameraAfProperty(listing(['af-mode             : Control to set the mode of the AF (autofocus) algorithm.', 'camera-name         : Select by name which camera to use.'])), 'af-mode');
    assert.equal(parseLibcameraAfProperty(listing(['auto-focus-mode     : Set auto-focus mode', 'camera-name         : Select by name which camera to use.'])), 'auto-focus-mode');
    assert.equal(parseLibcameraAfProperty(listing(['camera-name         : Select by name which camera to use.'])), null);
    assert.equal(parseLibcameraAfProperty('No such element or plugin \'libcamerasrc\''), null);
  });

  it("finds the property's name in the plugin's binary, as a string of its own", () => {
    const binary = (...strings: string[]): Buffer => Buffer.from(`\x7fELF\0${strings.join('\0')}\0`, 'latin1');
    assert.equal(afPropertyInBinary(binary('camera-name', 'af-mode', 'Control to set the mode of the AF (autofocus) algorithm.')), 'af-mode');
    assert.equal(afPropertyInBinary(binary('camera-name', 'auto-focus-mode', 'Set auto-focus mode')), 'auto-focus-mode');
    assert.equal(afPropertyInBinary(binary('camera-name', 'naf-mode', 'af-mode-extra')), undefined, 'only the whole name');
    assert.equal(afPropertyInBinary(binary('camera-name')), undefined);
  });

  it('is not looked up for a camera without a focus lens', async () => {
    const tools = new FakeDetectTools({}, KNOWN_ELEMENTS, 'af-mode');
    const hw = await detectHardware(fixture('pi4-c920'), tools);
    assert.equal(tools.afQueries, 0);
    assert.equal(hw.libcameraAf, undefined);
  });
});

describe('a Raspberry Pi 3 B+ on the legacy camera stack (start_x=1) with a USB audio interface', () => {
  const paths = fixture('pi3-legacy-cam');
  const video0 = join(paths.dev, 'video0');
  const tmp = useTempDir('roomcast-detect-');

  it('finds the legacy camera by its parentless "camera0" node and the bcm2835_v4l2 module, and the hardware encoder', async () => {
    const tools = new FakeDetectTools({ [video0]: ['raw', 'mjpeg', 'h264'] }, KNOWN_ELEMENTS);
    const hw = await detectHardware(paths, tools);
    assert.deepEqual(hw.board, { model: 'Raspberry Pi 3 Model B Plus Rev 1.3', pi: 'pi3' });
    assert.deepEqual(hw.cameras, [{ kind: 'picam-legacy', device: video0, name: 'camera0', driver: 'bcm2835_v4l2', formats: ['raw', 'mjpeg', 'h264'] }]);
    assert.deepEqual(tools.formatQueries, [video0], 'not the codec or ISP nodes');
    assert.equal(hw.hardwareEncoder, true);
    assert.deepEqual(hw.microphones, [{ card: 1, id: 'Device', name: 'USB Audio Device', device: 'hw:CARD=Device,DEV=0', usb: true, webcam: false }]);
  });

  it('plans the legacy camera into the hardware encoder with the USB microphone', async () => {
    const hw = await detectHardware(paths, new FakeDetectTools({ [video0]: ['raw', 'mjpeg', 'h264'] }, KNOWN_ELEMENTS));
    const result = planPipeline(configFrom({ ROOMCAST_VIDEO_SOURCE: 'picam' }), hw, { sessionStamp: '20261122-141503' });
    if (!result.ok) assert.fail(result.errors.join('; '));
    assert.equal(result.plan.video.encoder, 'v4l2h264enc');
    assert.ok(result.plan.choices.includes('encoder: hardware v4l2h264enc (Raspberry Pi 3 Model B Plus Rev 1.3 has one)'), result.plan.choices.join('\n'));
    assert.deepEqual(result.plan.audio.input, { kind: 'alsa', device: 'hw:CARD=Device,DEV=0' });
  });

  it('does not take the "camera0" node for the legacy camera when the bcm2835_v4l2 module is absent', async () => {
    const copy = join(tmp.dir, 'pi3-no-module');
    await cp(join(FIXTURES, 'pi3-legacy-cam'), copy, { recursive: true, verbatimSymlinks: true });
    await rm(join(copy, 'sys/module/bcm2835_v4l2'), { recursive: true });
    const hw = await detectHardware({ sys: join(copy, 'sys'), proc: join(copy, 'proc'), dev: join(copy, 'dev') }, new FakeDetectTools({}, []));
    assert.deepEqual(hw.cameras, []);
  });
});

describe('a machine with none of these paths', () => {
  it('detects no board, camera, microphone or encoder', async () => {
    const missing = join(FIXTURES, 'does-not-exist');
    const hw = await detectHardware({ sys: missing, proc: missing, dev: missing }, new FakeDetectTools({}, []));
    assert.deepEqual(hw, { board: { model: null, pi: null }, cameras: [], microphones: [], elements: new Set(), hardwareEncoder: false });
  });
});

describe('hostPaths', () => {
  it('defaults to the real paths', () => {
    assert.deepEqual(hostPaths({}), { sys: '/sys', proc: '/proc', dev: '/dev' });
  });

  it('follows ROOMCAST_HOST_* overrides', () => {
    assert.deepEqual(hostPaths({ ROOMCAST_HOST_SYS: '/f/sys', ROOMCAST_HOST_PROC: '/f/proc', ROOMCAST_HOST_DEV: '/f/dev' }), { sys: '/f/sys', proc: '/f/proc', dev: '/f/dev' });
  });
});

describe('parseV4l2Formats', () => {
  it('reads a C920 offering YUYV, H.264 and MJPEG', () => {
    const out = "ioctl: VIDIOC_ENUM_FMT\n\tType: Video Capture\n\n\t[0]: 'YUYV' (YUYV 4:2:2)\n\t[1]: 'H264' (H.264, compressed)\n\t[2]: 'MJPG' (Motion-JPEG, compressed)\n";
    assert.deepEqual(parseV4l2Formats(out).sort(), ['h264', 'mjpeg', 'raw']);
  });

  it('reads an HDMI dongle offering MJPEG and YUYV', () => {
    const out = "ioctl: VIDIOC_ENUM_FMT\n\tType: Video Capture\n\n\t[0]: 'MJPG' (Motion-JPEG, compressed)\n\t[1]: 'YUYV' (YUYV 4:2:2)\n";
    assert.deepEqual(parseV4l2Formats(out).sort(), ['mjpeg', 'raw']);
  });

  it('lists each kind once for the legacy Pi camera driver', () => {
    const out = [
      'ioctl: VIDIOC_ENUM_FMT',
      '\tType: Video Capture',
      '',
      "\t[0]: 'YU12' (Planar YUV 4:2:0)",
      "\t[1]: 'YUYV' (YUYV 4:2:2)",
      "\t[2]: 'RGB3' (24-bit RGB 8-8-8)",
      "\t[3]: 'JPEG' (JFIF JPEG, compressed)",
      "\t[4]: 'H264' (H.264, compressed)",
      "\t[5]: 'MJPG' (Motion-JPEG, compressed)",
      "\t[6]: 'YVYU' (YVYU 4:2:2)",
      "\t[7]: 'NV12' (Y/CbCr 4:2:0)",
      "\t[8]: 'BGR3' (24-bit BGR 8-8-8)",
      '',
    ].join('\n');
    const formats = parseV4l2Formats(out);
    assert.equal(formats.length, 3);
    assert.deepEqual([...formats].sort(), ['h264', 'mjpeg', 'raw']);
  });

  it('finds nothing in a UVC metadata node or empty output', () => {
    assert.deepEqual(parseV4l2Formats("ioctl: VIDIOC_ENUM_FMT\n\tType: Metadata Capture\n\n\t[0]: 'UVCH' (UVC Payload Header Metadata)\n"), []);
    assert.deepEqual(parseV4l2Formats(''), []);
  });
});

describe('piModelOf', () => {
  const cases: [string | null, string | null][] = [
    ['Raspberry Pi 3 Model B Rev 1.2', 'pi3'],
    ['Raspberry Pi 3 Model B Plus Rev 1.3', 'pi3'],
    ['Raspberry Pi Compute Module 3 Plus Rev 1.0', 'pi3'],
    ['Raspberry Pi 4 Model B Rev 1.4', 'pi4'],
    ['Raspberry Pi 400 Rev 1.0', 'pi4'],
    ['Raspberry Pi Compute Module 4 Rev 1.0', 'pi4'],
    ['Raspberry Pi 5 Model B Rev 1.0', 'pi5'],
    ['Raspberry Pi 500 Rev 1.0', 'pi5'],
    ['Raspberry Pi Zero 2 W Rev 1.0', 'zero2w'],
    ['Raspberry Pi Zero W Rev 1.1', 'pi-other'],
    ['Raspberry Pi Model B Rev 2', 'pi-other'],
    ['Orange Pi 5', null],
    ['', null],
    [null, null],
  ];
  for (const [model, expected] of cases) {
    it(`${JSON.stringify(model)} -> ${JSON.stringify(expected)}`, () => {
      assert.equal(piModelOf(model), expected);
    });
  }

  it('"Raspberry Pi Compute Module 5 Rev 1.0" -> "pi5"', () => {
    assert.equal(piModelOf('Raspberry Pi Compute Module 5 Rev 1.0'), 'pi5');
  });
});
