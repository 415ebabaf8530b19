import { ApiError, type Api } from './api.js';
import { confirmDialog } from './confirm.js';
import { fill, h } from './dom.js';
import type { BoxRelease, Device, Release, ReleaseRef, Rollout } from './types.js';

/** How a release reads for a person: its version, else the start of its commit. */
export function releaseLabel(r: ReleaseRef | null): string {
  if (!r) return 'none yet';
  return r.version ? `${r.version} (${r.commit.slice(0, 7)})` : r.commit.slice(0, 7);
}

const PHASES: Readonly<Record<Rollout['phase'], string>> = {
  'pinning-canary': 'Giving the release to the test box',
  'canary-updating': 'The test box is updating',
  'canary-testing': 'Waiting for the test box to go live on its test destination',
  'pinning-rest': 'Giving the release to every other box',
  done: 'Done: every box has the release',
  failed: 'Stopped: the test box did not pass',
  aborted: 'Aborted',
};

export function rolloutLine(r: Rollout): string {
  return `${releaseLabel(r.release)}: ${PHASES[r.phase]}${r.reason ? ` (${r.reason})` : ''}`;
}

const ACTIVE = new Set<Rollout['phase']>(['pinning-canary', 'canary-updating', 'canary-testing', 'pinning-rest']);

/**
 * Releases through balena: what each box runs, a staged rollout (one test box
 * first, the rest once it went live with the release), abort and roll back.
 * A box that is live holds its update lock, so a release never cuts a talk.
 */
export function updatesView(api: Api, boxes: readonly Device[]): HTMLElement {
  const root = h('section', { class: 'updates' }, h('h1', {}, 'Updates'), h('p', { class: 'muted' }, 'Loading…'));
  const out = h('div', { class: 'problems', role: 'status' });
  const act = (work: Promise<unknown>, done: string): void => {
    work.then(
      () => {
        fill(out, h('p', { class: 'ok' }, done));
        void draw();
      },
      (err: unknown) => fill(out, h('p', { class: 'error' }, err instanceof ApiError ? err.message : 'The fleet service cannot be reached.')),
    );
  };
  const draw = async (): Promise<void> => {
    const status = await api.balena().catch(() => null);
    if (!status) return fill(root, h('h1', {}, 'Updates'), h('p', { class: 'error' }, 'The fleet service cannot be reached.'));
    if (!status.configured) return fill(root, h('h1', {}, 'Updates'), h('p', { 'data-testid': 'balena-off' }, status.message), h('p', { class: 'muted' }, 'Everything else works without it.'));
    const [{ releases, fleetRelease }, { devices }, { rollout }] = await Promise.all([api.releases(), api.boxReleases(), api.rollout()]);
    const running = rollout !== null && ACTIVE.has(rollout.phase);
    fill(
      root,
      h('h1', {}, 'Updates'),
      h('p', {}, `The fleet runs ${fleetRelease ? releaseLabel(fleetRelease) : 'the latest release (not pinned)'}. A box that is live finishes its talk before it updates.`),
      out,
      rollout && h('p', { class: running ? 'banner warning' : 'banner', 'data-testid': 'rollout' }, rolloutLine(rollout)),
      running && h('button', { type: 'button', class: 'btn btn-danger', onclick: () => act(api.abortRollout(), 'Rollout aborted: boxes keep what they have.') }, 'Abort the rollout'),
      boxTable(devices, boxes),
      running ? null : rolloutForm(api, releases, devices, boxes, fleetRelease, act),
      running ? null : pinForm(api, releases, devices, act),
      fleetRelease &&
        h(
          'button',
          {
            type: 'button',
            class: 'btn',
            onclick: () =>
              void confirmDialog({ title: 'Roll every box back?', lines: [`Every box goes back to the release before ${releaseLabel(fleetRelease)}, each when its talk ends.`], confirm: 'Roll back', cancel: 'Keep this release' }).then((yes) => {
                if (yes) act(api.rollbackFleet(), 'Rolled back: boxes update when idle.');
              }),
          },
          'Roll the fleet back',
        ),
    );
  };
  void draw();
  return root;
}

function boxTable(devices: readonly BoxRelease[], boxes: readonly Device[]): HTMLElement {
  const waiting = new Set(boxes.filter((b) => b.updateWaiting).map((b) => b.id));
  return h(
    'table',
    { class: 'releases' },
    h('caption', {}, 'What each box runs'),
    h('thead', {}, h('tr', {}, h('th', {}, 'Box'), h('th', {}, 'Runs'), h('th', {}, 'Should run'), h('th', {}, 'Update'))),
    h(
      'tbody',
      {},
      ...devices.map((d) => {
        const current = d.running?.id === d.target?.id;
        const state = current ? 'up to date' : waiting.has(d.deviceId) ? 'waiting for the talk to end' : d.online ? 'updating' : 'offline';
        return h('tr', {}, h('td', {}, d.name), h('td', {}, releaseLabel(d.running)), h('td', {}, releaseLabel(d.target)), h('td', {}, state));
      }),
    ),
  );
}

