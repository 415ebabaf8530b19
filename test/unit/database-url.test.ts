import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { scrubSecrets } from '../../common/secret.js';
import { chooseDatabase, maskDatabaseUrl } from '../../fleet/store/database-url.js';
import { DatabaseUrlError } from '../../fleet/store/errors.js';

function refusal(raw: string): string {
  try {
    chooseDatabase(raw);
  } catch (err) {
    assert.ok(err instanceof DatabaseUrlError, `${raw} should give a DatabaseUrlError`);
    return err.message;
  }
  assert.fail(`${raw} should be refused`);
}

describe('chooseDatabase', () => {
  test('no URL, or a blank one, means SQLite in the data dir', () => {
    assert.deepEqual(chooseDatabase(null), { kind: 'sqlite' });
    assert.deepEqual(chooseDatabase('  '), { kind: 'sqlite' });
  });

  test('postgres:// and postgresql:// URLs choose PostgreSQL', () => {
    assert.deepEqual(chooseDatabase('postgres://fleet@db.example:5432/fleet'), { kind: 'postgres', url: 'postgres://fleet@db.example:5432/fleet' });
    assert.deepEqual(chooseDatabase(' postgresql://fleet:pw@127.0.0.1/fleet '), { kind: 'postgres', url: 'postgresql://fleet:pw@127.0.0.1/fleet' });
  });

  test('another scheme, no host or no URL at all is refused without showing the password', () => {
    const mysql = refusal('mysql://fleet:hunter2-long-password@db/fleet');
    assert.match(mysql, /must start with postgres:\/\/ or postgresql:\/\//);
    assert.match(mysql, /mysql:\/\/fleet:\*\*\*\*@db\/fleet/);
    assert.doesNotMatch(mysql, /hunter2/);
    assert.match(refusal('postgres://'), /is not a URL|has no host/);
    const garbage = refusal('postgres://fleet:hunter2-long-password@db:port/fleet');
    assert.match(garbage, /is not a URL/);
    assert.doesNotMatch(garbage, /hunter2/);
  });

  test('a parsed password is handed to the log scrubber', () => {
    chooseDatabase('postgres://fleet:scrub-me-please-0042@127.0.0.1/fleet');
    assert.doesNotMatch(scrubSecrets('connect failed: scrub-me-please-0042'), /scrub-me-please/);
  });
});

describe('maskDatabaseUrl', () => {
  test('masks the password and keeps user, host, port and database', () => {
    assert.equal(maskDatabaseUrl('postgres://fleet:secret@db:5432/fleet?sslmode=require'), 'postgres://fleet:****@db:5432/fleet?sslmode=require');
  });

  test('masks a password holding an unescaped @ or / whole', () => {
    assert.equal(maskDatabaseUrl('postgres://fleet:p@ss/w@rd@db/fleet'), 'postgres://fleet:****@db/fleet');
  });

  test('leaves a URL without a password as it is', () => {
    assert.equal(maskDatabaseUrl('postgres://fleet@db:5432/fleet'), 'postgres://fleet@db:5432/fleet');
    assert.equal(maskDatabaseUrl('postgres://db:5432/fleet'), 'postgres://db:5432/fleet');
  });
});
