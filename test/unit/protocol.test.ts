import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../common/config/load.js';
import {
  BOX_ACL,
  COMMAND_NAMES,
  FLEET_ACL,
  MAX_DEVICE_ID_LENGTH,
  MAX_PAYLOAD_BYTES,
  TOPICS,
  aclAllows,
  boxMayConnect,
  boxMayPublish,
  boxMaySubscribe,
  boxSubscriptions,
  checkDesiredConfig,
  decodeIpfs,
  decodePayload,
  encodePayload,
  fleetSubscriptions,
  ipfsOutgoing,
  isDeviceId,
  lastWill,
  maskSecrets,
  restoreMasked,
  outgoing,
  parseDeviceId,
  parseTopic,
  payloadFits,
  shouldApply,
  snapshotJpegBudget,
  topicOf,
  transactionIdOf,
  type DeviceId,
  type Payloads,
  type TopicKind,
} from '../../common/protocol.js';
import { initialState, withPhase, type StreamState } from '../../device/state.js';

const T0 = new Date('2026-11-22T14:15:03.000Z');
const YT_KEY = 'abcd-efgh-ijkl-mnop-qrst';
const TWITCH_KEY = 'live_123456789_AbCdEfGhIjKlMnOp';
const KINDS = Object.keys(TOPICS) as TopicKind[];

function id(raw: string): DeviceId {
  const parsed = parseDeviceId(raw);
  assert.ok(parsed, `${JSON.stringify(raw)} should be a device id`);
  return parsed;
}

const ME = id('7cf02a6b1e2d4c3f8a9b0c1d2e3f4a5b');
const OTHER = id('box-2');

function streamState(): StreamState {
  const loaded = loadConfig({ ROOMCAST_DESTINATIONS: `youtube:${YT_KEY} twitch:${TWITCH_KEY}`, ROOMCAST_RECORD_DIR: '/data/recordings' });
  if (!loaded.ok) throw loaded.error;
  return withPhase(initialState(loaded.config.destinations, loaded.config.recordDir, T0), 'live', null, T0);
}

const PEER_ID = '12D3KooWPeqHme1QRqpVwichQcp9BgWChjLuwNuDCVhJ7SEBJpm7';
const SEGMENT_CID = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy';
const VOD_CID = 'bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi';

/** One valid payload of each kind. */
const SAMPLES: { [K in TopicKind]: Payloads[K] } = {
  status: 'online',
  reported: {
    appliedVersion: 7,
    refused: { version: 8, errors: ['ROOMCAST_FRAMERATE: 0 is outside 1..60'] },
    config: { ROOMCAST_DESTINATIONS: 'youtube:****qrst', ROOMCAST_FRAMERATE: '25' },
    state: streamState(),
  },
  health: {
    at: '2026-11-22T14:15:10.000Z',
    phase: 'live',
    uptimeSeconds: 86_400,
    cpuLoadPercent: 37.5,
    tempC: 61.3,
    memUsedBytes: 412_000_000,
    memTotalBytes: 1_000_000_000,
    dataFreeBytes: 20_000_000_000,
    recordFreeBytes: 20_000_000_000,
    netInterface: 'wlan0',
    wifiSignalDbm: -61,
    underVoltageNow: false,
    underVoltageOccurred: true,
    freqCappedNow: false,
    freqCappedOccurred: false,
    throttledNow: false,
    throttledOccurred: false,
    softTempLimitNow: false,
    softTempLimitOccurred: false,
    probeMs: 4.2,
  },
  desired: { version: 8, config: { ROOMCAST_DESTINATIONS: `youtube:${YT_KEY}`, ROOMCAST_FRAMERATE: '25' } },
  commandRequest: { id: '0b6f7c1e-5d2a-4e8b-9c3f-1a2b3c4d5e6f', name: 'identify', args: { seconds: 30 } },
  commandResponse: { id: '0b6f7c1e-5d2a-4e8b-9c3f-1a2b3c4d5e6f', ok: true, result: { width: 640, height: 360, jpegBase64: '/9j/4AAQ' } },
  ipfsNode: { peerId: PEER_ID, multiaddrs: ['/ip4/192.0.2.7/tcp/4001', '/ip6/::1/tcp/4001'] },
  ipfsFleetNode: { peerId: PEER_ID, multiaddrs: ['/dns4/fleet.example.org/tcp/4001'] },
  ipfsSegment: { stream: '20261122-141503', sequence: 12, cid: SEGMENT_CID, durationSeconds: 2.0, bytes: 650_123, discontinuity: false, at: '2026-11-22T14:15:30.000Z' },
  ipfsEnded: { stream: '20261122-141503', segments: 900, vodCid: VOD_CID, at: '2026-11-22T14:45:03.000Z' },
};

function decoded<K extends TopicKind>(kind: K, payload: string | Uint8Array): Payloads[K] {
  const result = decodePayload(kind, payload);
  if (!result.ok) assert.fail(`expected a valid ${kind}, got: ${result.error}`);
  return result.value;
}

function refused(kind: TopicKind, payload: string | Uint8Array | object): string {
  const raw = typeof payload === 'string' || payload instanceof Uint8Array ? payload : JSON.stringify(payload);
  const result = decodePayload(kind, raw);
  if (result.ok) assert.fail(`expected ${kind} ${typeof raw === 'string' ? raw.slice(0, 200) : 'bytes'} to be refused`);
  assert.ok(result.error.length > 0);
  return result.error;
}

/** The sample of a kind, as a plain object to break. */
function sample(kind: Exclude<TopicKind, 'status'>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(SAMPLES[kind])) as Record<string, unknown>;
}

