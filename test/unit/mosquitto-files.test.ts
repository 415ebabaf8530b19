import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BOX_ACL, FLEET_ACL, MAX_PAYLOAD_BYTES, TOPICS, aclAllows, isDeviceId, type AclRule, type TopicKind } from '../../common/protocol.js';
import { FLEET_USERNAME } from '../../common/protocol.js';
import { hashMosquittoPassword, isBrokerUsername, isMosquittoHash, newBoxPassword, verifyMosquittoPassword } from '../../fleet/credentials.js';
import { renderAclFile } from '../../fleet/mosquitto/acl-file.js';
import { MAX_PACKET_BYTES, renderBrokerConfig, type BrokerConfigOptions } from '../../fleet/mosquitto/broker-config.js';
import { MosquittoFileError } from '../../fleet/mosquitto/errors.js';
import { renderPasswordFile } from '../../fleet/mosquitto/password-file.js';
import { writeMosquittoFiles } from '../../fleet/mosquitto/write-files.js';

/** Written by `mosquitto_passwd -c -b pw alice s3cret` (Mosquitto 2.0.11). */
const MOSQUITTO_PASSWD_LINE = 'alice:$7$101$i4YDAP++ecRKK3dv$6bobiPQ6+5Q+aBGlAFY1NNmOIPD7VmpNiYpSadwq8Y5UUq3SU8C6vlQSTzj3/XmzcTxuV/CvwaKOku+IEIc+yQ==';
const MOSQUITTO_PASSWD_HASH = MOSQUITTO_PASSWD_LINE.slice('alice:'.length);
const KINDS = Object.keys(TOPICS) as TopicKind[];

describe('Mosquitto password hashes', () => {
  it("verifies a hash written by mosquitto_passwd, and rejects a wrong password", () => {
    assert.ok(verifyMosquittoPassword('s3cret', MOSQUITTO_PASSWD_HASH));
    assert.ok(!verifyMosquittoPassword('s3cres', MOSQUITTO_PASSWD_HASH));
    assert.ok(!verifyMosquittoPassword('', MOSQUITTO_PASSWD_HASH));
  });

  it("writes byte for byte what mosquitto_passwd writes for the same salt", () => {
    const salt = Buffer.from('i4YDAP++ecRKK3dv', 'base64');
    assert.equal(hashMosquittoPassword('s3cret', { salt }), MOSQUITTO_PASSWD_HASH);
  });

  it('uses a fresh 12-byte salt, 101 iterations by default, and any other count given', () => {
    const a = hashMosquittoPassword('pw');
    const b = hashMosquittoPassword('pw');
    assert.notEqual(a, b);
    assert.match(a, /^\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/);
    const slow = hashMosquittoPassword('pw', { iterations: 1000 });
    assert.match(slow, /^\$7\$1000\$/);
    assert.ok(verifyMosquittoPassword('pw', slow));
    assert.ok(!verifyMosquittoPassword('pw2', slow));
    assert.throws(() => hashMosquittoPassword('pw', { iterations: 0 }), { name: 'CredentialError' });
  });

  it('refuses anything that is not a $7$ hash, without throwing', () => {
    for (const bad of ['', 'pw', '$6$abc$def', '$7$$abc$def', '$7$101$i4YDAP++ecRKK3dv$short', `${MOSQUITTO_PASSWD_HASH}\n`, '$7$0$i4YDAP++ecRKK3dv$' + MOSQUITTO_PASSWD_HASH.split('$')[4]]) {
      assert.ok(!isMosquittoHash(bad), bad);
      assert.ok(!verifyMosquittoPassword('s3cret', bad), bad);
    }
  });

  it('makes long random box passwords', () => {
    const p = newBoxPassword();
    assert.match(p, /^[A-Za-z0-9_-]{32}$/);
    assert.notEqual(p, newBoxPassword());
  });

  it("has a fleet username that no box can enrol as and that fits a password line", () => {
    assert.ok(!isDeviceId(FLEET_USERNAME));
    assert.ok(!FLEET_USERNAME.includes(':'));
    assert.ok(isBrokerUsername(FLEET_USERNAME));
    assert.ok(isBrokerUsername('box-1'));
    assert.ok(!isBrokerUsername('Box-1'));
  });
});

