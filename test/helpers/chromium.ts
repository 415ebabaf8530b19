import { chromium, type Page } from 'playwright-core';

/**
 * Debian's Chromium (scripts/setup.sh installs it), headless, with nothing
 * that reaches beyond the pages it is sent to: no QUIC, no background
 * networking, no component updates or sync.
 */
export const CHROMIUM_ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'];

export async function withChromium<T>(use: (page: Page) => Promise<T>): Promise<T> {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    return await use(await browser.newPage());
  } finally {
    await browser.close();
  }
}
