import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, type ConfigIssue, type Env } from '../../common/config/load.js';
import { SCHEMA, type DeviceConfig } from '../../common/config/schema.js';

function loaded(env: Env): { config: DeviceConfig; warnings: ConfigIssue[] } {
  const result = loadConfig(env);
  if (!result.ok) assert.fail(`expected a valid config, got: ${result.error.message}`);
  return result;
}

function rejected(env: Env): ConfigError {
  const result = loadConfig(env);
  if (result.ok) assert.fail(`expected ${JSON.stringify(env)} to be rejected`);
  return result.error;
}

describe('defaults', () => {
  it('an empty environment gives the documented defaults', () => {
    const { config, warnings } = loaded({});
    assert.deepEqual(config, {
      videoSource: { kind: 'auto' },
      audioSource: { kind: 'auto' },
      videoSize: { width: 1280, height: 720 },
      framerate: 30,
      videoBitrateKbps: 2500,
      audioBitrateKbps: 128,
      keyframeSeconds: 2,
      encoder: 'auto',
      destinations: [],
      recordDir: null,
      recordSegmentSeconds: 60,
      recordMinFree: { kind: 'auto' },
      autostart: false,
      dataDir: '/data',
      audioDelayMs: 0,
      roomName: '',
      slateMessage: "We'll be right back",
      slateImage: null,
      testPattern: 'bars',
      fleetUrl: null,
      enrollToken: null,
      gpioButton: null,
      gpioLed: null,
      healthSeconds: 10,
      updateLockPath: '/tmp/balena/updates.lock',
      updateCheckSeconds: 30,
      ipfsListen: '/ip4/0.0.0.0/tcp/4001',
      ipfsAnnounce: [],
      ipfsKeep: 1024 ** 3,
      ipfsKuboApi: null,
    });
    assert.deepEqual(warnings, []);
  });

  for (const spec of Object.values(SCHEMA)) {
    it(`the default of ${spec.env} parses`, () => {
      assert.doesNotThrow(() => spec.parse(spec.default ?? ''));
    });
  }

  it('a variable present but undefined falls back to its default', () => {
    assert.equal(loaded({ ROOMCAST_FRAMERATE: undefined }).config.framerate, 30);
  });
});

