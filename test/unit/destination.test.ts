import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assignIds, destinationSecrets, parseDestination, type Destination } from '../../common/destination.js';
import { maskSecret, registerSecret, scrubSecrets } from '../../common/secret.js';

function parsed(word: string): Omit<Destination, 'id'> {
  const d = parseDestination(word);
  if ('error' in d) assert.fail(`${word}: ${d.error}`);
  return d;
}

function parseError(word: string): string {
  const d = parseDestination(word);
  if (!('error' in d)) assert.fail(`expected ${word} to be rejected, got ${d.url}`);
  return d.error;
}

describe('presets', () => {
  it('youtube:KEY expands to the YouTube RTMP ingest', () => {
    assert.deepEqual(parsed('youtube:abcd-efgh-ijkl-mnop-qrst'), {
      platform: 'youtube',
      protocol: 'rtmp',
      url: 'rtmp://a.rtmp.youtube.com/live2/abcd-efgh-ijkl-mnop-qrst',
      display: 'rtmp://a.rtmp.youtube.com/live2/****qrst',
    });
  });

  it('twitch:KEY expands to the Twitch RTMP ingest', () => {
    assert.deepEqual(parsed('twitch:live_123456789_AbCdEfGhIjKlMnOp'), {
      platform: 'twitch',
      protocol: 'rtmp',
      url: 'rtmp://live.twitch.tv/app/live_123456789_AbCdEfGhIjKlMnOp',
      display: 'rtmp://live.twitch.tv/app/****MnOp',
    });
  });

  it('facebook:KEY expands to the Facebook RTMPS ingest', () => {
    assert.deepEqual(parsed('facebook:FB-1234567890123456-0-AbCdEfGhIjKl'), {
      platform: 'facebook',
      protocol: 'rtmps',
      url: 'rtmps://live-api-s.facebook.com:443/rtmp/FB-1234567890123456-0-AbCdEfGhIjKl',
      display: 'rtmps://live-api-s.facebook.com:443/rtmp/****IjKl',
    });
  });

  it('the preset name is case-insensitive', () => {
    assert.equal(parsed('YouTube:abcd-efgh-ijkl-mnop').platform, 'youtube');
  });
});

describe('custom URLs', () => {
  it('rtmp:// with a port', () => {
    assert.deepEqual(parsed('rtmp://ingest.example.com:1935/live/stream-key-123456'), {
      platform: 'custom',
      protocol: 'rtmp',
      url: 'rtmp://ingest.example.com:1935/live/stream-key-123456',
      display: 'rtmp://ingest.example.com:1935/live/****3456',
    });
  });

  it('rtmps:// with user:password and a nested application masks key and password', () => {
    const d = parsed('rtmps://alice:s3cretpassword@ingest.example.com:443/app/sub/streamkey987654');
    assert.equal(d.protocol, 'rtmps');
    assert.equal(d.url, 'rtmps://alice:s3cretpassword@ingest.example.com:443/app/sub/streamkey987654');
    assert.equal(d.display, 'rtmps://alice:****word@ingest.example.com:443/app/sub/****7654');
  });

  it('a query string counts as part of the key', () => {
    const d = parsed('rtmp://ingest.example.com/live/stream?token=abcdef123456');
    assert.equal(d.url, 'rtmp://ingest.example.com/live/stream?token=abcdef123456');
    assert.equal(d.display, 'rtmp://ingest.example.com/live/****3456');
  });
});

describe('ids', () => {
  it('are the platform name, numbered from the second of a kind', () => {
    const words = ['youtube:aaaa-bbbb-cccc', 'twitch:live_1111_2222', 'youtube:dddd-eeee-ffff', 'rtmp://a.example/live/k1234', 'rtmp://b.example/live/k5678', 'youtube:gggg-hhhh'];
    const ids = assignIds(words.map(parsed)).map((d) => d.id);
    assert.deepEqual(ids, ['youtube', 'twitch', 'youtube-2', 'custom', 'custom-2', 'youtube-3']);
  });
});