function without<T extends object, K extends keyof T>(o: T, key: K): Omit<T, K> {
  const copy = { ...o };
  delete copy[key];
  return copy;
}

describe('device ids', () => {
  const valid = ['a', '7cf02a6b1e2d4c3f8a9b0c1d2e3f4a5b', 'f'.repeat(62), '0b6f7c1e-5d2a-4e8b-9c3f-1a2b3c4d5e6f', 'room_2', 'x'.repeat(MAX_DEVICE_ID_LENGTH)];
  for (const raw of valid) {
    it(`${raw.slice(0, 40)} is a device id`, () => assert.equal(parseDeviceId(raw), raw));
  }

  const invalid = ['', '+', '#', 'a/b', 'a+b', 'box#1', 'a b', 'nul\u0000', 'line\n', 'abc\n', 'tab\tx', 'del\u007f', 'x'.repeat(MAX_DEVICE_ID_LENGTH + 1), 'Box-1', '_fleet', '-a', '$SYS', 'é', '%u', '..'];
  for (const raw of invalid) {
    it(`${JSON.stringify(raw.slice(0, 40))} is not a device id`, () => {
      assert.equal(parseDeviceId(raw), null);
      assert.equal(isDeviceId(raw), false);
    });
  }

  it('only strings are device ids', () => {
    for (const raw of [1, null, undefined, {}, ['a']]) assert.equal(parseDeviceId(raw), null);
  });
});

describe('topics', () => {
  it('lays every topic out under roomcast/<deviceId>/', () => {
    assert.deepEqual(Object.fromEntries(KINDS.map((k) => [k, topicOf(ME, k)])), {
      status: `roomcast/${ME}/status`,
      reported: `roomcast/${ME}/reported`,
      health: `roomcast/${ME}/health`,
      desired: `roomcast/${ME}/desired`,
      commandRequest: `roomcast/${ME}/command/request`,
      commandResponse: `roomcast/${ME}/command/response`,
      ipfsNode: `roomcast/${ME}/ipfs/node`,
      ipfsFleetNode: `roomcast/${ME}/ipfs/fleet`,
      ipfsSegment: `roomcast/${ME}/ipfs/segment`,
      ipfsEnded: `roomcast/${ME}/ipfs/ended`,
    });
  });

  it("retains status, reported state, desired config, the box's and the fleet's IPFS nodes and the last talk ended, and nothing else", () => {
    assert.deepEqual(KINDS.filter((k) => TOPICS[k].retain).sort(), ['desired', 'ipfsEnded', 'ipfsFleetNode', 'ipfsNode', 'reported', 'status']);
  });

  it('sends only health at QoS 0', () => {
    assert.deepEqual(KINDS.filter((k) => TOPICS[k].qos === 0), ['health']);
  });

  for (const kind of KINDS) {
    for (const deviceId of [ME, OTHER, id('a'), id('x'.repeat(MAX_DEVICE_ID_LENGTH))]) {
      it(`${kind} of ${deviceId.slice(0, 12)} round-trips through parseTopic`, () => {
        assert.deepEqual(parseTopic(topicOf(deviceId, kind)), { deviceId, kind });
      });
    }
  }

  const foreign = [
    '',
    'roomcast',
    'roomcast/',
    `roomcast/${ME}`,
    `roomcast/${ME}/`,
    `roomcast/${ME}/unknown`,
    `roomcast/${ME}/status/extra`,
    `roomcast/${ME}/command`,
    `roomcast/${ME}/command/request/start`,
    `roomcast/${ME}/Status`,
    `other/${ME}/status`,
    `/roomcast/${ME}/status`,
    `Roomcast/${ME}/status`,
    'roomcast//status',
    'roomcast/+/status',
    'roomcast/#',
    'roomcast/a/b/status',
    'roomcast/Box-1/status',
    `roomcast/${'x'.repeat(MAX_DEVICE_ID_LENGTH + 1)}/status`,
    'roomcast/a\u0000/status',
    '$SYS/broker/uptime',
  ];
  for (const topic of foreign) {
    it(`${JSON.stringify(topic.slice(0, 60))} is not a roomcast topic`, () => assert.equal(parseTopic(topic), null));
  }

  it("a box subscribes exactly to its desired config, its commands and where the fleet's IPFS node listens", () => {
    assert.deepEqual(boxSubscriptions(ME), [
      { filter: `roomcast/${ME}/desired`, qos: 1 },
      // QoS 0: no command is queued for an absent box and run long after the fleet gave up.
      { filter: `roomcast/${ME}/command/request`, qos: 0 },
      { filter: `roomcast/${ME}/ipfs/fleet`, qos: 1 },
    ]);
  });

  it('the fleet subscribes to what every box publishes', () => {
    assert.deepEqual(fleetSubscriptions(), [
      { filter: 'roomcast/+/status', qos: 1 },
      { filter: 'roomcast/+/reported', qos: 1 },
      { filter: 'roomcast/+/health', qos: 0 },
      { filter: 'roomcast/+/command/response', qos: 1 },
      { filter: 'roomcast/+/ipfs/node', qos: 1 },
      { filter: 'roomcast/+/ipfs/segment', qos: 1 },
      { filter: 'roomcast/+/ipfs/ended', qos: 1 },
    ]);
  });

  it('outgoing messages carry the QoS and retain flag of their topic', () => {
    assert.deepEqual(outgoing(ME, 'reported', SAMPLES.reported), { topic: `roomcast/${ME}/reported`, payload: JSON.stringify(SAMPLES.reported), qos: 1, retain: true });
    assert.deepEqual(outgoing(ME, 'health', SAMPLES.health).retain, false);
    assert.deepEqual(outgoing(ME, 'commandRequest', SAMPLES.commandRequest).retain, false);
  });

  it('the last will marks the box lost, retained, at QoS 1', () => {
    assert.deepEqual(lastWill(ME), { topic: `roomcast/${ME}/status`, payload: 'lost', qos: 1, retain: true });
  });
});