/** For each variable: raw values that parse (with the result) and raw values that must be rejected. */
const CASES: Record<string, { valid: [string, unknown][]; invalid: string[] }> = {
  ROOMCAST_VIDEO_SOURCE: {
    valid: [
      ['auto', { kind: 'auto' }],
      ['test', { kind: 'test' }],
      ['picam', { kind: 'picam' }],
      [' usb ', { kind: 'usb' }],
      ['/dev/video0', { kind: 'device', path: '/dev/video0' }],
      ['/dev/v4l/by-id/usb-046d_HD_Pro_Webcam_C920-video-index0', { kind: 'device', path: '/dev/v4l/by-id/usb-046d_HD_Pro_Webcam_C920-video-index0' }],
    ],
    invalid: ['webcam', 'video0', 'AUTO', '/dev/video 0'],
  },
  ROOMCAST_AUDIO_SOURCE: {
    valid: [
      ['auto', { kind: 'auto' }],
      ['test', { kind: 'test' }],
      ['none', { kind: 'none' }],
      ['hw:1,0', { kind: 'alsa', device: 'hw:1,0' }],
      ['hw:CARD=Device,DEV=0', { kind: 'alsa', device: 'hw:CARD=Device,DEV=0' }],
      ['plughw:CARD=Device,DEV=0', { kind: 'alsa', device: 'plughw:CARD=Device,DEV=0' }],
      ['default', { kind: 'alsa', device: 'default' }],
    ],
    invalid: ['hw:1 0', '/dev/snd/pcmC1D0c', '1'],
  },
  ROOMCAST_VIDEO_SIZE: {
    valid: [
      ['1280x720', { width: 1280, height: 720 }],
      ['1920x1080', { width: 1920, height: 1080 }],
      ['160x120', { width: 160, height: 120 }],
      ['3840x2160', { width: 3840, height: 2160 }],
    ],
    invalid: ['1280', '1280X720', '1281x720', '1280x721', '100x100', '4096x2160', '720p'],
  },
  ROOMCAST_FRAMERATE: { valid: [['1', 1], ['25', 25], [' 30 ', 30], ['60', 60]], invalid: ['0', '61', '-1', '29.97', 'thirty'] },
  ROOMCAST_VIDEO_BITRATE: { valid: [['200', 200], ['6000', 6000], ['20000', 20000]], invalid: ['199', '20001', '2.5k', '4000kbps'] },
  ROOMCAST_AUDIO_BITRATE: { valid: [['32', 32], ['160', 160], ['320', 320]], invalid: ['31', '321', '128k'] },
  ROOMCAST_KEYFRAME_SECONDS: { valid: [['1', 1], ['4', 4]], invalid: ['0', '5', '2.5'] },
  ROOMCAST_ENCODER: {
    valid: [['auto', 'auto'], ['hardware', 'hardware'], ['x264', 'x264'], ['passthrough', 'passthrough']],
    invalid: ['h264', 'X264', 'v4l2h264enc'],
  },
  ROOMCAST_DESTINATIONS: {
    valid: [
      ['', []],
      ['   ', []],
      [
        'twitch:live_123456789_AbCdEfGhIjKlMnOp',
        [{ id: 'twitch', platform: 'twitch', protocol: 'rtmp', url: 'rtmp://live.twitch.tv/app/live_123456789_AbCdEfGhIjKlMnOp', display: 'rtmp://live.twitch.tv/app/****MnOp' }],
      ],
    ],
    invalid: ['http://example.com/live/key-123456789', 'youtube:', 'rtmp://example.com/live'],
  },
  ROOMCAST_RECORD_DIR: { valid: [['/data/recordings', '/data/recordings'], ['', null]], invalid: ['recordings', './rec'] },
  ROOMCAST_RECORD_MIN_FREE: { valid: [['auto', { kind: 'auto' }], ['500MiB', { kind: 'bytes', bytes: 500 * 1024 ** 2 }], ['10%', { kind: 'percent', percent: 10 }]], invalid: ['1G', '100%', 'lots'] },
  ROOMCAST_RECORD_SEGMENT_SECONDS: { valid: [['2', 2], ['3600', 3600]], invalid: ['1', '3601', '1m'] },
  ROOMCAST_AUTOSTART: {
    valid: [['true', true], ['1', true], ['yes', true], ['ON', true], ['false', false], ['0', false], ['no', false], ['off', false], ['', false]],
    invalid: ['maybe', '2', 'enabled'],
  },
  ROOMCAST_DATA_DIR: { valid: [['/var/lib/roomcast', '/var/lib/roomcast']], invalid: ['data'] },
  ROOMCAST_AUDIO_DELAY_MS: { valid: [['0', 0], ['150', 150], ['2000', 2000]], invalid: ['-1', '2001', '0.5', '100ms'] },
  ROOMCAST_ROOM_NAME: { valid: [['Main hall', 'Main hall'], ['  Salle B ', 'Salle B'], ['Saal 3 — Bühne', 'Saal 3 — Bühne']], invalid: ['x'.repeat(61), 'two\nlines'] },
  ROOMCAST_SLATE_MESSAGE: { valid: [['Back at 14:00', 'Back at 14:00']], invalid: ['y'.repeat(81), 'tab\there'] },
  ROOMCAST_SLATE_IMAGE: { valid: [['/data/slate.png', '/data/slate.png'], ['/data/Slate.JPG', '/data/Slate.JPG']], invalid: ['slate.png', '/data/slate.gif'] },
  ROOMCAST_TEST_PATTERN: { valid: [['bars', 'bars'], ['avsync', 'avsync'], ['flash', 'flash']], invalid: ['smpte'] },
  ROOMCAST_FLEET_URL: { valid: [['https://fleet.example.org/', 'https://fleet.example.org'], ['http://10.0.0.2:8080', 'http://10.0.0.2:8080']], invalid: ['mqtt://x', 'https://u:p@fleet', 'fleet'] },
  ROOMCAST_ENROLL_TOKEN: { valid: [['abcdefghijklmnop0123', 'abcdefghijklmnop0123']], invalid: ['short', 'has spaces in it here'] },
  ROOMCAST_GPIO_BUTTON: { valid: [['17', 17], ['0', 0]], invalid: ['28', '-1', 'GPIO17'] },
  ROOMCAST_GPIO_LED: { valid: [['27', 27]], invalid: ['40', 'pin13'] },
  ROOMCAST_HEALTH_SECONDS: { valid: [['2', 2], ['60', 60]], invalid: ['1', '3601', 'x'] },
  ROOMCAST_UPDATE_LOCK_PATH: { valid: [['/tmp/balena/updates.lock', '/tmp/balena/updates.lock']], invalid: ['updates.lock', 'tmp/balena/updates.lock'] },
  ROOMCAST_UPDATE_CHECK_SECONDS: { valid: [['1', 1], ['3600', 3600]], invalid: ['0', '3601', '30s'] },
  ROOMCAST_IPFS_LISTEN: { valid: [['/ip4/127.0.0.1/tcp/0', '/ip4/127.0.0.1/tcp/0'], ['/ip6/::/tcp/4001', '/ip6/::/tcp/4001'], ['none', null]], invalid: ['/ip4/0.0.0.0/udp/4001/quic', '/ip4/1.2.3.4/tcp/70000', '0.0.0.0:4001', '/dns4/box.local/tcp/4001', 'off'] },
  ROOMCAST_IPFS_ANNOUNCE: {
    valid: [
      ['/ip4/192.0.2.7/tcp/4001  /ip4/10.0.0.7/tcp/4001', ['/ip4/192.0.2.7/tcp/4001', '/ip4/10.0.0.7/tcp/4001']],
      ['/dns4/box-1.example.org/tcp/4001', ['/dns4/box-1.example.org/tcp/4001']],
    ],
    invalid: ['/ip4/192.0.2.7/tcp/4001 box:4001', '/dns4/box.example.org/tcp/70000', '/dns4/box example/tcp/4001'],
  },
  ROOMCAST_IPFS_KEEP: { valid: [['500MiB', 500 * 1024 ** 2], ['2GiB', 2 * 1024 ** 3]], invalid: ['10%', '1TB', 'lots'] },
  ROOMCAST_IPFS_KUBO_API: { valid: [['http://127.0.0.1:5001/', 'http://127.0.0.1:5001']], invalid: ['127.0.0.1:5001', 'ftp://kubo'] },
};

