import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { BalenaStandin, sampleDevice, sampleRelease } from '../helpers/balena-standin.js';
import { DESKTOP, launchChromium, screenshot, watchedPage } from '../helpers/browser.js';
import { ADMIN_TOKEN, FleetProcess } from '../helpers/fleet-process.js';

const BALENA_TOKEN = 'balena-api-token-for-the-stand-in-0123';

async function logIn(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel('Admin token', { exact: true }).fill(ADMIN_TOKEN);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByText('Connected to the fleet').waitFor();
}

/** The dashboard's updates page against a real fleet service: without balena it says how to set it up; with the balena stand-in it shows what each box runs and pins the fleet. */
describe('dashboard: updates through balena (real fleet, balena stand-in, Chromium)', () => {
  let dir: string;
  let browser: Browser;
  let standin: BalenaStandin;
  const fleets: FleetProcess[] = [];
  const problems: string[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'roomcast-dash-updates-'));
    browser = await launchChromium();
    standin = new BalenaStandin({
      token: BALENA_TOKEN,
      app: { id: 7, slug: 'myorg/roomcast', target: null },
      releases: [sampleRelease(11), sampleRelease(10)],
      // room-22 tries 1.1.0 on its own pin: the fleet's pin must not touch it.
      devices: [sampleDevice(21, 'c0ffee01'), sampleDevice(22, 'c0ffee02', { running: 11, pinned: 11 })],
    });
  });
  after(async () => {
    await browser?.close();
    for (const f of fleets) await f.proc.stop();
    await standin?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('without balena the page says which variables to set', async () => {
    const fleet = await FleetProcess.start(join(dir, 'plain'));
    fleets.push(fleet);
    const page = await watchedPage(await browser.newContext(DESKTOP), problems);
    await logIn(page, fleet.url);
    await page.getByRole('link', { name: 'Updates' }).click();
    const off = page.getByTestId('balena-off');
    await off.waitFor();
    assert.match((await off.textContent()) ?? '', /ROOMCAST_BALENA_API_TOKEN/);
  });

  test('with balena: what each box runs, and pinning the fleet to it', async () => {
    const apiUrl = await standin.start();
    const fleet = await FleetProcess.start(join(dir, 'balena'), { ROOMCAST_BALENA_API_TOKEN: BALENA_TOKEN, ROOMCAST_BALENA_FLEET: 'myorg/roomcast', ROOMCAST_BALENA_API_URL: apiUrl, ROOMCAST_BALENA_POLL_SECONDS: '1' });
    fleets.push(fleet);
    const page = await watchedPage(await browser.newContext(DESKTOP), problems);
    await logIn(page, fleet.url);
    await page.goto(`${fleet.url}/#/updates`);
    const table = page.locator('table.releases');
    await table.waitFor();
    assert.deepEqual(await table.locator('tbody tr td:first-child').allTextContents(), ['room-21', 'room-22']);
    assert.match((await table.locator('tbody tr').nth(1).textContent()) ?? '', /1\.1\.0/);
    // The fleet follows the latest release: a staged rollout is refused until it is pinned.
    assert.equal(await page.getByRole('button', { name: 'Start the rollout' }).isDisabled(), true);
    await page.getByRole('button', { name: /^Pin the fleet to 1\.0\.0/ }).click();
    await page.getByText('The fleet is pinned to 1.0.0').waitFor();
    assert.equal(standin.state.app.target, 10, 'balena was told to pin the fleet');
    await page.getByText(/The fleet runs 1\.0\.0/).waitFor();
    // One box gets 1.1.0 on its own pin.
    await page.getByLabel('Release', { exact: true }).last().selectOption({ label: '1.1.0 (bbbbbbb)' });
    await page.getByLabel('To', { exact: true }).selectOption({ label: 'room-21' });
    await page.getByRole('button', { name: 'Pin', exact: true }).click();
    await page.getByText('Pinned: the box updates when idle.').waitFor();
    assert.equal(standin.device('c0ffee01').pinned, 11, 'balena was told to pin room-21');
    await screenshot(page, 'updates-desktop');
    assert.ok(!fleet.lines().some((l) => JSON.stringify(l).includes(BALENA_TOKEN)), 'the balena token reached the log');
    // The page asks for its session before the login: that one 401 is expected, nothing else.
    assert.deepEqual(problems.filter((p) => !p.includes('status of 401')), []);
    assert.deepEqual(standin.errors, []);
  });
});
