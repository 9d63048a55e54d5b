/**
 * Access requests in JupyterLab (issue 9: no silent grants). A panel lists what waits for the
 * treating therapist — who asked, for whom, which patient — with Approve (after a confirmation
 * dialog) and Deny, and the supervisors an admin proposed, with Accept. A poll of
 * `GET /kap-notes/api/waiting` (counts only; not activity, so it never defers auto-lock) keeps a
 * badge in the status bar and tells the user when something new waits.
 */
import { Dialog, MainAreaWidget, Notification, showDialog } from '@jupyterlab/apputils';
import { IDisposable } from '@lumino/disposable';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { KapApiError } from './api';
import { kapIcon } from './icons';
import {
  acceptSupervisorDetail,
  acceptSupervisorQuestion,
  approveDetail,
  approveQuestion,
  IAccessRequest,
  IAccessRequests,
  IWaiting,
  patientLabel,
  requestLine,
  shouldNotify,
  waitingCount,
  waitingSummary
} from './requests';
import { needsAcknowledgement, noticesTitle, unlockNotices, IVaultStatus } from './status';
import { VaultModel } from './vault';
import { trans } from './i18n';

export const WAITING_POLL_MS = 30_000;
/** How long the wrong-passphrase warning stays on screen (it stays in the notification list). */
export const NOTICE_CLOSE_MS = 15_000;

function message(error: unknown): string {
  return error instanceof KapApiError ? error.message : String(error);
}

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

function button(label: string, ariaLabel: string, accept: boolean): HTMLButtonElement {
  const node = element(
    'button',
    `jp-Button jp-mod-styled ${accept ? 'jp-mod-accept' : 'jp-mod-reject'} kap-AccessPanel-button`,
    label
  );
  node.type = 'button';
  node.setAttribute('aria-label', ariaLabel);
  return node;
}

async function confirmed(title: string, detail: string, label: string): Promise<boolean> {
  const result = await showDialog({
    title,
    body: detail,
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label })]
  });
  return result.button.accept;
}

/** The list of requests and proposals, with their buttons. */
export class AccessRequestsPanel extends Widget {
  constructor(
    readonly model: VaultModel,
    private readonly onAnswered: () => void
  ) {
    super();
    this.addClass('kap-AccessPanel');
    this.id = 'kap-access-requests';
    this.node.setAttribute('aria-label', trans.__('KAP access requests'));
    const intro = element(
      'p',
      'kap-AccessPanel-intro',
      trans.__(
        'Nobody gets access to your patients unless you approve it here (or with the ' +
          'command kap-notes approve). Every answer is signed and recorded in the audit log.'
      )
    );
    this._status = element('p', 'kap-AccessPanel-status');
    this._status.setAttribute('role', 'status');
    this._status.setAttribute('aria-live', 'polite');
    this._requests = element('section', 'kap-AccessPanel-section');
    this._requests.setAttribute('aria-label', trans.__('Access requests'));
    this._supervisors = element('section', 'kap-AccessPanel-section');
    this._supervisors.setAttribute('aria-label', trans.__('Proposed supervisors'));
    const refresh = button(
      trans.__('Refresh'),
      trans.__('Refresh the list of access requests'),
      false
    );
    refresh.classList.add('kap-AccessPanel-refresh');
    refresh.addEventListener('click', () => void this.refresh());
    this.node.append(intro, this._status, this._requests, this._supervisors, refresh);
    model.changed.connect(this._onVaultChanged, this);
  }

  override dispose(): void {
    this.model.changed.disconnect(this._onVaultChanged, this);
    super.dispose();
  }

  /** Ask the server again and redraw. */
  async refresh(): Promise<void> {
    if (!this.model.unlocked) {
      this._render(null, trans.__('The vault is locked: unlock it to see access requests.'));
      return;
    }
    try {
      this._render(await this.model.client.accessRequests(), '');
    } catch (error) {
      this._render(null, trans.__('Could not load access requests: %1', message(error)));
    }
  }

  private _onVaultChanged(): void {
    if (this.model.unlocked !== this._wasUnlocked) {
      this._wasUnlocked = this.model.unlocked;
      void this.refresh();
    }
  }