describe('each variable', () => {
  it('has test cases for every schema field', () => {
    assert.deepEqual(Object.keys(CASES).sort(), Object.values(SCHEMA).map((s) => s.env).sort());
  });

  for (const [key, spec] of Object.entries(SCHEMA)) {
    const cases = CASES[spec.env];
    if (!cases) continue;
    for (const [raw, expected] of cases.valid) {
      it(`${spec.env}=${JSON.stringify(raw)} is accepted`, () => {
        const { config } = loaded({ [spec.env]: raw });
        assert.deepEqual(config[key as keyof DeviceConfig], expected);
      });
    }
    for (const raw of cases.invalid) {
      it(`${spec.env}=${JSON.stringify(raw)} is rejected, naming the variable`, () => {
        const error = rejected({ [spec.env]: raw });
        assert.equal(error.issues.length, 1);
        assert.equal(error.issues[0]?.variable, spec.env);
        assert.ok((error.issues[0]?.message ?? '').length > 0);
        assert.ok(error.message.includes(spec.env), error.message);
      });
    }
  }
});

describe('empty values', () => {
  it('an empty variable means "use the default" (balena can empty a variable on one device, not unset it)', () => {
    const loaded = loadConfig({ ROOMCAST_FRAMERATE: '', ROOMCAST_VIDEO_SIZE: '  ', ROOMCAST_DATA_DIR: '' });
    assert.ok(loaded.ok);
    assert.equal(loaded.config.framerate, 30);
    assert.deepEqual(loaded.config.videoSize, { width: 1280, height: 720 });
    assert.equal(loaded.config.dataDir, '/data');
  });
});

