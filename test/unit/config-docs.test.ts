import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { configTable } from '../../cli/config-docs.js';
import { SCHEMA } from '../../common/config/schema.js';
import { FLEET_SCHEMA } from '../../fleet/config.js';

/** dist/test/unit/ -> the repository root. */
const README = fileURLToPath(new URL('../../../README.md', import.meta.url));

describe('configTable', () => {
  const lines = configTable().split('\n');
  const specs = Object.values(SCHEMA);

  it('is a header, a separator and one row per schema field, in schema order', () => {
    assert.equal(lines[0], '| Variable | Default | Values | What it does |');
    assert.equal(lines[1], '| --- | --- | --- | --- |');
    assert.equal(lines.length, 2 + specs.length);
    assert.deepEqual(
      lines.slice(2).map((l) => /^\| `([A-Z_]+)` \|/.exec(l)?.[1]),
      specs.map((s) => s.env),
    );
  });

  it('each row has exactly four cells (no | or newline in values or docs)', () => {
    for (const row of lines.slice(2)) assert.equal(row.split(' | ').length, 4, row);
    for (const s of specs) assert.ok(!/[|\n]/.test(s.doc + s.values), s.env);
  });

  it('shows defaults in code, and (unset) for empty ones', () => {
    const row = (env: string): string => lines.find((l) => l.startsWith(`| \`${env}\` |`)) ?? '';
    assert.ok(row('ROOMCAST_FRAMERATE').startsWith('| `ROOMCAST_FRAMERATE` | `30` | 1..60 | '), row('ROOMCAST_FRAMERATE'));
    assert.ok(row('ROOMCAST_RECORD_DIR').startsWith('| `ROOMCAST_RECORD_DIR` | (unset) | '), row('ROOMCAST_RECORD_DIR'));
    assert.ok(row('ROOMCAST_DESTINATIONS').startsWith('| `ROOMCAST_DESTINATIONS` | (unset) | '), row('ROOMCAST_DESTINATIONS'));
  });

  it('README.md contains the generated table verbatim', () => {
    assert.ok(readFileSync(README, 'utf8').includes(configTable()), 'README.md table differs from `roomcast config-docs`; regenerate it');
  });

  it('README.md contains the fleet service\'s table verbatim', () => {
    const fleet = configTable(FLEET_SCHEMA);
    assert.equal(fleet.split('\n').length, 2 + Object.keys(FLEET_SCHEMA).length);
    assert.ok(readFileSync(README, 'utf8').includes(fleet), 'README.md fleet table differs from `roomcast config-docs fleet`; regenerate it');
  });
});