describe('ACL', () => {
  it('is the ten rules of the topic table, with %u and no wildcard', () => {
    assert.deepEqual(BOX_ACL, [
      { access: 'write', topic: 'roomcast/%u/status' },
      { access: 'write', topic: 'roomcast/%u/reported' },
      { access: 'write', topic: 'roomcast/%u/health' },
      { access: 'read', topic: 'roomcast/%u/desired' },
      { access: 'read', topic: 'roomcast/%u/command/request' },
      { access: 'write', topic: 'roomcast/%u/command/response' },
      { access: 'write', topic: 'roomcast/%u/ipfs/node' },
      { access: 'read', topic: 'roomcast/%u/ipfs/fleet' },
      { access: 'write', topic: 'roomcast/%u/ipfs/segment' },
      { access: 'write', topic: 'roomcast/%u/ipfs/ended' },
    ]);
  });

  it('a box may publish its status, reported state, health, command responses and IPFS announcements', () => {
    for (const kind of ['status', 'reported', 'health', 'commandResponse', 'ipfsNode', 'ipfsSegment', 'ipfsEnded'] as const) assert.ok(boxMayPublish(ME, topicOf(ME, kind)), kind);
  });

  it("a box may not announce IPFS segments in another box's namespace, nor read any", () => {
    for (const kind of ['ipfsNode', 'ipfsSegment', 'ipfsEnded'] as const) {
      assert.ok(!boxMayPublish(ME, topicOf(OTHER, kind)), kind);
      assert.ok(!boxMaySubscribe(ME, topicOf(OTHER, kind)), kind);
      assert.ok(!boxMaySubscribe(ME, topicOf(ME, kind)), kind);
    }
    assert.ok(!boxMaySubscribe(ME, `roomcast/${ME}/ipfs/+`));
  });

  it("a box reads where the fleet's IPFS node listens, for itself only, and may not say it", () => {
    assert.ok(boxMaySubscribe(ME, topicOf(ME, 'ipfsFleetNode')));
    assert.ok(!boxMaySubscribe(ME, topicOf(OTHER, 'ipfsFleetNode')));
    assert.ok(!boxMayPublish(ME, topicOf(ME, 'ipfsFleetNode')));
  });

  it('a box may not publish its own desired config or commands', () => {
    for (const kind of ['desired', 'commandRequest'] as const) assert.ok(!boxMayPublish(ME, topicOf(ME, kind)), kind);
  });

  it('a box may not publish anything of another box', () => {
    for (const kind of KINDS) assert.ok(!boxMayPublish(ME, topicOf(OTHER, kind)), kind);
  });

  it('a box may not publish outside its topics, nor to a wildcard', () => {
    for (const topic of [`roomcast/${ME}`, `roomcast/${ME}/other`, `roomcast/${ME}/status/x`, 'roomcast/+/status', `roomcast/${ME}/#`, 'other/topic', '$SYS/x', '']) {
      assert.ok(!boxMayPublish(ME, topic), topic);
    }
  });

  it('a box may subscribe to its own desired config and commands', () => {
    assert.ok(boxMaySubscribe(ME, topicOf(ME, 'desired')));
    assert.ok(boxMaySubscribe(ME, topicOf(ME, 'commandRequest')));
    for (const s of boxSubscriptions(ME)) assert.ok(boxMaySubscribe(ME, s.filter), s.filter);
  });

  it("a box may not subscribe to another box's desired config (its stream keys) or commands", () => {
    assert.ok(!boxMaySubscribe(ME, topicOf(OTHER, 'desired')));
    assert.ok(!boxMaySubscribe(ME, topicOf(OTHER, 'commandRequest')));
    assert.ok(!boxMaySubscribe(ME, `$share/g/roomcast/${OTHER}/desired`));
  });

  it('a box may not subscribe to its own published topics or command responses', () => {
    for (const kind of ['status', 'reported', 'health', 'commandResponse'] as const) assert.ok(!boxMaySubscribe(ME, topicOf(ME, kind)), kind);
  });

  it('a box may not subscribe with wildcards, not even inside its own namespace', () => {
    const filters = ['#', '+', 'roomcast/#', 'roomcast/+/desired', 'roomcast/+/#', `roomcast/${ME}/#`, `roomcast/${ME}/+`, `roomcast/${ME}/command/+`, '+/+/desired', '$SYS/#', '$share/g/#', `+/${ME}/desired`];
    for (const filter of filters) assert.ok(!boxMaySubscribe(ME, filter), filter);
  });

  it('a username that is not a safe device id gets nothing (it would turn %u into a wildcard or extra level)', () => {
    assert.ok(!boxMaySubscribe('+', 'roomcast/+/desired'));
    assert.ok(!boxMaySubscribe('#', 'roomcast/#'));
    assert.ok(!boxMayPublish('a/b', 'roomcast/a/b/status'));
    assert.ok(!boxMaySubscribe('a/b', 'roomcast/a/b/desired'));
    assert.ok(!boxMayPublish('', 'roomcast//status'));
    assert.ok(!boxMayPublish('Box-1', 'roomcast/Box-1/status'));
  });

  it('malformed filters are refused', () => {
    for (const filter of [`roomcast/${ME}/desired#`, `roomcast/${ME}/#/desired`, `roomcast/${ME}+/desired`, '']) assert.ok(!boxMaySubscribe(ME, filter), filter);
  });

  it('the fleet may publish desired configs and commands to any box and read all roomcast topics', () => {
    assert.ok(aclAllows(FLEET_ACL, '_fleet', 'publish', topicOf(ME, 'desired')));
    assert.ok(aclAllows(FLEET_ACL, '_fleet', 'publish', topicOf(OTHER, 'commandRequest')));
    for (const s of fleetSubscriptions()) assert.ok(aclAllows(FLEET_ACL, '_fleet', 'subscribe', s.filter), s.filter);
    assert.ok(aclAllows(FLEET_ACL, '_fleet', 'subscribe', '$share/fleet/roomcast/+/health'));
  });

  it('the fleet may not subscribe to # or $SYS, nor publish to a wildcard', () => {
    assert.ok(!aclAllows(FLEET_ACL, '_fleet', 'subscribe', '#'));
    assert.ok(!aclAllows(FLEET_ACL, '_fleet', 'subscribe', '$SYS/#'));
    assert.ok(!aclAllows(FLEET_ACL, '_fleet', 'publish', 'roomcast/+/desired'));
    assert.ok(!aclAllows(FLEET_ACL, '_fleet', 'publish', 'elsewhere/x'));
  });

  it('the client id of a box must be its username', () => {
    assert.ok(boxMayConnect(ME, ME));
    assert.ok(!boxMayConnect(ME, OTHER));
    assert.ok(!boxMayConnect(ME, `${ME}-2`));
    assert.ok(!boxMayConnect('+', '+'));
    assert.ok(!boxMayConnect('', ''));
  });
});

