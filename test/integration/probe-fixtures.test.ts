import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Health } from '../../common/protocol.js';
import { KNOWN_ELEMENTS } from '../../device/hardware/detect.js';
import type { Board, Camera, CameraFormat, LibcameraAfProperty, Microphone } from '../../device/hardware/types.js';
import { roomcast } from '../helpers/cli-run.js';
import { boxEnv } from '../helpers/env.js';
import { writeFakeDetectCommands } from '../helpers/fake-detect-tools.js';
import { useTempDir } from '../helpers/fixture.js';
import { fixtureEnv, fixturePaths, type HostFixture } from '../helpers/host-fixtures.js';

/** What `roomcast probe --json` prints, as far as these tests read it. */
interface ProbeReport {
  board: Board;
  health: Health;
  gpio: { what: string; bcm: number; sysfs: number | null; error?: string }[];
  cameras: Camera[];
  microphones: Microphone[];
  hardwareEncoder: boolean;
  plan: { choices: string[] } | null;
  errors: string[];
  sources: string[];
}

interface Expected {
  model: string;
  /** The v4l2-ctl answer for /dev/video0 of the tree, when it has a camera v4l2-ctl is asked about. */
  video0Formats?: CameraFormat[];
  cameras: (dev: string) => Camera[];
  /** libcamerasrc's autofocus property, as the fake gst-inspect-1.0 lists it. */
  libcameraAf?: LibcameraAfProperty;
  videoChoice?: string;
  /** The capture cards' ALSA devices, in card order, and whether each is a webcam's microphone. */
  microphones: { device: string; webcam: boolean }[];
  encoderChoice: string;
  audioChoice: string;
  /** BCM 17 and 27 as kernel numbers. */
  gpio: [number, number];
  tempC: number;
  healthText: string;
  underVoltageNow: boolean;
}

const BOARDS: Record<HostFixture, Expected> = {
  'pi3-legacy-cam': {
    model: 'Raspberry Pi 3 Model B Plus Rev 1.3',
    video0Formats: ['raw', 'mjpeg', 'h264'],
    cameras: (dev) => [{ kind: 'picam-legacy', device: join(dev, 'video0'), name: 'camera0', driver: 'bcm2835_v4l2', formats: ['raw', 'mjpeg', 'h264'] }],
    microphones: [{ device: 'hw:CARD=Device,DEV=0', webcam: false }],
    encoderChoice: 'encoder: hardware v4l2h264enc (Raspberry Pi 3 Model B Plus Rev 1.3 has one)',
    audioChoice: 'audio: USB audio "USB Audio Device" at hw:CARD=Device,DEV=0 (ROOMCAST_AUDIO_SOURCE=auto)',
    gpio: [529, 539],
    tempC: 62.8,
    healthText: 'CPU 62.8 °C; now: soft temperature limit; occurred in the last seconds: soft temperature limit',
    underVoltageNow: false,
  },
  'pi4-c920': {
    model: 'Raspberry Pi 4 Model B Rev 1.4',
    video0Formats: ['raw', 'mjpeg'],
    cameras: (dev) => [{ kind: 'usb', device: join(dev, 'video0'), name: 'HD Pro Webcam C920', driver: 'uvcvideo', formats: ['raw', 'mjpeg'] }],
    microphones: [
      { device: 'hw:CARD=C920,DEV=0', webcam: true },
      { device: 'hw:CARD=U192k,DEV=0', webcam: false },
    ],
    encoderChoice: 'encoder: hardware v4l2h264enc (Raspberry Pi 4 Model B Rev 1.4 has one)',
    audioChoice: `audio: USB audio "UMC202HD 192k" at hw:CARD=U192k,DEV=0, not the webcam's microphone on card C920 (ROOMCAST_AUDIO_SOURCE=auto)`,
    gpio: [529, 539],
    tempC: 48.7,
    healthText: 'CPU 48.7 °C; now: no throttling; occurred in the last seconds: none',
    underVoltageNow: false,
  },
  'pi5-picam3': {
    model: 'Raspberry Pi 5 Model B Rev 1.0',
    cameras: (dev) => [{ kind: 'picam', device: join(dev, 'video0'), name: 'rp1-cfe-csi2_ch0', driver: 'rp1-cfe', formats: ['raw'], autofocus: true }],
    libcameraAf: 'af-mode',
    videoChoice: 'video: continuous autofocus (the camera has a focus lens)',
    microphones: [],
    encoderChoice: 'encoder: x264 (no hardware encoder: the Pi 5 has none)',
    audioChoice: 'audio: no USB microphone found, sending a silent track (ROOMCAST_AUDIO_SOURCE=auto)',
    gpio: [588, 598],
    tempC: 55.1,
    healthText: 'CPU 55.1 °C; now: no throttling; occurred in the last seconds: under-voltage, throttled',
    underVoltageNow: false,
  },
  'zero2w-i2s-mic': {
    model: 'Raspberry Pi Zero 2 W Rev 1.0',
    cameras: () => [],
    microphones: [
      { device: 'hw:CARD=sndrpigooglevoi,DEV=0', webcam: false },
      { device: 'hw:CARD=Mic,DEV=0', webcam: false },
    ],
    encoderChoice: 'encoder: hardware v4l2h264enc (Raspberry Pi Zero 2 W Rev 1.0 has one)',
    audioChoice: 'audio: USB audio "USB PnP Sound Device" at hw:CARD=Mic,DEV=0 (ROOMCAST_AUDIO_SOURCE=auto)',
    gpio: [529, 539],
    tempC: 51.5,
    healthText: 'CPU 51.5 °C; now: under-voltage, throttled; occurred in the last seconds: under-voltage, throttled',
    underVoltageNow: true,
  },
};

