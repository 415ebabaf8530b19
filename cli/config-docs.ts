import { SCHEMA, type VariableSpec } from '../common/config/schema.js';

/** A README table of variables, generated from one schema: the box's (default) or the fleet service's. */
export function configTable(schema: Record<string, VariableSpec<unknown>> = SCHEMA): string {
  const rows = Object.values(schema).map((s) => `| \`${s.env}\` | ${s.default === undefined || s.default === '' ? '(unset)' : `\`${s.default}\``} | ${s.values} | ${s.doc} |`);
  return ['| Variable | Default | Values | What it does |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
