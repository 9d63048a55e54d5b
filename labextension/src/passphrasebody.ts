/**
 * The body of a dialog a passphrase is typed into (unlock, confirm, re-authenticate).
 *
 * While such a dialog is open, a widget that takes the focus in the background — JupyterLab
 * activating a main-area tab about a second after an unlock — gets the focus sent back to the
 * field the user was typing in. JupyterLab's Dialog alone sends it to the dialog's first
 * field, so the rest of a passphrase being typed landed there: in clear text, when that field
 * is an addendum's or a comment's (found by a browser test under load).
 */
import { Dialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

export abstract class PassphraseBody<T> extends Widget implements Dialog.IBodyWidget<T> {
  constructor() {
    super({ node: document.createElement('form') });
    this.addClass('kap-UnlockDialog');
    // The dialog's default button submits; the form must never navigate.
    this.node.addEventListener('submit', event => event.preventDefault());
    this.node.addEventListener('focusin', this._onFocusIn);
    // Registered before the Dialog registers its own (when it attaches), so this runs first.
    document.addEventListener('focus', this._onFocus, true);
  }

  abstract getValue(): T;

  override dispose(): void {
    document.removeEventListener('focus', this._onFocus, true);
    super.dispose();
  }

  private readonly _onFocusIn = (event: FocusEvent): void => {
    if (event.target instanceof HTMLElement) {
      this._last = event.target;
    }
  };

  private readonly _onFocus = (event: FocusEvent): void => {
    const dialog = this.node.closest('.jp-Dialog');
    const last = this._last;
    if (dialog === null || !dialog.isConnected || last === null || !last.isConnected) {
      return; // not open yet (the Dialog places the first focus), or closing: the Dialog
      // gives the focus back to where it was before (which is outside)
    }
    if (event.target instanceof Node && dialog.contains(event.target)) {
      return;
    }
    event.stopImmediatePropagation(); // not the Dialog's "back to the first field"
    last.focus();
  };

  private _last: HTMLElement | null = null;
}
