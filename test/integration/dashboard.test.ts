import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { NginxRtmp } from '../../testbed/nginx-rtmp.js';
import { AgentProcess } from '../helpers/agent-process.js';
import { DESKTOP, launchChromium, PHONE, screenshot, watchedPage } from '../helpers/browser.js';
import { sleep } from '../helpers/env.js';
import { ADMIN_TOKEN, FleetProcess, fleetBoxEnv } from '../helpers/fleet-process.js';

/**
 * The dashboard in a real Chromium against a real fleet service and a real
 * box (test sources) streaming to a loopback nginx-rtmp: log in, go live,
 * change the destination (the new stream arrives at the ingest), stop through
 * the confirmation, and the banner when the ingest dies. Screenshots of the
 * grid and the box page, desktop and phone, go to test-artifacts/.
 */
describe('dashboard in a browser', () => {
  let dir: string;
  let ingest: NginxRtmp;
  let fleet: FleetProcess;
  let box: AgentProcess;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const problems: string[] = [];
  const KEY1 = 'dash-first-key-1111';
  const KEY2 = 'dash-second-key-2222';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roomcast-dashboard-'));
    ingest = new NginxRtmp(join(dir, 'ingest'));
    await ingest.start();
    fleet = await FleetProcess.start(join(dir, 'fleet'), { ROOMCAST_FLEET_COMMAND_TIMEOUT_MS: '3000' });
    box = AgentProcess.start(fleetBoxEnv(join(dir, 'box'), 'main', ingest.url('live', KEY1), fleet.url, { ROOMCAST_AUTOSTART: 'false', ROOMCAST_ROOM_NAME: 'Main hall' }));
    await fleet.waitForDevice('box-main', (d) => d['online'] === true && d['state'] === 'idle', 20_000, 'box online and idle');
    await fleet.api('PUT', '/api/devices/box-main/name', { name: 'Main hall' });
    browser = await launchChromium();
    context = await browser.newContext(DESKTOP);
    page = await watchedPage(context, problems);
  });

  after(async () => {
    await browser?.close();
    await box?.proc.stop();
    await fleet?.proc.stop();
    await ingest?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const card = (): ReturnType<Page['locator']> => page.locator('article.card[data-box="box-main"]');

  test('a wrong token is refused with a message; the right one shows the room grid', async () => {
    await page.goto(fleet.url);
    await page.getByLabel('Admin token', { exact: true }).fill('not-the-token-at-all');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByTestId('login-error').getByText('Wrong token.').waitFor();
    await page.getByLabel('Admin token', { exact: true }).fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Log in' }).click();
    await card().waitFor();
    assert.equal(await card().getByTestId('live-state').locator('.live-word').textContent(), 'IDLE');
    await page.getByText('Connected to the fleet').waitFor();
  });

  test('Go live on the box page: the card says LIVE and the stream reaches the ingest', async (t) => {
    await card().getByRole('link', { name: 'Main hall' }).click();
    await page.getByRole('heading', { name: 'Main hall', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Go live' }).click();
    await page.locator('.box-live .live-word', { hasText: 'LIVE' }).waitFor({ timeout: 20_000 });
    await page.locator('.box-live .dest.tone-live').waitFor({ timeout: 15_000 });
    await waitUntil(async () => (await ingest.sessionsOf(KEY1)).length === 1, 10_000, 'the first key publishing');
    // A few health samples for the bitrate line, and the snapshot command answered.
    await sleep(5000);
    await page.getByTestId('timeline').getByText('Went live.').waitFor();
    t.diagnostic(`screenshot: ${await screenshot(page, 'box-live-desktop')}`);
    await page.goto(`${fleet.url}/#/`);
    await card().locator('.live-word', { hasText: 'LIVE' }).waitFor();
    assert.match(await card().locator('.spark-label').textContent() ?? '', /Sending \d/);
    // The still the box sent, decoded by the browser at the size the box took it (the 320x180 test box: never scaled up).
    const still = card().locator('.snapshot img');
    await still.waitFor({ timeout: 20_000 });
    await waitUntil(async () => (await still.evaluate((img: HTMLImageElement) => img.naturalWidth)) > 0, 5000, 'the still decoded');
    assert.deepEqual(await still.evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight]), [320, 180]);
    assert.ok(fleet.lines().some((l) => l.msg === 'request failed') === false, 'no request failed in the fleet');
    t.diagnostic(`screenshot: ${await screenshot(page, 'grid-live-desktop')}`);
    const phone = await browser.newContext({ ...PHONE, storageState: await context.storageState() });
    const phonePage = await watchedPage(phone, problems);
    await phonePage.goto(fleet.url);
    await phonePage.locator('article.card .live-word', { hasText: 'LIVE' }).waitFor();
    assert.ok(await phonePage.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scrolling on a phone');
    t.diagnostic(`screenshot: ${await screenshot(phonePage, 'grid-live-phone')}`);
    await phonePage.goto(`${fleet.url}/#/box/box-main`);
    await phonePage.getByRole('button', { name: 'Stop the stream' }).waitFor();
    assert.ok(await phonePage.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scrolling on the box page');
    t.diagnostic(`screenshot: ${await screenshot(phonePage, 'box-live-phone')}`);
    await phone.close();
  });

  test('a new stream key: what it restarts is shown, it is applied, and the new stream arrives at the ingest', async () => {
    await page.goto(`${fleet.url}/#/box/box-main`);
    const key = page.getByLabel('Stream key');
    await key.waitFor();
    assert.equal(await key.inputValue(), '', 'the key field is write-only');
    assert.match(await page.locator('#dest-0-key-hint').textContent() ?? '', /ending in 1111/);
    await key.fill(KEY2);
    await page.getByTestId('preview').getByText(/stops streaming to .*\*\*\*\*1111; starts streaming to .*\*\*\*\*2222/).waitFor();
    assert.ok(!(await page.getByTestId('preview').textContent() ?? '').includes(KEY2), 'the preview never shows the full key');
    await page.getByRole('button', { name: 'Save settings' }).click();
    // Live and the change reconnects a destination: asked first.
    await page.getByRole('dialog').getByRole('button', { name: 'Save and apply now' }).click();
    await page.getByText(/Saved as version 1/).waitFor();
    await fleet.waitForDevice('box-main', (d) => d['appliedVersion'] === 1, 10_000, 'version 1 applied');
    await waitUntil(async () => (await ingest.sessionsOf(KEY2)).length === 1, 15_000, 'the new key publishing at the ingest');
    await page.locator('.box-live .dest.tone-live', { hasText: '****2222' }).waitFor({ timeout: 15_000 });
    await page.getByTestId('timeline').getByText('Settings version 1 applied.').waitFor({ timeout: 10_000 });
  });

  test('a refused config shows every reason from the API', async () => {
    await page.goto(`${fleet.url}/#/box/box-main`);
    await page.getByLabel('Recording folder on the box').fill('not/absolute');
    await page.locator('#recording').check();
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Save and apply now' }).click();
    await page.getByTestId('config-errors').getByText(/ROOMCAST_RECORD_DIR/).waitFor();
    await page.getByTestId('config-errors').getByText(/Not saved/).waitFor();
    const d = await fleet.api('GET', '/api/devices/box-main');
    assert.equal(d.body['desiredVersion'], 1, 'nothing was saved');
  });

  test('Stop asks first; keeping the stream changes nothing; confirming stops it', async () => {
    await page.goto(`${fleet.url}/#/box/box-main`);
    await page.getByRole('button', { name: 'Stop the stream' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText(/This ends the stream for every viewer on rtmp:\/\/127\.0\.0\.1:\d+\/live\/\*\*\*\*2222/).waitFor();
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    await sleep(1000);
    assert.equal((await fleet.api('GET', '/api/devices/box-main')).body['state'], 'live', 'Enter keeps streaming (the safe button has the focus)');
    await page.getByRole('button', { name: 'Stop the stream' }).click();
    await dialog.getByRole('button', { name: 'Stop the stream' }).click();
    await page.locator('.box-live .live-word', { hasText: 'IDLE' }).waitFor({ timeout: 15_000 });
    await page.getByTestId('timeline').getByText('The stream stopped.').waitFor({ timeout: 10_000 });
  });

  test('the ingest dies while live: the grid shows a banner and the card stands out', async (t) => {
    await page.goto(`${fleet.url}/#/box/box-main`);
    await page.getByRole('button', { name: 'Go live' }).click();
    await page.locator('.box-live .dest.tone-live').waitFor({ timeout: 20_000 });
    await page.goto(`${fleet.url}/#/`);
    await page.getByText(/All good: 1 of 1 room live/).waitFor();
    await ingest.stop();
    const banner = page.getByTestId('summary').getByRole('alert');
    await banner.getByText('1 room needs attention').waitFor({ timeout: 20_000 });
    await banner.getByText(/The custom destination is not receiving the stream/).waitFor();
    await card().and(page.locator('.card-urgent')).waitFor();
    await card().locator('.live-word', { hasText: 'NOT ON AIR' }).waitFor();
    assert.match(await page.title(), /^\(1\) roomcast/);
    t.diagnostic(`screenshot: ${await screenshot(page, 'grid-failing-desktop')}`);
    await page.goto(`${fleet.url}/#/box/box-main`);
    await page.getByTestId('timeline').getByText(/failed/).first().waitFor({ timeout: 10_000 });
    t.diagnostic(`screenshot: ${await screenshot(page, 'box-failing-desktop')}`);
  });

  test('the page says when it lost the fleet service', async () => {
    await page.goto(`${fleet.url}/#/`);
    await card().waitFor();
    await fleet.proc.stop();
    await page.getByTestId('link-lost').waitFor({ timeout: 15_000 });
  });

  test('no script error and no refused resource on any page', () => {
    // Requests that failed because the fleet was stopped on purpose are expected in the last test.
    const unexpected = problems.filter((p) => !/Failed to load resource|ERR_CONNECTION_REFUSED|net::ERR/.test(p));
    assert.deepEqual(unexpected, []);
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}
