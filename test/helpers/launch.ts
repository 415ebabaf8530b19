/** One element of a gst-launch description; caps and pad references ("vtee.", "rec.video") are elements with no properties. */
export interface LaunchElement {
  factory: string;
  /** Property values as written, quotes included. */
  props: Record<string, string>;
}

/** Splits a launch description (branches separated by two spaces, links by " ! ") into its elements. */
export function parseLaunch(launch: string): LaunchElement[][] {
  return launch.split(/ {2,}/).map((branch) =>
    branch.split(' ! ').map((part) => {
      const space = part.indexOf(' ');
      const factory = space < 0 ? part : part.slice(0, space);
      const props: Record<string, string> = {};
      for (const m of (space < 0 ? '' : part.slice(space + 1)).matchAll(/([^\s=]+)=("(?:[^"\\]|\\.)*"|\S+)/g)) props[m[1] ?? ''] = m[2] ?? '';
      return { factory, props };
    }),
  );
}

/** A property value as the element sees it: the inverse of render.ts's quote(). */
export function unquote(value: string): string {
  if (!(value.length >= 2 && value.startsWith('"') && value.endsWith('"'))) return value;
  return value.slice(1, -1).replace(/\\(.)/g, '$1');
}
