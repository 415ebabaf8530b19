import { h } from './dom.js';

/**
 * Asks before something that viewers would notice. The safe choice has the
 * focus, so Enter or Escape never ends a live talk by accident.
 */
export function confirmDialog(opts: { title: string; lines: string[]; confirm: string; cancel: string }): Promise<boolean> {
  return new Promise((resolve) => {
    const cancel = h('button', { type: 'button', class: 'btn', autofocus: true }, opts.cancel);
    const confirm = h('button', { type: 'button', class: 'btn btn-danger' }, opts.confirm);
    const dialog = h('dialog', { class: 'confirm', 'aria-labelledby': 'confirm-title' }, h('h2', { id: 'confirm-title' }, opts.title), ...opts.lines.map((l) => h('p', {}, l)), h('div', { class: 'actions' }, cancel, confirm));
    const done = (answer: boolean): void => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    cancel.addEventListener('click', () => done(false));
    confirm.addEventListener('click', () => done(true));
    dialog.addEventListener('cancel', (ev) => {
      ev.preventDefault();
      done(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}
