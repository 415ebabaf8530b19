/** Attributes of a new element: strings set as attributes, functions as event listeners, false/null left out. */
export type Attrs = Record<string, string | number | boolean | null | ((ev: Event) => void)>;
export type Child = Node | string | null | false;

/**
 * Builds an element. Text always goes in as text nodes (never as HTML), so a
 * box name or an error message cannot inject markup.
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) el.setAttribute(name, '');
    else if (value !== false && value !== null) el.setAttribute(name, String(value));
  }
  for (const child of children) if (child !== null && child !== false) el.append(child);
  return el;
}

const SVG = 'http://www.w3.org/2000/svg';

export function svg(tag: string, attrs: Record<string, string | number> = {}): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  return el;
}

/** Replaces an element's children. */
export function fill(parent: Element, ...children: Child[]): void {
  parent.replaceChildren(...children.filter((c): c is Node | string => c !== null && c !== false));
}
