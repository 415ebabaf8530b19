import { SCHEMA } from '../common/config/schema.js';

/** The README's table of variables, generated from the one schema. */
export function configTable(): string {
  const rows = Object.values(SCHEMA).map((s) => `| \`${s.env}\` | ${s.default === undefined || s.default === '' ? '(unset)' : `\`${s.default}\``} | ${s.values} | ${s.doc} |`);
  return ['| Variable | Default | Values | What it does |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