describe('payloads: round trips', () => {
  for (const kind of KINDS) {
    it(`${kind}: what outgoing() encodes, decodePayload() gives back`, () => {
      assert.deepEqual(decoded(kind, outgoing(ME, kind, SAMPLES[kind]).payload), SAMPLES[kind]);
    });

    it(`${kind}: bytes (as MQTT.js delivers them) decode like text`, () => {
      assert.deepEqual(decoded(kind, Buffer.from(encodePayload(kind, SAMPLES[kind]))), SAMPLES[kind]);
    });
  }
});

describe('payloads: refused whatever the kind', () => {
  for (const kind of KINDS) {
    it(`${kind}: empty (a cleared retained message)`, () => assert.match(refused(kind, ''), /empty/));

    it(`${kind}: larger than MAX_PAYLOAD_BYTES`, () => {
      const error = refused(kind, JSON.stringify({ padding: 'x'.repeat(MAX_PAYLOAD_BYTES) }));
      assert.match(error, new RegExp(`more than ${MAX_PAYLOAD_BYTES}`));
    });

    it(`${kind}: larger than MAX_PAYLOAD_BYTES in bytes, though not in characters`, () => {
      const text = `"${'€'.repeat(Math.ceil(MAX_PAYLOAD_BYTES / 3) + 1)}"`;
      assert.ok(text.length < MAX_PAYLOAD_BYTES);
      assert.match(refused(kind, text), /bytes/);
    });

    it(`${kind}: not UTF-8`, () => assert.match(refused(kind, new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), /UTF-8/));
  }

  for (const kind of KINDS.filter((k) => k !== 'status')) {
    for (const bad of ['{', '{"version":1,}', 'online', "{'id':'x'}", 'NaN', '[1,2']) {
      it(`${kind}: malformed JSON ${bad}`, () => assert.match(refused(kind, bad), /not valid JSON/));
    }
    for (const bad of ['null', '[]', '"text"', '42', 'true']) {
      it(`${kind}: ${bad} where an object belongs`, () => assert.match(refused(kind, bad), /must be an object/));
    }
  }

  it('a JSON syntax error never echoes the payload (it may hold a stream key)', () => {
    const error = refused('desired', `{"version":1,"config":{"ROOMCAST_DESTINATIONS":"youtube:${YT_KEY}"}`);
    assert.ok(!error.includes(YT_KEY.slice(0, -4)), error);
  });
});

describe('status', () => {
  for (const status of ['online', 'offline', 'lost'] as const) {
    it(`${status} is a status`, () => assert.equal(decoded('status', status), status));
  }
  for (const bad of ['ONLINE', '"online"', 'online\n', ' online', 'up', '1']) {
    it(`${JSON.stringify(bad)} is not`, () => assert.match(refused('status', bad), /one of online, offline, lost/));
  }
});

