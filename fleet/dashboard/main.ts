import { Api } from './api.js';
import { BitrateHistory, HISTORY_MS } from './bitrate-history.js';
import { BoxView } from './box-view.js';
import { fill, h } from './dom.js';
import { pageTitle } from './format.js';
import { GridView } from './grid-view.js';
import { LiveDevices } from './live.js';
import { loginView } from './login-view.js';
import { settingsView } from './settings-view.js';
import { Snapshots } from './snapshots.js';
import { updatesView } from './updates-view.js';
import type { Device } from './types.js';

/** The dashboard: log in, then the room grid (#/), one box (#/box/<id>) or settings (#/settings). */
class App {
  private readonly api = new Api();
  private readonly main = document.getElementById('main') as HTMLElement;
  private readonly nav = document.getElementById('nav') as HTMLElement;
  private readonly link = document.getElementById('link-state') as HTMLElement;
  private readonly history = new BitrateHistory();
  private readonly live = new LiveDevices(() => this.stillLoggedIn());
  private readonly snapshots = new Snapshots(this.api, () => this.draw(null));
  private readonly grid = new GridView();
  private box: BoxView | null = null;
  private passwordSet = false;
  private ticker: number | null = null;

  async boot(): Promise<void> {
    this.api.onUnauthorised = () => this.showLogin();
    this.live.subscribe((changed) => this.draw(changed));
    window.addEventListener('hashchange', () => this.route());
    const session = await this.api.session().catch(() => null);
    if (session) this.started(session.passwordSet);
    else this.showLogin();
  }

  private async stillLoggedIn(): Promise<boolean> {
    if ((await this.api.session()) !== null) return true;
    this.showLogin();
    return false;
  }

  private showLogin(): void {
    this.live.stop();
    this.snapshots.stop();
    if (this.ticker !== null) clearInterval(this.ticker);
    this.ticker = null;
    fill(this.nav);
    fill(this.link);
    document.title = 'roomcast: log in';
    fill(this.main, loginView(this.api, () => void this.api.session().then((s) => this.started(s?.passwordSet ?? false))));
  }

  private started(passwordSet: boolean): void {
    this.passwordSet = passwordSet;
    const logout = h('button', { type: 'button', class: 'btn btn-quiet' }, 'Log out');
    logout.addEventListener('click', () => void this.api.logout().finally(() => this.showLogin()));
    fill(this.nav, h('a', { href: '#/' }, 'Rooms'), h('a', { href: '#/updates' }, 'Updates'), h('a', { href: '#/settings' }, 'Settings'), logout);
    this.live.start();
    this.snapshots.start();
    this.ticker ??= window.setInterval(() => this.draw(null), 5000);
    this.route();
  }

  private route(): void {
    const hash = location.hash;
    this.box = null;
    if (hash === '#/updates') {
      fill(this.main, updatesView(this.api, [...this.live.devices.values()]));
      this.snapshots.want([]);
    } else if (hash === '#/settings') {
      fill(this.main, settingsView(this.api, this.passwordSet));
      this.snapshots.want([]);
    } else if (hash.startsWith('#/box/')) {
      const d = this.live.devices.get(decodeURIComponent(hash.slice(6)));
      if (d) {
        this.box = new BoxView(d, { api: this.api, history: this.history, pictures: this.snapshots.pictures, noPictures: this.snapshots.refused, update: (x) => this.live.update(x) });
        fill(this.main, this.box.element);
      } else fill(this.main, h('p', {}, this.live.state === 'connected' ? 'No such box. ' : 'Loading… ', h('a', { href: '#/' }, 'All rooms')));
    } else fill(this.main, this.grid.element);
    this.draw(null);
    this.main.focus({ preventScroll: true });
  }

  private draw(changed: Device | null): void {
    const devices = [...this.live.devices.values()];
    for (const d of changed ? [changed] : devices) this.learn(d);
    this.drawLinkState();
    const needing = devices.filter((d) => !d.revoked && d.attention.length > 0).length;
    document.title = pageTitle(needing);
    setFavicon(needing);
    const now = Date.now();
    const hash = location.hash;
    if (hash.startsWith('#/box/')) {
      if (!this.box && this.live.devices.has(decodeURIComponent(hash.slice(6)))) return this.route();
      const d = this.box && this.live.devices.get(this.box.id);
      if (this.box && d) this.box.render(d, now);
      this.snapshots.want(d && d.online && d.state === 'live' ? [d.id] : []);
    } else if (hash !== '#/settings') {
      this.grid.render(devices, { history: this.history, pictures: this.snapshots.pictures, now });
      this.snapshots.want(devices.filter((d) => d.online && d.state === 'live').map((d) => d.id));
    }
  }

  /** Bitrate history: the box's health samples of the last minutes once, then each new sample from the live updates. */
  private learn(d: Device): void {
    if (!this.history.has(d.id)) {
      this.history.add(d.id, d.healthAt, d.health?.sendKbps);
      this.api.health(d.id, new Date(Date.now() - HISTORY_MS).toISOString()).then(
        ({ samples }) => {
          for (const s of samples) this.history.add(d.id, s.at, s.health.sendKbps);
          this.draw(null);
        },
        () => undefined,
      );
    } else this.history.add(d.id, d.healthAt, d.health?.sendKbps);
  }

  private drawLinkState(): void {
    const state = this.live.state;
    if (state === 'connected') fill(this.link, h('span', { class: 'link-ok' }, 'Connected to the fleet'));
    else if (state === 'connecting') fill(this.link, h('span', { class: 'link-wait' }, 'Connecting…'));
    else fill(this.link, h('span', { class: 'link-lost', role: 'alert', 'data-testid': 'link-lost' }, 'Lost contact with the fleet service: what you see may be old. Reconnecting…'));
    document.body.classList.toggle('stale', state === 'lost');
  }
}

/** The tab's icon: a dot, red with the count when rooms need attention. */
function setFavicon(count: number): void {
  const icon = document.getElementById('favicon');
  if (!(icon instanceof HTMLLinkElement)) return;
  const text = count > 9 ? '9+' : String(count);
  const body =
    count > 0
      ? `<circle cx="16" cy="16" r="15" fill="#c62828"/><text x="16" y="22" font-size="18" font-family="sans-serif" font-weight="bold" text-anchor="middle" fill="#fff">${text}</text>`
      : '<circle cx="16" cy="16" r="15" fill="#1b5e20"/><circle cx="16" cy="16" r="6" fill="#fff"/>';
  const href = `data:image/svg+xml,${encodeURIComponent(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">${body}</svg>`)}`;
  if (icon.href !== href) icon.href = href;
}

void new App().boot();
