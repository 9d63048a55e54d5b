/**
 * The unlock dialog: user name + passphrase. A failed unlock (wrong passphrase, unknown user,
 * server down) reopens the dialog with the server's message and the user name kept.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';

import { showUnlockNotices } from './access';
import { KapApiError } from './api';
import { PassphraseBody } from './passphrasebody';
import { VaultModel } from './vault';
import { trans } from './i18n';

interface ICredentials {
  user: string;
  passphrase: string;
}

class UnlockBody extends PassphraseBody<ICredentials> {
  constructor(user: string, error: string | null) {
    super();

    const intro = document.createElement('p');
    intro.className = 'kap-UnlockDialog-intro';
    intro.textContent = trans.__(
      'Unlock the vault to open and sign notes in this JupyterLab session. ' +
        'It locks again after a period without activity.'
    );
    this.node.appendChild(intro);

    this._user = field(this.node, trans.__('User name'), 'text', 'username');
    this._user.value = user;
    this._passphrase = field(this.node, trans.__('Passphrase'), 'password', 'current-password');
    (user.length > 0 ? this._passphrase : this._user).classList.add('kap-UnlockDialog-focus');

    if (error !== null) {
      const message = document.createElement('p');
      message.className = 'kap-UnlockDialog-error';
      message.setAttribute('role', 'alert');
      message.textContent = error;
      this.node.appendChild(message);
    }
  }

  getValue(): ICredentials {
    const value = {
      user: this._user.value.trim(),
      passphrase: this._passphrase.value
    };
    // Do not keep the passphrase in the DOM longer than needed.
    this._passphrase.value = '';
    return value;
  }

  private _user: HTMLInputElement;
  private _passphrase: HTMLInputElement;
}

function field(
  parent: HTMLElement,
  label: string,
  type: string,
  autocomplete: string
): HTMLInputElement {
  const wrapper = document.createElement('label');
  wrapper.className = 'kap-UnlockDialog-field';
  const text = document.createElement('span');
  text.textContent = label;
  const input = document.createElement('input');
  input.className = 'jp-mod-styled';
  input.type = type;
  input.autocomplete = autocomplete as AutoFill;
  input.spellcheck = false;
  input.required = true;
  wrapper.append(text, input);
  parent.appendChild(wrapper);
  return input;
}

/**
 * Ask for credentials until the vault unlocks or the user cancels.
 * Resolves true when the vault is unlocked.
 */
export async function unlockVault(model: VaultModel, initialUser = ''): Promise<boolean> {
  let user = initialUser || (model.status?.user ?? '');
  let error: string | null = null;
  // Wrong passphrases typed here, per user name: the notices after unlock need not repeat them.
  const mistyped = new Map<string, number>();
  for (;;) {
    const result = await showDialog<ICredentials>({
      title: trans.__('Unlock the KAP vault'),
      body: new UnlockBody(user, error),
      buttons: [Dialog.cancelButton(), Dialog.okButton({ label: trans.__('Unlock') })],
      focusNodeSelector: '.kap-UnlockDialog-focus'
    });
    if (!result.button.accept || result.value === null) {
      return false;
    }
    user = result.value.user;
    if (user.length === 0 || result.value.passphrase.length === 0) {
      error = trans.__('Enter your user name and passphrase.');
      continue;
    }
    try {
      const status = await model.unlock(user, result.value.passphrase);
      // Break-glass use on the user's patients, wrong passphrases since the last unlock: told once.
      void showUnlockNotices(status, mistyped.get(user) ?? 0);
      return true;
    } catch (reason) {
      if (reason instanceof KapApiError && reason.status === 403) {
        mistyped.set(user, (mistyped.get(user) ?? 0) + 1);
      }
      error = reason instanceof KapApiError ? reason.message : String(reason);
    }
  }
}

/** Unlock first if needed; resolves true when the vault is unlocked. */
export async function ensureUnlocked(model: VaultModel): Promise<boolean> {
  const status = await model.refreshQuietly();
  if (status?.unlocked) {
    return true;
  }
  return unlockVault(model);
}