  private _render(found: IAccessRequests | null, status: string): void {
    this._status.textContent = status;
    this._requests.replaceChildren(
      element('h3', 'kap-AccessPanel-heading', trans.__('Access requests'))
    );
    this._supervisors.replaceChildren(
      element('h3', 'kap-AccessPanel-heading', trans.__('Proposed supervisors'))
    );
    if (found === null) {
      return;
    }
    this._requests.append(
      found.requests.length === 0
        ? element('p', 'kap-AccessPanel-empty', trans.__('No requests wait for your answer.'))
        : this._list(found.requests.map(r => this._requestItem(r)))
    );
    this._supervisors.append(
      found.proposed_supervisors.length === 0
        ? element('p', 'kap-AccessPanel-empty', trans.__('No supervisor was proposed to you.'))
        : this._list(found.proposed_supervisors.map(s => this._supervisorItem(s)))
    );
  }

  private _list(items: HTMLElement[]): HTMLElement {
    const list = element('ul', 'kap-AccessPanel-list');
    list.append(...items);
    return list;
  }

  private _requestItem(request: IAccessRequest): HTMLElement {
    const item = element('li', 'kap-AccessPanel-item kap-AccessPanel-request');
    const text = element('span', 'kap-AccessPanel-text', requestLine(request));
    const patient = request.chart_code || request.patient_id;
    const approve = button(
      trans.__('Approve'),
      trans.__('Approve access of %1 for %2', request.user, patient),
      true
    );
    const deny = button(
      trans.__('Deny'),
      trans.__('Deny access of %1 for %2', request.user, patient),
      false
    );
    approve.addEventListener('click', () => void this._approve(request, [approve, deny]));
    deny.addEventListener('click', () => void this._deny(request, [approve, deny]));
    item.append(text, approve, deny);
    return item;
  }

  private _supervisorItem(name: string): HTMLElement {
    const item = element('li', 'kap-AccessPanel-item kap-AccessPanel-supervisor');
    const text = element(
      'span',
      'kap-AccessPanel-text',
      trans.__('%1 was proposed as your supervisor by an admin', name)
    );
    const accept = button(trans.__('Accept'), trans.__('Accept %1 as your supervisor', name), true);
    accept.addEventListener('click', () => void this._accept(name, [accept]));
    item.append(text, accept);
    return item;
  }

  private async _answer(
    buttons: HTMLButtonElement[],
    work: () => Promise<void>,
    done: string
  ): Promise<void> {
    buttons.forEach(b => (b.disabled = true));
    try {
      await work();
      Notification.success(done, { autoClose: 5000 });
    } catch (error) {
      const text = trans.__('Not done: %1', message(error));
      this._status.textContent = text;
      Notification.error(text, { autoClose: 8000 });
    }
    this.onAnswered();
    await this.refresh();
  }

  private async _approve(request: IAccessRequest, buttons: HTMLButtonElement[]): Promise<void> {
    const label = trans.__('Give access');
    if (!(await confirmed(approveQuestion(request), approveDetail(request), label))) {
      return;
    }
    await this._answer(
      buttons,
      () => this.model.client.approveAccess(request.patient_id, request.user),
      trans.__('%1 can now read %2.', request.user, patientLabel(request))
    );
  }

  private async _deny(request: IAccessRequest, buttons: HTMLButtonElement[]): Promise<void> {
    await this._answer(
      buttons,
      () => this.model.client.denyAccess(request.patient_id, request.user),
      trans.__('Declined: %1 gets no access to %2.', request.user, patientLabel(request))
    );
  }

  private async _accept(name: string, buttons: HTMLButtonElement[]): Promise<void> {
    if (
      !(await confirmed(
        acceptSupervisorQuestion(name),
        acceptSupervisorDetail(name),
        trans.__('Accept')
      ))
    ) {
      return;
    }
    await this._answer(
      buttons,
      () => this.model.client.acceptSupervisor(name),
      trans.__('%1 now supervises you.', name)
    );
  }

  private _status: HTMLElement;
  private _requests: HTMLElement;
  private _supervisors: HTMLElement;
  private _wasUnlocked = false;
}

/** Polls the counts while unlocked; emits `changed` with the new total. */
export class WaitingWatcher implements IDisposable {
  constructor(readonly model: VaultModel) {
    this._poll = new Poll({
      factory: () => this._check(),
      frequency: { interval: WAITING_POLL_MS, backoff: true, max: 5 * 60_000 },
      name: 'kap-notes:waiting',
      standby: 'when-hidden'
    });
    model.changed.connect(this._onVaultChanged, this);
  }

  /** The last counts (null while locked or before the first answer). */
  get waiting(): IWaiting | null {
    return this._waiting;
  }

  get count(): number {
    return waitingCount(this._waiting);
  }

