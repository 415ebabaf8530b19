import { ApiError, type Api } from './api.js';
import { fill, h } from './dom.js';

/** Log in with the admin token or the admin password; a refusal says why, and how long to wait after too many. */
export function loginView(api: Api, loggedIn: () => void): HTMLElement {
  const mode = { value: 'token' as 'token' | 'password' };
  const secret = h('input', { id: 'secret', type: 'password', autocomplete: 'current-password', required: true, spellcheck: 'false' });
  const label = h('label', { for: 'secret' }, 'Admin token');
  const error = h('div', { class: 'problems', role: 'alert', 'data-testid': 'login-error' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Log in');
  const choice = (value: 'token' | 'password', text: string): HTMLElement => {
    const radio = h('input', { type: 'radio', name: 'mode', id: `mode-${value}`, value, checked: value === mode.value });
    radio.addEventListener('change', () => {
      mode.value = value;
      label.textContent = value === 'token' ? 'Admin token' : 'Admin password';
      secret.focus();
    });
    return h('div', { class: 'check' }, radio, h('label', { for: `mode-${value}` }, text));
  };
  let countdown: number | null = null;
  const form = h(
    'form',
    { class: 'login' },
    h('h1', {}, 'roomcast'),
    h('p', {}, 'Log in to see every room and fix things.'),
    h('fieldset', {}, h('legend', {}, 'Log in with'), choice('token', 'the admin token (printed when the fleet first started)'), choice('password', 'the admin password (set under Settings)')),
    label,
    secret,
    error,
    submit,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    fill(error);
    const value = secret.value.trim();
    if (value === '') return fill(error, h('p', { class: 'error' }, `Type the ${mode.value === 'token' ? 'admin token' : 'admin password'}.`));
    submit.disabled = true;
    api.login(mode.value === 'token' ? { token: value } : { password: value }).then(loggedIn, (err: unknown) => {
      submit.disabled = false;
      if (err instanceof ApiError && err.status === 429 && err.retryAfter !== null) {
        let left = err.retryAfter;
        submit.disabled = true;
        const tick = (): void => {
          fill(error, h('p', { class: 'error' }, `Too many wrong tries. Wait ${left} s before trying again.`));
          left -= 1;
          if (left < 0) {
            if (countdown !== null) clearInterval(countdown);
            submit.disabled = false;
            fill(error);
          }
        };
        if (countdown !== null) clearInterval(countdown);
        tick();
        countdown = window.setInterval(tick, 1000);
      } else if (err instanceof ApiError) fill(error, h('p', { class: 'error' }, err.status === 401 ? `Wrong ${mode.value === 'token' ? 'token' : 'password'}.` : err.message));
      else fill(error, h('p', { class: 'error' }, 'The fleet service cannot be reached.'));
      secret.select();
    });
  });
  queueMicrotask(() => secret.focus());
  return form;
}
