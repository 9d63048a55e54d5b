/**
 * Confirmation dialogs for what kernels ask the server to sign (the ssh-askpass shape).
 *
 * While the vault is unlocked, polls `GET /kap-notes/api/confirmations` every second and shows
 * JupyterLab's own dialog for each waiting request: "Sign the dosing note of KAP-XXXX
 * (2026-11-30)? Enter your passphrase". Confirm posts the passphrase to the server (same-origin,
 * with jupyter_server's XSRF/token like every other route); a wrong passphrase keeps the dialog
 * open with the server's message; Cancel tells the waiting kernel "cancelled".
 */
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';

import { KapApiError } from './api';
import { confirmationQuestion, confirmLabel, IConfirmation } from './confirmation';
import { PassphraseBody } from './passphrasebody';
import { VaultModel } from './vault';
import { trans } from './i18n';

export const CONFIRM_POLL_MS = 1_000;

class ConfirmBody extends PassphraseBody<string> {
  constructor(item: IConfirmation, error: string | null) {
    super();
    this.addClass('kap-ConfirmDialog');
    const question = document.createElement('p');
    question.className = 'kap-ConfirmDialog-question';
    question.textContent = confirmationQuestion(item);
    const intro = document.createElement('p');
    intro.className = 'kap-UnlockDialog-intro';
    intro.textContent = trans.__('Enter the passphrase of %1 to confirm.', item.user);
    const label = document.createElement('label');
    label.className = 'kap-UnlockDialog-field';
    const text = document.createElement('span');
    text.textContent = trans.__('Passphrase');
    this._passphrase = document.createElement('input');
    this._passphrase.className = 'jp-mod-styled kap-ConfirmDialog-passphrase';
    this._passphrase.type = 'password';
    this._passphrase.autocomplete = 'current-password';
    this._passphrase.required = true;
    label.append(text, this._passphrase);
    this.node.append(question, intro, label);
    if (error !== null) {
      const message = document.createElement('p');
      message.className = 'kap-UnlockDialog-error';
      message.setAttribute('role', 'alert');
      message.textContent = error;
      this.node.appendChild(message);
    }
  }

  getValue(): string {
    const value = this._passphrase.value;
    this._passphrase.value = '';
    return value;
  }

  private _passphrase: HTMLInputElement;
}

/** Ask for one confirmation until it is confirmed, cancelled or no longer waiting. */
export async function confirmOne(model: VaultModel, item: IConfirmation): Promise<void> {
  let error: string | null = null;
  for (;;) {
    const result = await showDialog<string>({
      title: trans.__('Confirm with your passphrase'),
      body: new ConfirmBody(item, error),
      buttons: [Dialog.cancelButton(), Dialog.okButton({ label: confirmLabel(item.action) })],
      focusNodeSelector: '.kap-ConfirmDialog-passphrase'
    });
    if (!result.button.accept || result.value === null) {
      try {
        await model.client.cancelConfirmation(item.id);
      } catch {
        // Already answered, expired or locked: the kernel has its answer.
      }
      return;
    }
    if (result.value.length === 0) {
      error = trans.__('Enter your passphrase.');
      continue;
    }
    try {
      await model.client.confirm(item.id, result.value);
      return;
    } catch (reason) {
      if (reason instanceof KapApiError && reason.status === 403) {
        error = reason.message;
        continue;
      }
      const message = reason instanceof KapApiError ? reason.message : String(reason);
      Notification.error(trans.__('Not done: %1', message), { autoClose: 8000 });
      return;
    }
  }
}

/** Polls for waiting confirmations while unlocked and shows their dialogs one at a time. */
export class ConfirmationWatcher implements IDisposable {
  constructor(readonly model: VaultModel) {
    this._poll = new Poll({
      factory: () => this._check(),
      frequency: { interval: CONFIRM_POLL_MS, backoff: true, max: 30_000 },
      name: 'kap-notes:confirmations',
      standby: 'when-hidden'
    });
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  dispose(): void {
    this._poll.dispose();
  }

  private async _check(): Promise<void> {
    if (!this.model.unlocked || this._showing) {
      return;
    }
    const waiting = await this.model.client.confirmations();
    const next = waiting.find(item => !this._answered.has(item.id));
    if (next === undefined) {
      return;
    }
    this._showing = true;
    this._answered.add(next.id);
    try {
      await confirmOne(this.model, next);
    } finally {
      this._showing = false;
    }
  }

  private _poll: Poll;
  private _showing = false;
  private _answered = new Set<string>();
}