describe('the password file', () => {
  const hash = hashMosquittoPassword('x');

  it('is one sorted username:hash line per account', () => {
    const text = renderPasswordFile([
      { username: 'zeta', passwordHash: hash },
      { username: FLEET_USERNAME, passwordHash: MOSQUITTO_PASSWD_HASH },
      { username: 'alpha', passwordHash: hash },
    ]);
    assert.equal(text, `${FLEET_USERNAME}:${MOSQUITTO_PASSWD_HASH}\nalpha:${hash}\nzeta:${hash}\n`);
    assert.equal(renderPasswordFile([]), '');
  });

  it('refuses unsafe usernames, duplicates and non-hashes, all at once and without echoing them', () => {
    const err = (() => {
      try {
        renderPasswordFile([
          { username: 'a:b', passwordHash: hash },
          { username: 'ok\nevil', passwordHash: hash },
          { username: '+', passwordHash: hash },
          { username: 'dup', passwordHash: hash },
          { username: 'dup', passwordHash: hash },
          { username: 'plain', passwordHash: 'hunter2-the-password' },
        ]);
      } catch (e) {
        return e;
      }
      return null;
    })();
    assert.ok(err instanceof MosquittoFileError);
    assert.equal(err.problems.length, 5);
    assert.match(err.message, /dup appears twice/);
    assert.ok(!err.message.includes('hunter2'));
    assert.ok(!err.message.includes('evil'));
  });
});

/** Reads a rendered ACL file back into the rules Mosquitto applies to one user. */
function rulesFor(aclText: string, username: string): AclRule[] {
  const rules: AclRule[] = [];
  let user: string | null = null;
  for (const line of aclText.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const [keyword, a, b] = line.split(' ');
    if (keyword === 'user') user = a ?? null;
    else if (keyword === 'pattern' || (keyword === 'topic' && user === username)) {
      assert.ok(a === 'read' || a === 'write' || a === 'readwrite', line);
      rules.push({ access: a, topic: b ?? '' });
    }
  }
  return rules;
}