describe('errors and warnings', () => {
  it('reports every invalid variable at once', () => {
    const error = rejected({ ROOMCAST_FRAMERATE: '0', ROOMCAST_VIDEO_SIZE: '1281x720', ROOMCAST_ENCODER: 'nvenc', ROOMCAST_AUTOSTART: 'true' });
    assert.ok(error instanceof ConfigError);
    assert.equal(error.name, 'ConfigError');
    assert.deepEqual(error.issues.map((i) => i.variable).sort(), ['ROOMCAST_ENCODER', 'ROOMCAST_FRAMERATE', 'ROOMCAST_VIDEO_SIZE']);
    for (const v of ['ROOMCAST_ENCODER', 'ROOMCAST_FRAMERATE', 'ROOMCAST_VIDEO_SIZE']) assert.ok(error.message.includes(v), error.message);
  });

  it('names each bad destination by position in one issue', () => {
    const error = rejected({ ROOMCAST_DESTINATIONS: 'youtube:abcd-efgh-ijkl http://example.com/live/x twitch:' });
    assert.equal(error.issues.length, 1);
    const message = error.issues[0]?.message ?? '';
    assert.ok(message.includes('#2:') && message.includes('#3:'), message);
    assert.ok(!message.includes('#1:'), message);
  });

  it('an unknown ROOMCAST_ variable is a warning, not an error', () => {
    const { config, warnings } = loaded({ ROOMCAST_FRAMRATE: '25' });
    assert.equal(config.framerate, 30);
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.variable, 'ROOMCAST_FRAMRATE');
  });

  it('variables owned by other parts, and non-roomcast variables, are not warned about', () => {
    const { warnings } = loaded({
      ROOMCAST_HOST_SYS: '/tmp/sys',
      ROOMCAST_FLEET_MQTT_URL: 'mqtts://fleet.example.com',
      ROOMCAST_LOG_LEVEL: 'debug',
      ROOMCAST_ADMIN_TOKEN: 'x',
      ROOMCAST_ENROLL_CODE: 'y',
      BALENA_DEVICE_UUID: 'abc',
      PATH: '/usr/bin',
    });
    assert.deepEqual(warnings, []);
  });
});

describe('stream keys in error messages', () => {
  const KEY = 'sk-9f8e7d6c5b4a39281706';
  const PASSWORD = 'pw-0a1b2c3d4e5f6a7b8c9d';
  const badWords = [
    `http://a.rtmp.youtube.com/live2/${KEY}`,
    `rtmp://a.rtmp.youtube.com/${KEY}`,
    `rtmp://host:99999/live/${KEY}`,
    `rtmp://[::1/live/${KEY}`,
    `rtmps://user:${PASSWORD}@example.com/app`,
    `youtube:${KEY}!`,
    `yt:${KEY}`,
    KEY,
  ];
  for (const word of badWords) {
    it(`never shows the key or password of ${JSON.stringify(word.replace(KEY, 'KEY').replace(PASSWORD, 'PASSWORD'))}`, () => {
      const error = rejected({ ROOMCAST_DESTINATIONS: word });
      for (const secret of [KEY, PASSWORD]) {
        // Not even the part before the last 4 characters may show.
        assert.ok(!error.message.includes(secret.slice(0, -4)), error.message);
      }
    });
  }
});