describe('desired config', () => {
  for (const [version, ok] of [[1, true], [Number.MAX_SAFE_INTEGER, true], [0, false], [-1, false], [1.5, false], ['2', false], [null, false], [2 ** 53, false]] as const) {
    it(`version ${JSON.stringify(version)} is ${ok ? 'accepted' : 'refused'}`, () => {
      const payload = JSON.stringify({ version, config: {} });
      if (ok) assert.equal(decoded('desired', payload).version, version);
      else assert.match(refused('desired', payload), /desired\.version must be a whole number/);
    });
  }

  it('a missing version or config is named', () => {
    assert.equal(refused('desired', { config: {} }), 'desired.version is missing');
    assert.equal(refused('desired', { version: 1 }), 'desired.config is missing');
  });

  it('values must be strings', () => {
    assert.equal(refused('desired', { version: 1, config: { ROOMCAST_FRAMERATE: 25 } }), 'desired.config.ROOMCAST_FRAMERATE must be a string, not 25');
    assert.match(refused('desired', { version: 1, config: { ROOMCAST_AUTOSTART: true } }), /must be a string/);
    assert.match(refused('desired', { version: 1, config: { ROOMCAST_ROOM_NAME: null } }), /must be a string, not null/);
    assert.match(refused('desired', { version: 1, config: [] }), /desired\.config must be an object, not a list/);
  });

  it('keys must be ROOMCAST_* variable names', () => {
    for (const key of ['PATH', 'roomcast_framerate', 'ROOMCAST_', '__proto__', 'ROOMCAST_A B']) {
      assert.match(refused('desired', `{"version":1,"config":{${JSON.stringify(key)}:"x"}}`), /not a ROOMCAST_\* variable name/, key);
    }
  });

  it('a value too long is refused by its length, without echoing it', () => {
    const error = refused('desired', { version: 1, config: { ROOMCAST_DESTINATIONS: `youtube:${YT_KEY}${'x'.repeat(5000)}` } });
    assert.match(error, /ROOMCAST_DESTINATIONS is 5032 characters long, more than 4096/);
    assert.ok(!error.includes(YT_KEY), error);
  });

  it('too many variables are refused', () => {
    const config = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`ROOMCAST_X${i}`, '1']));
    assert.match(refused('desired', { version: 1, config }), /65 variables, more than 64/);
  });

  it('unknown fields are dropped', () => {
    assert.deepEqual(decoded('desired', JSON.stringify({ ...SAMPLES.desired, author: 'ops' })), SAMPLES.desired);
  });
});

describe('shouldApply: only newer versions apply', () => {
  for (const [desired, applied, expected] of [[1, 0, true], [8, 7, true], [100, 7, true], [7, 7, false], [6, 7, false], [1, 1, false]] as const) {
    it(`desired ${desired} over applied ${applied}: ${expected ? 'apply' : 'ignore'}`, () => assert.equal(shouldApply(desired, applied), expected));
  }
});

describe('checkDesiredConfig: the box schema decides', () => {
  it('accepts a valid config and gives the parsed DeviceConfig', () => {
    const result = checkDesiredConfig({ ROOMCAST_FRAMERATE: '25', ROOMCAST_DESTINATIONS: `twitch:${TWITCH_KEY}` });
    if (!result.ok) assert.fail(result.errors.join('; '));
    assert.equal(result.config.framerate, 25);
    assert.deepEqual(result.config.destinations.map((d) => d.id), ['twitch']);
  });

  it('reports every invalid variable at once, never echoing a stream key', () => {
    const result = checkDesiredConfig({ ROOMCAST_FRAMERATE: '0', ROOMCAST_VIDEO_SIZE: '1281x720', ROOMCAST_DESTINATIONS: `http://a.rtmp.youtube.com/live2/${YT_KEY}` });
    if (result.ok) assert.fail('expected a refusal');
    assert.deepEqual(result.errors.map((e) => e.split(':')[0]).sort(), ['ROOMCAST_DESTINATIONS', 'ROOMCAST_FRAMERATE', 'ROOMCAST_VIDEO_SIZE']);
    assert.ok(!result.errors.join(' ').includes(YT_KEY.slice(0, -4)));
  });

  it('refuses variables only the box itself may set', () => {
    const result = checkDesiredConfig({ ROOMCAST_FLEET_URL: 'https://evil.example', ROOMCAST_ENROLL_TOKEN: 'x', ROOMCAST_DATA_DIR: '/tmp', ROOMCAST_UPDATE_LOCK_PATH: '/tmp/x.lock', ROOMCAST_FRAMERATE: '25' });
    if (result.ok) assert.fail('expected a refusal');
    assert.deepEqual(result.errors.map((e) => e.split(':')[0]).sort(), ['ROOMCAST_DATA_DIR', 'ROOMCAST_ENROLL_TOKEN', 'ROOMCAST_FLEET_URL', 'ROOMCAST_UPDATE_LOCK_PATH']);
  });

  it('is laid over the box variables: unset ones keep the box value, an empty one means the default', () => {
    const base = { ROOMCAST_FRAMERATE: '50', ROOMCAST_VIDEO_SIZE: '1920x1080', PATH: '/usr/bin' };
    const result = checkDesiredConfig({ ROOMCAST_VIDEO_SIZE: '' }, base);
    if (!result.ok) assert.fail(result.errors.join('; '));
    assert.equal(result.config.framerate, 50);
    assert.deepEqual(result.config.videoSize, { width: 1280, height: 720 });
  });

  it('an unknown variable (for a newer release) is a warning, not a refusal', () => {
    const result = checkDesiredConfig({ ROOMCAST_FUTURE_THING: 'on' });
    if (!result.ok) assert.fail(result.errors.join('; '));
    assert.deepEqual(result.warnings.map((w) => w.variable), ['ROOMCAST_FUTURE_THING']);
  });
});

describe('maskSecrets', () => {
  it('masks each destination to its last 4 characters, keeping the form it was written in', () => {
    const masked = maskSecrets({
      ROOMCAST_DESTINATIONS: `youtube:${YT_KEY}  twitch:${TWITCH_KEY} rtmps://user:pw-0a1b2c3d4e5f@example.com/app/sk-9f8e7d6c5b4a`,
      ROOMCAST_FRAMERATE: '25',
    });
    assert.deepEqual(masked, {
      ROOMCAST_DESTINATIONS: 'youtube:****qrst twitch:****MnOp rtmps://user:****4e5f@example.com/app/****5b4a',
      ROOMCAST_FRAMERATE: '25',
    });
  });

  it('masks a destination that does not parse whole', () => {
    assert.equal(maskSecrets({ ROOMCAST_DESTINATIONS: `yt:${YT_KEY}` }).ROOMCAST_DESTINATIONS, '****qrst');
  });

  it('masks variables named like secrets that this release does not know', () => {
    assert.deepEqual(maskSecrets({ ROOMCAST_SRT_PASSWORD: 'pw-0a1b2c3d4e5f', ROOMCAST_API_KEY: 'short', ROOMCAST_ROOM_NAME: 'Main hall' }), {
      ROOMCAST_SRT_PASSWORD: '****4e5f',
      ROOMCAST_API_KEY: '****',
      ROOMCAST_ROOM_NAME: 'Main hall',
    });
  });
});