function rolloutForm(api: Api, releases: readonly Release[], devices: readonly BoxRelease[], boxes: readonly Device[], fleetRelease: ReleaseRef | null, act: (work: Promise<unknown>, done: string) => void): HTMLElement {
  const usable = releases.filter((r) => r.status === 'success' && r.isFinal && !r.invalidated && r.id !== fleetRelease?.id);
  const release = h('select', { id: 'rollout-release' }, ...usable.map((r) => h('option', { value: String(r.id) }, releaseLabel(r))));
  const known = new Set(devices.map((d) => d.deviceId));
  const canaries = boxes.filter((b) => known.has(b.id));
  const canary = h('select', { id: 'rollout-canary' }, ...canaries.map((b) => h('option', { value: b.id }, b.name)));
  const destination = h('select', { id: 'rollout-destination' });
  const fillDestinations = (): void => fill(destination, ...(canaries.find((b) => b.id === canary.value)?.destinations ?? []).map((d) => h('option', { value: d.id }, `${d.id} (${d.url})`)));
  canary.addEventListener('change', fillDestinations);
  fillDestinations();
  const runsNow = fleetRunsNow(devices);
  const form = h(
    'form',
    { class: 'settings' },
    h('h2', {}, 'Roll out a release'),
    h('p', {}, 'The test box gets it first and must go live on its test destination (a private stream, not the audience) before any other box gets it.'),
    !fleetRelease && h('p', { class: 'error' }, 'The fleet follows the latest release: pin it to the release it runs before a staged rollout, or every box gets each new release at once.'),
    !fleetRelease && !runsNow && h('p', {}, 'The boxes that follow the fleet run different releases: pin the fleet to the one they should all run in balena\'s dashboard first.'),
    !fleetRelease && runsNow && h('button', { type: 'button', class: 'btn', onclick: () => act(api.pin(runsNow.id, { kind: 'fleet' }), `The fleet is pinned to ${releaseLabel(runsNow)}.`) }, `Pin the fleet to ${releaseLabel(runsNow)}`),
    h('label', { for: 'rollout-release' }, 'Release'),
    release,
    h('label', { for: 'rollout-canary' }, 'Test box'),
    canary,
    h('label', { for: 'rollout-destination' }, 'Its test destination'),
    destination,
    h('button', { type: 'submit', class: 'btn btn-primary', disabled: usable.length === 0 || canaries.length === 0 || !fleetRelease }, 'Start the rollout'),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    act(api.startRollout(Number(release.value), canary.value, destination.value), 'Rollout started: the test box goes first.');
  });
  return form;
}

/**
 * The one release every box that follows the fleet runs, or null when they
 * differ (or none runs one yet): pinning the fleet to it changes nothing on
 * any box, so it is the safe first step before a staged rollout.
 */
export function fleetRunsNow(devices: readonly BoxRelease[]): ReleaseRef | null {
  const following = devices.filter((d) => d.pinned === null);
  const first = following[0]?.running ?? null;
  return first && following.every((d) => d.running?.id === first.id) ? first : null;
}

/** One box, or the boxes with a balena tag, get a release now (each when its talk ends): to try a release, or to hold one back. */
function pinForm(api: Api, releases: readonly Release[], devices: readonly BoxRelease[], act: (work: Promise<unknown>, done: string) => void): HTMLElement {
  const usable = releases.filter((r) => r.status === 'success' && !r.invalidated);
  const release = h('select', { id: 'pin-release' }, ...usable.map((r) => h('option', { value: String(r.id) }, `${releaseLabel(r)}${r.isFinal ? '' : ' (draft)'}`)));
  const target = h('select', { id: 'pin-target' }, h('option', { value: 'tag' }, 'Boxes with a balena tag'), ...devices.map((d) => h('option', { value: `device:${d.deviceId}` }, d.name)));
  const key = h('input', { id: 'pin-tag-key', type: 'text', placeholder: 'e.g. room-group', spellcheck: 'false' });
  const value = h('input', { id: 'pin-tag-value', type: 'text', placeholder: 'e.g. hall-b', spellcheck: 'false' });
  const tagFields = h('div', {}, h('label', { for: 'pin-tag-key' }, 'Tag'), key, h('label', { for: 'pin-tag-value' }, 'Value'), value);
  target.addEventListener('change', () => (tagFields.hidden = target.value !== 'tag'));
  const form = h(
    'form',
    { class: 'settings' },
    h('h2', {}, 'Give a release to some boxes'),
    h('p', {}, 'Pinned boxes keep this release whatever the fleet runs, until you pin them again. A live box updates when its talk ends.'),
    h('label', { for: 'pin-release' }, 'Release'),
    release,
    h('label', { for: 'pin-target' }, 'To'),
    target,
    tagFields,
    h('button', { type: 'submit', class: 'btn', disabled: usable.length === 0 }, 'Pin'),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const chosen = target.value.startsWith('device:') ? { kind: 'device' as const, deviceId: target.value.slice(7) } : { kind: 'tag' as const, key: key.value.trim(), value: value.value.trim() };
    act(
      api.pin(Number(release.value), chosen).then((r) => r.pinned.length),
      chosen.kind === 'device' ? 'Pinned: the box updates when idle.' : 'Pinned every box with that tag: each updates when idle.',
    );
  });
  return form;
}
