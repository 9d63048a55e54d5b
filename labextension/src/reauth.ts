/**
 * Confirm with the passphrase, from the KAP panel and the review queue: co-sign, return (with a
 * comment) and add an addendum (with its text). JupyterLab asks; the passphrase goes to the
 * server directly with the operation (it never enters a kernel), and a wrong one keeps the
 * dialog open with the server's message — the same re-authentication a kernel's request gets.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';

import { KapApiError } from './api';
import { ConfirmAction, confirmationQuestion, confirmLabel } from './confirmation';
import { PassphraseBody } from './passphrasebody';
import { VaultModel } from './vault';
import { trans } from './i18n';

export interface IReauthRequest {
  action: ConfirmAction;
  chart_code: string;
  form: string;
  session_date: string | null;
  /** A text the user writes too (return: the comment; addendum: its text). */
  text?: { label: string; value: string };
}

interface IAnswer {
  passphrase: string;
  text: string;
}

class ReauthBody extends PassphraseBody<IAnswer> {
  constructor(request: IReauthRequest, user: string, error: string | null, text: string) {
    super();
    this.addClass('kap-ConfirmDialog');
    const question = document.createElement('p');
    question.className = 'kap-ConfirmDialog-question';
    question.textContent = confirmationQuestion({ id: '', user, ...request });
    this.node.append(question);
    this._text = null;
    if (request.text) {
      const label = document.createElement('label');
      label.className = 'kap-UnlockDialog-field';
      const caption = document.createElement('span');
      caption.textContent = request.text.label;
      this._text = document.createElement('textarea');
      this._text.className = 'jp-mod-styled kap-ConfirmDialog-text';
      this._text.rows = 4;
      this._text.value = text;
      label.append(caption, this._text);
      this.node.append(label);
    }
    const intro = document.createElement('p');
    intro.className = 'kap-UnlockDialog-intro';
    intro.textContent = trans.__('Enter the passphrase of %1 to confirm.', user);
    const label = document.createElement('label');
    label.className = 'kap-UnlockDialog-field';
    const caption = document.createElement('span');
    caption.textContent = trans.__('Passphrase');
    this._passphrase = document.createElement('input');
    this._passphrase.className = 'jp-mod-styled kap-ConfirmDialog-passphrase';
    this._passphrase.type = 'password';
    this._passphrase.autocomplete = 'current-password';
    label.append(caption, this._passphrase);
    this.node.append(intro, label);
    if (error !== null) {
      const message = document.createElement('p');
      message.className = 'kap-UnlockDialog-error';
      message.setAttribute('role', 'alert');
      message.textContent = error;
      this.node.append(message);
    }
  }

  getValue(): IAnswer {
    const answer = { passphrase: this._passphrase.value, text: this._text?.value ?? '' };
    this._passphrase.value = '';
    return answer;
  }

  private _passphrase: HTMLInputElement;
  private _text: HTMLTextAreaElement | null;
}

/**
 * Ask until the operation is done or cancelled: `run(passphrase, text)` calls the operation.
 * Resolves true when it was done; a wrong passphrase (403) asks again; other errors throw.
 */
export async function confirmWithPassphrase(
  model: VaultModel,
  request: IReauthRequest,
  run: (passphrase: string, text: string) => Promise<unknown>
): Promise<boolean> {
  const user = model.status?.user ?? trans.__('you');
  let error: string | null = null;
  let text = request.text?.value ?? '';
  for (;;) {
    const result = await showDialog<IAnswer>({
      title: trans.__('Confirm with your passphrase'),
      body: new ReauthBody(request, user, error, text),
      buttons: [Dialog.cancelButton(), Dialog.okButton({ label: confirmLabel(request.action) })],
      focusNodeSelector: request.text ? '.kap-ConfirmDialog-text' : '.kap-ConfirmDialog-passphrase'
    });
    if (!result.button.accept || result.value === null) {
      return false;
    }
    text = result.value.text;
    if (request.text && text.trim().length === 0) {
      error = trans.__('%1 is needed.', request.text.label);
      continue;
    }
    if (result.value.passphrase.length === 0) {
      error = trans.__('Enter your passphrase.');
      continue;
    }
    try {
      await run(result.value.passphrase, text);
      return true;
    } catch (reason) {
      if (reason instanceof KapApiError && reason.status === 403) {
        error = reason.message;
        continue;
      }
      throw reason;
    }
  }
}