describe('reported state', () => {
  it('without a refusal', () => {
    const plain = without(SAMPLES.reported, 'refused');
    assert.deepEqual(decoded('reported', JSON.stringify(plain)), plain);
    assert.deepEqual(decoded('reported', JSON.stringify({ ...plain, refused: null })), plain);
  });

  it('a refusal must be newer than the applied version, and say why', () => {
    const r = sample('reported');
    assert.match(refused('reported', { ...r, refused: { version: 7, errors: ['x'] } }), /refused\.version must be newer than appliedVersion/);
    assert.match(refused('reported', { ...r, refused: { version: 8, errors: [] } }), /reported\.refused\.errors is empty/);
    assert.match(refused('reported', { ...r, refused: { version: 8 } }), /reported\.refused\.errors is missing/);
  });

  it('appliedVersion 0 means nothing applied yet; negative or missing is refused', () => {
    const r = sample('reported');
    assert.equal(decoded('reported', JSON.stringify({ ...r, appliedVersion: 0, refused: { version: 1, errors: ['x'] } })).appliedVersion, 0);
    assert.match(refused('reported', { ...r, appliedVersion: -1 }), /reported\.appliedVersion must be a whole number/);
    assert.equal(refused('reported', without(r, 'appliedVersion')), 'reported.appliedVersion is missing');
  });

  it('the balena update state is optional (an older box or no supervisor) and checked when present', () => {
    const r = sample('reported');
    const withUpdate = { ...r, update: { pending: true, locked: true } };
    assert.deepEqual(decoded('reported', JSON.stringify(withUpdate)).update, { pending: true, locked: true });
    assert.equal(decoded('reported', JSON.stringify({ ...r, update: null })).update, undefined);
    assert.equal('update' in decoded('reported', JSON.stringify(r)), false);
    assert.deepEqual(decoded('reported', JSON.stringify({ ...r, update: { pending: false, locked: true, eta: 5 } })).update, { pending: false, locked: true }, 'unknown fields dropped');
    assert.equal(refused('reported', { ...r, update: { pending: 'yes', locked: false } }), 'reported.update.pending must be true or false, not a string');
    assert.equal(refused('reported', { ...r, update: { pending: true } }), 'reported.update.locked is missing');
    assert.equal(refused('reported', { ...r, update: true }), 'reported.update must be an object, not true');
  });

  it('the stream state is checked field by field', () => {
    const broken = (patch: (s: Record<string, unknown>) => void): object => {
      const r = sample('reported');
      patch(r.state as Record<string, unknown>);
      return r;
    };
    assert.match(refused('reported', broken((s) => (s.phase = 'streaming'))), /reported\.state\.phase must be one of idle, starting, live, stopping, error/);
    assert.match(refused('reported', broken((s) => (s.since = 'yesterday'))), /reported\.state\.since must be a time/);
    assert.match(refused('reported', broken((s) => delete s.audio)), /reported\.state\.audio is missing/);
    assert.match(refused('reported', broken((s) => ((s.destinations as Record<string, unknown>[])[1]!.bytesSent = '12'))), /reported\.state\.destinations\[1\]\.bytesSent must be a whole number/);
    assert.match(refused('reported', broken((s) => ((s.destinations as Record<string, unknown>[])[0]!.state = 'up'))), /destinations\[0\]\.state must be one of/);
    assert.match(refused('reported', broken((s) => ((s.recording as Record<string, unknown>).enabled = 'yes'))), /recording\.enabled must be true or false/);
    assert.match(refused('reported', broken((s) => ((s.audio as Record<string, unknown>).peakDb = [-3, 'loud']))), /audio\.peakDb\[1\] must be a number/);
    assert.match(refused('reported', broken((s) => (s.destinations = {}))), /destinations must be a list/);
  });

  it('the config is held to the same rules as a desired one', () => {
    assert.match(refused('reported', { ...sample('reported'), config: { ROOMCAST_FRAMERATE: 25 } }), /reported\.config\.ROOMCAST_FRAMERATE must be a string/);
  });
});