describe('the ACL file', () => {
  const text = renderAclFile(FLEET_USERNAME);

  it('writes BOX_ACL as pattern lines and FLEET_ACL under the fleet user', () => {
    const rules = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    assert.deepEqual(rules, [
      'pattern write roomcast/%u/status',
      'pattern write roomcast/%u/reported',
      'pattern write roomcast/%u/health',
      'pattern read roomcast/%u/desired',
      'pattern read roomcast/%u/command/request',
      'pattern write roomcast/%u/command/response',
      'pattern write roomcast/%u/ipfs/node',
      'pattern read roomcast/%u/ipfs/fleet',
      'pattern write roomcast/%u/ipfs/segment',
      'pattern write roomcast/%u/ipfs/ended',
      `user ${FLEET_USERNAME}`,
      'topic readwrite roomcast/#',
    ]);
  });

  it('says what aclAllows says, for boxes and for the fleet', () => {
    const samples = ['#', 'roomcast/#', 'roomcast/+/desired', 'roomcast/box-a/#', 'roomcast/box-a/+', '$SYS/#', 'roomcast/box-a/status/extra', 'other/box-a/status'];
    for (const id of ['box-a', 'box-b']) for (const kind of KINDS) samples.push(`roomcast/${id}/${TOPICS[kind].suffix}`);
    for (const kind of KINDS) samples.push(`roomcast/+/${TOPICS[kind].suffix}`);
    let allowed = 0;
    for (const [user, protocolRules] of [['box-a', BOX_ACL], [FLEET_USERNAME, FLEET_ACL]] as const) {
      const fileRules = rulesFor(text, user);
      for (const action of ['publish', 'subscribe'] as const) {
        for (const topic of samples) {
          if (action === 'publish' && /[+#]/.test(topic)) continue;
          const want = aclAllows(protocolRules, user, action, topic);
          assert.equal(aclAllows(fileRules, user, action, topic), want, `${user} ${action} ${topic}`);
          if (want) allowed++;
        }
      }
    }
    // Not a comparison of two empty rule sets.
    assert.ok(allowed > 10, `${allowed} allowed`);
  });

  it('refuses a fleet username that a box could enrol as, and unsafe topics', () => {
    assert.throws(() => renderAclFile('fleet'), MosquittoFileError);
    assert.throws(() => renderAclFile('_fleet x'), MosquittoFileError);
    assert.throws(() => renderAclFile(FLEET_USERNAME, [{ access: 'read', topic: 'a\nuser evil' }]), MosquittoFileError);
    assert.throws(() => renderAclFile(FLEET_USERNAME, BOX_ACL, [{ access: 'read', topic: 'roomcast/%u/x' }]), MosquittoFileError);
  });
});

describe('the broker config', () => {
  const base: BrokerConfigOptions = {
    listener: { port: 1883, bindAddress: '127.0.0.1' },
    tls: { port: 8883, bindAddress: '0.0.0.0', cafile: '/etc/roomcast/tls/ca.pem', certfile: '/etc/roomcast/tls/server.pem', keyfile: '/etc/roomcast/tls/server.key' },
    passwordFile: '/var/lib/roomcast/mosquitto/passwords',
    aclFile: '/var/lib/roomcast/mosquitto/acl',
    persistenceDir: '/var/lib/mosquitto',
  };
  const settings = (text: string): string[] => text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));

  it('renders global settings, then each listener with its own options', () => {
    assert.deepEqual(settings(renderBrokerConfig(base)), [
      'per_listener_settings false',
      'allow_anonymous false',
      'password_file /var/lib/roomcast/mosquitto/passwords',
      'acl_file /var/lib/roomcast/mosquitto/acl',
      `max_packet_size ${MAX_PACKET_BYTES}`,
      'max_queued_messages 5000',
      'max_queued_bytes 67108864',
      'set_tcp_nodelay true',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      'log_type information',
      'connection_messages true',
      'persistence true',
      'persistence_location /var/lib/mosquitto/',
      'autosave_interval 300',
      'persistent_client_expiration 30d',
      'listener 1883 127.0.0.1',
      'use_username_as_clientid true',
      'listener 8883 0.0.0.0',
      'use_username_as_clientid true',
      'cafile /etc/roomcast/tls/ca.pem',
      'certfile /etc/roomcast/tls/server.pem',
      'keyfile /etc/roomcast/tls/server.key',
      'tls_version tlsv1.2',
    ]);
    assert.ok(MAX_PACKET_BYTES > MAX_PAYLOAD_BYTES);
  });

  it('explains every setting that is not a bare listener or log line', () => {
    const lines = renderBrokerConfig(base).split('\n');
    lines.forEach((line, i) => {
      if (line === '' || line.startsWith('#') || line.startsWith('listener ') || /^log_type (warning|notice)$/.test(line)) return;
      assert.match(lines[i - 1] ?? '', /^# /, `no reason above "${line}"`);
    });
  });

  it('keeps state in memory without a persistence dir, and names the user and pid file when given', () => {
    const plain: BrokerConfigOptions = { listener: { port: 1883, bindAddress: '127.0.0.1' }, passwordFile: base.passwordFile, aclFile: base.aclFile };
    const text = settings(renderBrokerConfig({ ...plain, user: 'mosquitto', pidFile: '/run/mosquitto/roomcast.pid' }));
    assert.ok(text.includes('persistence false'));
    assert.ok(text.includes('user mosquitto'));
    assert.ok(text.includes('pid_file /run/mosquitto/roomcast.pid'));
    assert.ok(!text.some((l) => l.startsWith('cafile') || l.startsWith('persistence_location')));
  });

  it('gives the fleet service a listener of its own that keeps client ids, plain or TLS', () => {
    const plain = settings(renderBrokerConfig({ ...base, service: { port: 1884, bindAddress: '127.0.0.1' } }));
    assert.deepEqual(plain.slice(plain.indexOf('listener 1884 127.0.0.1')), ['listener 1884 127.0.0.1', 'use_username_as_clientid false']);
    const tls = settings(renderBrokerConfig({ ...base, service: { port: 8884, bindAddress: '10.0.0.2', cafile: '/t/ca.pem', certfile: '/t/s.pem', keyfile: '/t/s.key' } }));
    assert.deepEqual(tls.slice(tls.indexOf('listener 8884 10.0.0.2')), ['listener 8884 10.0.0.2', 'use_username_as_clientid false', 'cafile /t/ca.pem', 'certfile /t/s.pem', 'keyfile /t/s.key', 'tls_version tlsv1.2']);
    assert.throws(() => renderBrokerConfig({ ...base, service: { port: 8883, bindAddress: '127.0.0.1' } }), /share a port/);
    assert.throws(() => renderBrokerConfig({ ...base, service: { port: 8884, bindAddress: '127.0.0.1', cafile: 'ca.pem', certfile: '/s.pem', keyfile: '/s.key' } }), /service CA file/);
  });

  it('refuses every bad setting at once', () => {
    assert.throws(
      () =>
        renderBrokerConfig({
          listener: { port: 0, bindAddress: 'a b' },
          passwordFile: 'relative/passwords',
          aclFile: '/x/acl\nallow_anonymous true',
          user: 'Root User',
        }),
      (e: unknown) => e instanceof MosquittoFileError && e.problems.length === 5,
    );
    assert.throws(() => renderBrokerConfig({ passwordFile: '/p', aclFile: '/a' }), /no listener/);
  });
});

describe('writing the files', () => {
  it('makes missing directories enterable by the broker account, and gives it the files', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('changing owners needs root');
    const base = await mkdtemp(join(tmpdir(), 'roomcast-mosquitto-files-'));
    try {
      const dir = join(base, 'fleet', 'mosquitto');
      const owner = { uid: 54321, gid: 54322 };
      await writeMosquittoFiles(dir, { passwordFile: '', aclFile: renderAclFile(FLEET_USERNAME) }, owner);
      for (const d of [join(base, 'fleet'), dir]) {
        const s = await stat(d);
        assert.deepEqual([s.uid, s.gid, s.mode & 0o777], [0, owner.gid, 0o750], d);
      }
      assert.equal((await stat(base)).gid, 0, 'a directory that was there is left alone');
      const pw = await stat(join(dir, 'passwords'));
      assert.deepEqual([pw.uid, pw.gid, pw.mode & 0o777], [owner.uid, owner.gid, 0o600]);
      assert.deepEqual((await readdir(dir)).sort(), ['acl', 'passwords'], 'no temp file left');
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });
});
