import { ApiError, type Api } from './api.js';
import { fill, h } from './dom.js';

const MIN_LENGTH = 10;

/** The admin password: easier to type on a phone than the token, which keeps working. */
export function settingsView(api: Api, passwordSet: boolean): HTMLElement {
  const first = h('input', { id: 'pw1', type: 'password', autocomplete: 'new-password', minlength: MIN_LENGTH });
  const second = h('input', { id: 'pw2', type: 'password', autocomplete: 'new-password', minlength: MIN_LENGTH });
  const out = h('div', { class: 'problems', role: 'status' });
  const form = h(
    'form',
    { class: 'settings' },
    h('h1', {}, 'Settings'),
    h('h2', {}, 'Admin password'),
    h('p', {}, passwordSet ? 'A password is set. Setting a new one replaces it; the admin token keeps working.' : `No password yet: only the admin token logs in. A password of at least ${MIN_LENGTH} characters is easier to type on a phone.`),
    h('label', { for: 'pw1' }, 'New password'),
    first,
    h('label', { for: 'pw2' }, 'The same again'),
    second,
    out,
    h('button', { type: 'submit', class: 'btn btn-primary' }, 'Set the password'),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (first.value.length < MIN_LENGTH) return fill(out, h('p', { class: 'error' }, `At least ${MIN_LENGTH} characters.`));
    if (first.value !== second.value) return fill(out, h('p', { class: 'error' }, 'The two passwords differ.'));
    api.setPassword(first.value).then(
      () => {
        first.value = '';
        second.value = '';
        fill(out, h('p', { class: 'ok' }, 'Password set. Log in with it next time.'));
      },
      (err: unknown) => fill(out, h('p', { class: 'error' }, err instanceof ApiError ? err.message : 'The fleet service cannot be reached.')),
    );
  });
  return form;
}