describe('command requests', () => {
  for (const name of COMMAND_NAMES) {
    it(`${name} without arguments`, () => assert.deepEqual(decoded('commandRequest', JSON.stringify({ id: 't-1', name })), { id: 't-1', name }));
  }

  it('identify takes seconds, within 1..600', () => {
    assert.deepEqual(decoded('commandRequest', JSON.stringify({ id: 't-1', name: 'identify', args: { seconds: 600 } })).args, { seconds: 600 });
    assert.match(refused('commandRequest', { id: 't-1', name: 'identify', args: { seconds: 0 } }), /request\.args\.seconds must be a whole number from 1 to 600, not 0/);
    assert.match(refused('commandRequest', { id: 't-1', name: 'identify', args: { seconds: '30' } }), /request\.args\.seconds must be a whole number/);
  });

  it('unknown arguments are refused, saying what the command takes', () => {
    assert.equal(refused('commandRequest', { id: 't-1', name: 'identify', args: { colour: 1 } }), 'request.args: identify takes seconds');
    assert.equal(refused('commandRequest', { id: 't-1', name: 'start', args: { force: 1 } }), 'request.args: start takes no arguments');
    assert.match(refused('commandRequest', `{"id":"t-1","name":"start","args":{"toString":1}}`), /start takes no arguments/);
  });

  it('an unknown command is refused, but its transaction id can still be answered', () => {
    const payload = JSON.stringify({ id: 't-9', name: 'reboot' });
    assert.match(refused('commandRequest', payload), /request\.name must be one of start, stop, snapshot, restart, identify/);
    assert.equal(transactionIdOf(payload), 't-9');
  });

  it('no usable transaction id: nothing to answer', () => {
    for (const payload of ['{', '[]', '{"name":"start"}', '{"id":"a/b","name":"start"}', '{"id":7}', '', 'x'.repeat(MAX_PAYLOAD_BYTES + 1)]) {
      assert.equal(transactionIdOf(payload), null, payload.slice(0, 40));
    }
  });

  it('transaction ids are 1 to 64 safe characters', () => {
    for (const bad of ['', 'a b', 'a/b', 'x'.repeat(65), 42, null]) {
      assert.match(refused('commandRequest', { id: bad, name: 'start' }), /request\.id must be a transaction id/, String(bad));
    }
    assert.equal(refused('commandRequest', { name: 'start' }), 'request.id is missing');
  });
});

describe('command responses', () => {
  it('ok with or without a result', () => {
    assert.deepEqual(decoded('commandResponse', JSON.stringify({ id: 't-1', ok: true })), { id: 't-1', ok: true });
    assert.deepEqual(decoded('commandResponse', JSON.stringify({ id: 't-1', ok: true, result: { live: true, note: null } })), { id: 't-1', ok: true, result: { live: true, note: null } });
  });

  it('an error with its message', () => {
    assert.deepEqual(decoded('commandResponse', JSON.stringify({ id: 't-1', ok: false, error: 'no camera' })), { id: 't-1', ok: false, error: 'no camera' });
  });

  it('refuses a failure without a message, and mixed answers', () => {
    assert.equal(refused('commandResponse', { id: 't-1', ok: false }), 'response.error is missing');
    assert.equal(refused('commandResponse', { id: 't-1', ok: false, error: ' ' }), 'response.error is empty');
    assert.equal(refused('commandResponse', { id: 't-1', ok: true, error: 'x' }), 'response has ok true and an error');
    assert.equal(refused('commandResponse', { id: 't-1', ok: false, error: 'x', result: {} }), 'response has ok false and a result');
    assert.equal(refused('commandResponse', { id: 't-1', ok: 'yes' }), 'response.ok must be true or false, not a string');
    assert.equal(refused('commandResponse', { id: 't-1' }), 'response.ok is missing');
  });

  it('results are flat: strings, numbers, booleans and null', () => {
    assert.match(refused('commandResponse', { id: 't-1', ok: true, result: { nested: { a: 1 } } }), /response\.result\.nested must be a string, number, true, false or null, not an object/);
    assert.match(refused('commandResponse', { id: 't-1', ok: true, result: [1] }), /response\.result must be an object/);
  });
});

describe('snapshot answers', () => {
  const ME_ = 'box-1' as DeviceId;
  // The budget allows for sizes of up to 5 digits; a real still's are smaller, which only leaves room.
  const answer = (id: string, jpegBytes: number, size = 99999) => outgoing(ME_, 'commandResponse', { id, ok: true, result: { jpegBase64: Buffer.alloc(jpegBytes, 0xa5).toString('base64'), width: size, height: size } });

  for (const id of ['t', 'x'.repeat(64), '0b6f7c1e-5d2a-4e8b-9c3f-1a2b3c4d5e6f']) {
    it(`a JPEG of the budget fits with its envelope, 3 bytes more does not (id of ${id.length})`, () => {
      const budget = snapshotJpegBudget(id);
      assert.ok(budget > 48_000 && budget < MAX_PAYLOAD_BYTES * 0.75, String(budget));
      const fits = answer(id, budget);
      assert.ok(payloadFits(fits));
      assert.equal(decodePayload('commandResponse', fits.payload).ok, true);
      assert.ok(payloadFits(answer(id, budget, 640)));
      // Base64 grows in steps of 3 bytes: the budget is the last step that fits.
      const over = answer(id, budget + 3);
      assert.equal(payloadFits(over), false);
      assert.equal(decodePayload('commandResponse', over.payload).ok, false);
    });
  }

  it('a longer transaction id leaves less room for the JPEG', () => {
    assert.ok(snapshotJpegBudget('x'.repeat(64)) < snapshotJpegBudget('t'));
  });
});

describe('health', () => {
  it('every field is optional', () => {
    assert.deepEqual(decoded('health', '{}'), {});
  });

  it('null means not measured and is left out; unknown fields are dropped', () => {
    assert.deepEqual(decoded('health', JSON.stringify({ tempC: null, wifiSignalDbm: null, memUsedBytes: 5, gpuC: 40 })), { memUsedBytes: 5 });
  });

  const bad: [Record<string, unknown>, RegExp][] = [
    [{ tempC: '61' }, /health\.tempC must be a number from -60 to 200, not a string/],
    [{ cpuLoadPercent: 130 }, /health\.cpuLoadPercent must be a number from 0 to 100, not 130/],
    [{ memUsedBytes: -1 }, /health\.memUsedBytes must be a whole number/],
    [{ dataFreeBytes: 1.5 }, /health\.dataFreeBytes must be a whole number/],
    [{ wifiSignalDbm: 10 }, /health\.wifiSignalDbm must be a number from -150 to 0/],
    [{ underVoltageNow: 1 }, /health\.underVoltageNow must be true or false, not 1/],
    [{ netInterface: 'wlan0; reboot' }, /health\.netInterface must be a network interface name/],
    [{ netInterface: 'averyveryverylongname0' }, /health\.netInterface must be a network interface name/],
    [{ phase: 'up' }, /health\.phase must be one of/],
    [{ at: 12 }, /health\.at must be a time/],
  ];
  for (const [payload, error] of bad) {
    it(`refuses ${JSON.stringify(payload)}`, () => assert.match(refused('health', payload), error));
  }
});