describe('roomcast probe on the fixture trees of real Pis', () => {
  const tmp = useTempDir('roomcast-probe-fixtures-');

  for (const [board, want] of Object.entries(BOARDS) as [HostFixture, Expected][]) {
    const dev = fixturePaths(board).dev;

    async function env(): Promise<Record<string, string>> {
      const dir = join(tmp.dir, board);
      const tools = await writeFakeDetectCommands(join(dir, 'tools'), want.video0Formats ? { [join(dev, 'video0')]: want.video0Formats } : {}, KNOWN_ELEMENTS, want.libcameraAf ?? null);
      return boxEnv(dir, {
        ...fixtureEnv(board),
        ...tools,
        ROOMCAST_VIDEO_SOURCE: 'auto',
        ROOMCAST_AUDIO_SOURCE: 'auto',
        ROOMCAST_DESTINATIONS: 'youtube:abcd-efgh-ijkl-mnop',
        ROOMCAST_GPIO_BUTTON: '17',
        ROOMCAST_GPIO_LED: '27',
      });
    }

    test(`${board}: --json reports the board, its health, cameras with formats, microphones, the encoder and audio choices, and the GPIO lines`, async () => {
      const r = await roomcast(['probe', '--json'], await env());
      assert.equal(r.code, 0, r.stderr);
      const report = JSON.parse(r.stdout) as ProbeReport;
      assert.equal(report.board.model, want.model);
      assert.deepEqual(report.cameras, want.cameras(dev));
      assert.deepEqual(report.microphones.map((m) => ({ device: m.device, webcam: m.webcam })), want.microphones);
      assert.deepEqual(report.errors, []);
      assert.ok(report.plan?.choices.includes(want.encoderChoice), report.plan?.choices.join('\n'));
      assert.ok(report.plan?.choices.includes(want.audioChoice), report.plan?.choices.join('\n'));
      if (want.videoChoice) assert.ok(report.plan?.choices.includes(want.videoChoice), report.plan?.choices.join('\n'));
      if (want.libcameraAf) assert.match(report.sources.join('\n'), new RegExp(`libcamerasrc ${want.libcameraAf}=2 `));
      assert.deepEqual(report.gpio, [
        { what: 'button', bcm: 17, sysfs: want.gpio[0] },
        { what: 'light', bcm: 27, sysfs: want.gpio[1] },
      ]);
      assert.equal(report.health.tempC, want.tempC);
      assert.equal(report.health.underVoltageNow, want.underVoltageNow);
    });

    test(`${board}: the text report says the same`, async () => {
      const r = await roomcast(['probe'], await env());
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^Board: +${want.model}$`, 'm'));
      assert.match(r.stdout, new RegExp(`^Health: +${want.healthText}$`, 'm'));
      for (const c of want.cameras(dev)) assert.ok(r.stdout.includes(`  ${c.device}  ${c.kind}  "${c.name}"  driver ${c.driver}  formats ${c.formats.join(', ')}${c.autofocus ? '  autofocus' : ''}\n`), r.stdout);
      if (want.cameras(dev).length === 0) assert.match(r.stdout, /^Cameras:\n {2}\(none\)$/m);
      for (const m of want.microphones) {
        const line = r.stdout.split('\n').find((l) => l.startsWith(`  ${m.device}  `));
        assert.ok(line, `no line for ${m.device} in\n${r.stdout}`);
        assert.equal(line.endsWith("  the webcam's microphone"), m.webcam, line);
      }
      assert.ok(r.stdout.includes(`  ${want.encoderChoice}\n`), r.stdout);
      assert.ok(r.stdout.includes(`  ${want.audioChoice}\n`), r.stdout);
      assert.match(r.stdout, new RegExp(`^GPIO: +button on GPIO 17: sysfs ${want.gpio[0]}; light on GPIO 27: sysfs ${want.gpio[1]}$`, 'm'));
    });
  }
});
