/** A yes/no variable. Its own module: the CLI reads ROOMCAST_AUTOSTART before the schema is loaded. */
export function boolean(raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
  throw new Error(`"${raw}" is not true or false`);
}