describe('restoreMasked', () => {
  const stored = { ROOMCAST_DESTINATIONS: 'twitch:live_123456_abcdefgh rtmp://ingest.example.org/app/secret-key-9876', ROOMCAST_ROOM_NAME: 'Hall' };
  it('puts the stored keys back where the masked form came back unchanged', () => {
    const masked = maskSecrets(stored);
    const out = restoreMasked({ ...masked, ROOMCAST_ROOM_NAME: 'Hall B' }, stored);
    assert.deepEqual(out, { ok: true, config: { ...stored, ROOMCAST_ROOM_NAME: 'Hall B' } });
  });
  it('keeps new keys as typed and drops removed destinations', () => {
    const masked = maskSecrets(stored).ROOMCAST_DESTINATIONS?.split(' ')[0] ?? '';
    const out = restoreMasked({ ROOMCAST_DESTINATIONS: `${masked} youtube:aaaa-bbbb-cccc-dddd` }, stored);
    assert.deepEqual(out, { ok: true, config: { ROOMCAST_DESTINATIONS: 'twitch:live_123456_abcdefgh youtube:aaaa-bbbb-cccc-dddd' } });
  });
  it('refuses a masked key that matches nothing stored, without echoing any key', () => {
    const out = restoreMasked({ ROOMCAST_DESTINATIONS: 'youtube:****efgh' }, stored);
    assert.equal(out.ok, false);
    if (!out.ok) {
      assert.match(out.errors[0] ?? '', /type its stream key in full/);
      assert.ok(!out.errors.join().includes('abcdefgh'));
    }
  });
});

describe('IPFS announcements', () => {
  it('a segment: every field checked, CIDs and stream ids by their form', () => {
    assert.match(refused('ipfsSegment', { ...sample('ipfsSegment'), cid: 'not-a-cid' }), /segment\.cid must be a CID/);
    assert.match(refused('ipfsSegment', { ...sample('ipfsSegment'), stream: '../x' }), /segment\.stream must be a stream id/);
    assert.match(refused('ipfsSegment', { ...sample('ipfsSegment'), sequence: -1 }), /segment\.sequence must be a whole number/);
    assert.match(refused('ipfsSegment', { ...sample('ipfsSegment'), durationSeconds: 0 }), /segment\.durationSeconds must be a number from/);
    assert.match(refused('ipfsSegment', without(sample('ipfsSegment'), 'discontinuity')), /segment\.discontinuity is missing/);
    assert.equal(decoded('ipfsSegment', JSON.stringify({ ...sample('ipfsSegment'), extra: 1 })).cid, SEGMENT_CID);
  });

  it('a CIDv0 is a CID too', () => {
    assert.equal(decoded('ipfsSegment', JSON.stringify({ ...sample('ipfsSegment'), cid: 'QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG' })).cid, 'QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG');
  });

  it('the node: TCP multiaddrs only, without /p2p/, at most 16', () => {
    assert.match(refused('ipfsNode', { ...sample('ipfsNode'), multiaddrs: ['/ip4/192.0.2.7/udp/4001/quic-v1'] }), /node\.multiaddrs\[0\] must be a TCP multiaddr/);
    assert.match(refused('ipfsNode', { ...sample('ipfsNode'), multiaddrs: [`/ip4/192.0.2.7/tcp/4001/p2p/${PEER_ID}`] }), /must be a TCP multiaddr/);
    assert.match(refused('ipfsNode', { ...sample('ipfsNode'), multiaddrs: Array(17).fill('/ip4/192.0.2.7/tcp/4001') }), /more than 16/);
    assert.match(refused('ipfsNode', { ...sample('ipfsNode'), peerId: 'peer/0' }), /node\.peerId must be a libp2p peer id/);
  });

  it('a talk ended without a VOD says so with null', () => {
    assert.equal(decoded('ipfsEnded', JSON.stringify({ ...sample('ipfsEnded'), vodCid: null, segments: 0 })).vodCid, null);
  });

  it('ipfsOutgoing and decodeIpfs carry the kind with the payload', () => {
    const a = { kind: 'ipfsSegment' as const, value: SAMPLES.ipfsSegment };
    const msg = ipfsOutgoing(ME, a);
    assert.deepEqual({ topic: msg.topic, qos: msg.qos, retain: msg.retain }, { topic: `roomcast/${ME}/ipfs/segment`, qos: 1, retain: false });
    assert.deepEqual(decodeIpfs('ipfsSegment', msg.payload), { ok: true, value: a });
  });

  it('a reported state from a box without the ipfs field (an older release) reads as none', () => {
    const state = JSON.parse(JSON.stringify(SAMPLES.reported)) as { state: Record<string, unknown> };
    delete state.state['ipfs'];
    assert.equal(decoded('reported', JSON.stringify(state)).state.ipfs, null);
  });
});
