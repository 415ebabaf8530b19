/**
 * Stream keys and credentials must never be printed whole. Everything that
 * shows a secret to a person goes through `maskSecret`; the logger also
 * scrubs every secret registered here from each line it writes, as a second
 * line of defence against a value that slipped into an error message.
 */
const registered = new Set<string>();

/** Shows only the last 4 characters, and nothing at all of very short secrets. */
export function maskSecret(secret: string): string {
  if (secret.length <= 8) return '****';
  return `****${secret.slice(-4)}`;
}

export function registerSecret(secret: string): void {
  if (secret.length >= 4) registered.add(secret);
}

export function scrubSecrets(text: string): string {
  let out = text;
  // Longest first, so a secret that contains a shorter one is masked whole.
  for (const secret of [...registered].sort((a, b) => b.length - a.length)) {
    if (out.includes(secret)) out = out.split(secret).join(maskSecret(secret));
  }
  return out;
}
