/**
 * Reads a serialised GstStructure, as gstreamer-superficial returns a
 * structure-typed property (rtmp2sink's "stats"):
 *   application/x-rtmp-client-stats, out-bytes-total=(guint64)1234, ...
 * Only numeric and plain string fields are kept.
 */
export function parseGstStructure(text: string): { name: string; fields: Record<string, number | string> } | null {
  const comma = text.indexOf(',');
  const name = (comma < 0 ? text : text.slice(0, comma)).trim();
  if (!/^[A-Za-z][\w/.+-]*$/.test(name)) return null;
  const fields: Record<string, number | string> = {};
  const body = comma < 0 ? '' : text.slice(comma + 1);
  for (const m of body.matchAll(/([A-Za-z][\w-]*)=(?:\((\w+)\))?("(?:[^"\\]|\\.)*"|[^,;]*)/g)) {
    const key = m[1] ?? '';
    const type = m[2] ?? '';
    const raw = (m[3] ?? '').trim();
    if (/^(g?u?int(64)?|g?u?long|double|float)$/.test(type) || (type === '' && /^-?\d+(\.\d+)?$/.test(raw))) fields[key] = Number(raw);
    else fields[key] = raw.startsWith('"') ? raw.slice(1, -1) : raw;
  }
  return { name, fields };
}

/** level's per-channel arrays arrive serialised: "< -29.03, -29.03 >"; silence is -inf. */
export function parseDbList(value: unknown): number[] {
  if (typeof value !== 'string') return [];
  return value
    .replace(/[<>]/g, '')
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v.length > 0)
    .map((v) => Math.max(v === '-inf' ? -100 : Number(v), -100))
    .filter((v) => Number.isFinite(v));
}
