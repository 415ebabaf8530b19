import { maskSecret } from './secret.js';

/** Where the encoded stream goes. `url` holds the stream key: never log it, use `display`. */
export interface Destination {
  /** Stable id, unique within one config: the platform name, numbered when repeated. */
  id: string;
  platform: Platform;
  /** ipfs: HLS segments published to IPFS and announced to the fleet (no URL, no secret). */
  protocol: 'rtmp' | 'rtmps' | 'ipfs';
  url: string;
  /** The URL with its stream key and password masked down to the last 4 characters. */
  display: string;
}

export type Platform = 'youtube' | 'twitch' | 'facebook' | 'custom' | 'ipfs';

/** Ingest URLs from the platforms' own documentation (see ../shared/FIELD.md). */
const PRESETS: Record<Exclude<Platform, 'custom' | 'ipfs'>, string> = {
  youtube: 'rtmp://a.rtmp.youtube.com/live2/',
  twitch: 'rtmp://live.twitch.tv/app/',
  facebook: 'rtmps://live-api-s.facebook.com:443/rtmp/',
};

export const PRESET_NAMES = Object.keys(PRESETS) as (keyof typeof PRESETS)[];

function isPreset(name: string): name is keyof typeof PRESETS {
  return Object.hasOwn(PRESETS, name);
}

/** The IPFS destination: a word on its own, since it has no server and no key. */
export const IPFS_WORD = 'ipfs';

/**
 * Parses one destination word: `youtube:KEY`, `twitch:KEY`, `facebook:KEY`,
 * an `rtmp://` / `rtmps://` URL of the form scheme://host[:port]/app/streamkey,
 * or `ipfs`. Returns an error message that never contains the key.
 */
export function parseDestination(word: string): Omit<Destination, 'id'> | { error: string } {
  if (word.toLowerCase() === IPFS_WORD) return { platform: 'ipfs', protocol: 'ipfs', url: 'ipfs:', display: IPFS_WORD };
  const colon = word.indexOf(':');
  const head = colon > 0 ? word.slice(0, colon).toLowerCase() : '';
  if (isPreset(head)) {
    const key = word.slice(colon + 1);
    if (!/^[A-Za-z0-9_\-.?=&]{4,}$/.test(key)) {
      return { error: `${head}: the stream key is missing or has characters a stream key cannot have` };
    }
    const url = PRESETS[head] + key;
    return { platform: head, protocol: url.startsWith('rtmps:') ? 'rtmps' : 'rtmp', url, display: PRESETS[head] + maskSecret(key) };
  }
  if (head === 'rtmp' || head === 'rtmps') return parseRtmpUrl(word, head);
  return { error: `"${maskSecret(word)}" is neither an rtmp:// or rtmps:// URL nor one of ${PRESET_NAMES.map((p) => `${p}:KEY`).join(', ')}, ${IPFS_WORD}` };
}

function parseRtmpUrl(word: string, protocol: 'rtmp' | 'rtmps'): Omit<Destination, 'id'> | { error: string } {
  let url: URL;
  try {
    url = new URL(word);
  } catch {
    return { error: `${protocol} URL is not a valid URL (${maskSecret(word)})` };
  }
  if (!url.hostname) return { error: `${protocol} URL has no host` };
  const segments = url.pathname.split('/').filter((s) => s.length > 0);
  if (segments.length < 2) {
    return { error: `${protocol}://${url.host} needs an application and a stream key: ${protocol}://host[:port]/app/streamkey` };
  }
  const key = segments[segments.length - 1] ?? '';
  const app = segments.slice(0, -1).join('/');
  const auth = url.username ? `${url.username}${url.password ? `:${maskSecret(url.password)}` : ''}@` : '';
  const display = `${protocol}://${auth}${url.host}/${app}/${maskSecret(key + url.search)}`;
  return { platform: 'custom', protocol, url: word, display };
}

/** Gives each destination its id: the platform name, numbered from the second of a kind. */
export function assignIds(parsed: Omit<Destination, 'id'>[]): Destination[] {
  const seen = new Map<string, number>();
  return parsed.map((d) => {
    const n = (seen.get(d.platform) ?? 0) + 1;
    seen.set(d.platform, n);
    return { ...d, id: n === 1 ? d.platform : `${d.platform}-${n}` };
  });
}

/** Every form in which a destination's secrets may be printed, for the log scrubber. */
export function destinationSecrets(d: Destination): string[] {
  if (d.protocol === 'ipfs') return [];
  const url = new URL(d.url);
  const key = url.pathname.split('/').filter((s) => s.length > 0).pop() ?? '';
  const forms = [key, key + url.search, url.search.slice(1), url.password, safeDecode(url.password)];
  return [...new Set(forms)].filter((s) => s.length > 0);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