  /** Emitted with the previous total whenever the counts change. */
  get changed(): ISignal<this, number> {
    return this._changed;
  }

  /** Emitted (without arguments) whenever the counts change; for the status bar item. */
  get activeChanged(): ISignal<this, void> {
    return this._activeChanged;
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  /** Check now (after an answer, or after unlock). */
  refresh(): Promise<void> {
    return this._poll.refresh();
  }

  dispose(): void {
    this.model.changed.disconnect(this._onVaultChanged, this);
    this._poll.dispose();
    Signal.clearData(this);
  }

  private _onVaultChanged(): void {
    if (this.model.unlocked !== this._wasUnlocked) {
      this._wasUnlocked = this.model.unlocked;
      void this._poll.refresh();
    }
  }

  private async _check(): Promise<void> {
    const next = this.model.unlocked ? await this.model.client.waiting() : null;
    const before = this.count;
    const same =
      next?.requests === this._waiting?.requests &&
      next?.proposed_supervisors === this._waiting?.proposed_supervisors;
    this._waiting = next;
    if (!same) {
      this._changed.emit(before);
      this._activeChanged.emit();
    }
  }

  private _poll: Poll;
  private _waiting: IWaiting | null = null;
  private _wasUnlocked = false;
  private _changed = new Signal<this, number>(this);
  private _activeChanged = new Signal<this, void>(this);
}

/** The status bar badge: hidden when nothing waits, "2 waiting" otherwise; click opens the panel. */
export class WaitingBadge extends Widget {
  constructor(
    private readonly watcher: WaitingWatcher,
    onActivate: () => void
  ) {
    super({ node: document.createElement('button') });
    this.addClass('kap-WaitingBadge');
    this.node.setAttribute('type', 'button');
    this.node.addEventListener('click', onActivate);
    watcher.changed.connect(this._render, this);
    this._render();
  }

  override dispose(): void {
    this.watcher.changed.disconnect(this._render, this);
    super.dispose();
  }

  private _render(): void {
    const count = this.watcher.count;
    this.node.textContent = count > 0 ? trans.__('KAP: %1 waiting', count) : '';
    const summary = this.watcher.waiting === null ? '' : waitingSummary(this.watcher.waiting);
    this.node.title = trans.__('%1 Click to open Access Requests.', summary).trim();
    this.node.setAttribute('aria-label', this.node.title);
    this.setHidden(count === 0);
  }
}

/** Tell the user once when more waits than before (with a button to open the panel). */
export function notifyWhenWaiting(watcher: WaitingWatcher, open: () => void): void {
  watcher.changed.connect((_, before) => {
    const waiting = watcher.waiting;
    if (waiting === null || !shouldNotify(before, watcher.count)) {
      return;
    }
    Notification.info(waitingSummary(waiting), {
      autoClose: false,
      actions: [
        { label: trans.__('Review'), caption: trans.__('Open Access Requests'), callback: open }
      ]
    });
  });
}

/** A main-area panel holding the list (created on first use). */
export function createAccessPanel(
  model: VaultModel,
  onAnswered: () => void
): MainAreaWidget<AccessRequestsPanel> {
  const content = new AccessRequestsPanel(model, onAnswered);
  const widget = new MainAreaWidget({ content });
  widget.id = 'kap-access-requests-panel';
  widget.title.label = trans.__('Access Requests');
  widget.title.caption = trans.__('KAP: access requests and proposed supervisors waiting for you');
  widget.title.icon = kapIcon;
  widget.title.closable = true;
  return widget;
}

/**
 * Show what happened since the user's last unlock. Break-glass use on the user's patients is a
 * dialog to acknowledge; wrong passphrases alone (not typed in this dialog just now) are a
 * warning notification, kept in JupyterLab's notification list.
 */
export async function showUnlockNotices(status: IVaultStatus, typedHere = 0): Promise<void> {
  const notices = unlockNotices(status, typedHere);
  if (notices.length === 0) {
    return;
  }
  if (!needsAcknowledgement(notices)) {
    Notification.warning(notices.join(' '), { autoClose: NOTICE_CLOSE_MS });
    return;
  }
  const body = element('div', 'kap-NoticesDialog');
  const list = element('ul', 'kap-NoticesDialog-list');
  list.append(...notices.map(n => element('li', 'kap-NoticesDialog-item', n)));
  body.append(list);
  await showDialog({
    title: noticesTitle(notices),
    body: new Widget({ node: body }),
    buttons: [Dialog.okButton({ label: trans.__('Understood') })]
  });
}