describe('invalid destinations', () => {
  const KEY = 'secretkey-0123456789';
  const invalid = [
    `http://example.com/live/${KEY}`,
    `https://example.com/live/${KEY}`,
    `srt://example.com:9000/live/${KEY}`,
    'rtmp://example.com/onlyapp',
    'rtmp://example.com',
    `rtmp:///live/${KEY}`,
    'youtube:',
    'youtube:abc',
    `twitch:${KEY}/extra`,
    'garbage',
    '',
  ];
  for (const word of invalid) {
    it(`rejects ${JSON.stringify(word)} without showing the key`, () => {
      const error = parseError(word);
      assert.ok(error.length > 0);
      assert.ok(!error.includes(KEY.slice(0, -4)), error);
    });
  }

  it('says what a URL without a stream key is missing', () => {
    assert.match(parseError('rtmp://example.com/onlyapp'), /needs an application and a stream key/);
  });
});

describe('maskSecret', () => {
  it('shows nothing of secrets of 8 characters or fewer', () => {
    for (const s of ['', 'a', 'abcd', 'abcdefgh']) assert.equal(maskSecret(s), '****');
  });

  it('shows only the last 4 characters of longer secrets', () => {
    assert.equal(maskSecret('abcdefghi'), '****fghi');
    assert.equal(maskSecret('live_123456789_AbCdEfGhIjKlMnOp'), '****MnOp');
  });
});

describe('scrubSecrets', () => {
  it('masks every occurrence of a registered secret', () => {
    registerSecret('live_123456789_AbCdEfGhIjKlMnOp');
    const line = 'connect rtmp://live.twitch.tv/app/live_123456789_AbCdEfGhIjKlMnOp failed; retrying live_123456789_AbCdEfGhIjKlMnOp';
    assert.equal(scrubSecrets(line), 'connect rtmp://live.twitch.tv/app/****MnOp failed; retrying ****MnOp');
  });

  it('leaves text without registered secrets alone', () => {
    assert.equal(scrubSecrets('pipeline playing'), 'pipeline playing');
  });

  it('masks a secret that contains a shorter registered secret', () => {
    registerSecret('stream'); // the key of rtmp://192.168.1.10/live/stream
    registerSecret('stream-2f8a9c41d7');
    assert.equal(scrubSecrets('key stream-2f8a9c41d7'), 'key ****41d7');
  });

  it('does not register secrets shorter than 4 characters', () => {
    registerSecret('abc');
    assert.equal(scrubSecrets('abc abc'), 'abc abc');
  });
});

describe('destinationSecrets', () => {
  it('is the stream key of a preset', () => {
    const [d] = assignIds([parsed('youtube:abcd-efgh-ijkl-mnop')]);
    assert.ok(d);
    assert.deepEqual(destinationSecrets(d), ['abcd-efgh-ijkl-mnop']);
  });

  it('is the stream key and the password of a custom URL', () => {
    const [d] = assignIds([parsed('rtmps://alice:s3cretpassword@ingest.example.com/app/streamkey987654')]);
    assert.ok(d);
    assert.deepEqual(destinationSecrets(d), ['streamkey987654', 's3cretpassword']);
  });

  it('registered, they scrub a query-string token from the URL', () => {
    const [d] = assignIds([parsed('rtmp://ingest.example.com/live/cam1-key-0042?token=tok-abcdef123456')]);
    assert.ok(d);
    destinationSecrets(d).forEach(registerSecret);
    assert.ok(!scrubSecrets(d.url).includes('tok-abcdef12'), scrubSecrets(d.url));
  });

  it('registered, they scrub a percent-encoded password from the URL', () => {
    const [d] = assignIds([parsed('rtmp://alice:p%40ssw0rd-long-secret@ingest.example.com/live/streamkey987654')]);
    assert.ok(d);
    destinationSecrets(d).forEach(registerSecret);
    assert.ok(!scrubSecrets(d.url).includes('ssw0rd-long'), scrubSecrets(d.url));
  });
});

describe('ipfs', () => {
  it('is a word on its own, with nothing secret in it', () => {
    const d = parseDestination('ipfs');
    assert.deepEqual(d, { platform: 'ipfs', protocol: 'ipfs', url: 'ipfs:', display: 'ipfs' });
    assert.ok(!('error' in d));
    assert.deepEqual(destinationSecrets({ ...d, id: 'ipfs' }), []);
  });

  it('takes no argument', () => {
    assert.ok('error' in parseDestination('ipfs:something'));
  });
});
