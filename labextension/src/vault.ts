/**
 * The front end's view of the vault lock: the last status the server sent, kept fresh by a
 * poll (every 10 s) and refreshed after every call. The keys themselves never reach the browser.
 */
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';
import { IDisposable } from '@lumino/disposable';

import { IClinicSettings, IVaultStatus, KapApiError, KapClient } from './api';
import { lockedBehindUsersBack } from './status';

export const POLL_INTERVAL_MS = 10_000;
export const TOUCH_INTERVAL_MS = 30_000;

export class VaultModel implements IDisposable {
  constructor(readonly client: KapClient = new KapClient()) {
    this._poll = new Poll({
      factory: () => this.refresh(),
      frequency: { interval: POLL_INTERVAL_MS, backoff: true, max: 5 * 60_000 },
      name: 'kap-notes:status',
      standby: 'when-hidden'
    });
  }

  /** The last status received, or null before the first answer. */
  get status(): IVaultStatus | null {
    return this._status;
  }

  get unlocked(): boolean {
    return this._status?.unlocked ?? false;
  }

  /** Why the last request failed (clinician-facing), or null. */
  get problem(): string | null {
    return this._problem;
  }

  /** Emitted whenever status or problem changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Emitted when an unlocked vault turns out locked without a lock from this tab (auto-lock). */
  get autoLocked(): ISignal<this, IVaultStatus> {
    return this._autoLocked;
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  /** GET status. Never throws: a failure is kept in `problem`. */
  async refresh(): Promise<void> {
    try {
      this._update(await this.client.status(), false);
    } catch (error) {
      this._fail(error);
      // Let the poll back off while the server is unreachable.
      throw error;
    }
  }

  /** Refresh without letting an unreachable server reject the caller. */
  async refreshQuietly(): Promise<IVaultStatus | null> {
    try {
      await this.refresh();
    } catch {
      // Already recorded in `problem`.
    }
    return this._status;
  }

  /** POST unlock. Throws `KapApiError` (e.g. wrong passphrase) for the dialog to show. */
  async unlock(user: string, passphrase: string): Promise<IVaultStatus> {
    const status = await this.client.unlock(user, passphrase);
    this._update(status, false);
    void this._poll.refresh();
    return status;
  }

  async lock(): Promise<IVaultStatus> {
    const status = await this.client.lock();
    this._update(status, true);
    void this._poll.refresh();
    return status;
  }

  async sendSettings(settings: IClinicSettings | Record<string, unknown>): Promise<void> {
    this._update(await this.client.settings(settings), false);
  }

  /** Report user activity at most once per TOUCH_INTERVAL_MS, and only while unlocked. */
  noteActivity(now: number = Date.now()): void {
    if (!this.unlocked || this._touching || now - this._lastTouch < TOUCH_INTERVAL_MS) {
      return;
    }
    this._lastTouch = now;
    this._touching = true;
    this.client
      .touch()
      .then(status => this._update(status, false))
      .catch(error => this._fail(error))
      .finally(() => {
        this._touching = false;
      });
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._poll.dispose();
    Signal.clearData(this);
  }

  private _update(status: IVaultStatus, lockRequested: boolean): void {
    const before = this._status;
    this._status = status;
    this._problem = null;
    if (lockedBehindUsersBack(before, status, lockRequested)) {
      this._autoLocked.emit(status);
    }
    this._changed.emit();
  }

  private _fail(error: unknown): void {
    this._problem = error instanceof KapApiError ? error.message : `kap-notes: ${String(error)}`;
    this._changed.emit();
  }

  private _status: IVaultStatus | null = null;
  private _problem: string | null = null;
  private _lastTouch = 0;
  private _touching = false;
  private _poll: Poll;
  private _changed = new Signal<this, void>(this);
  private _autoLocked = new Signal<this, IVaultStatus>(this);
}

/** Report keydown/pointerdown anywhere in the page as activity (capture phase, passive). */
export function watchActivity(model: VaultModel, target: Document = document): IDisposable {
  const listener = (): void => model.noteActivity();
  const options: AddEventListenerOptions = { capture: true, passive: true };
  target.addEventListener('keydown', listener, options);
  target.addEventListener('pointerdown', listener, options);
  let disposed = false;
  return {
    get isDisposed() {
      return disposed;
    },
    dispose() {
      if (!disposed) {
        disposed = true;
        target.removeEventListener('keydown', listener, options);
        target.removeEventListener('pointerdown', listener, options);
      }
    }
  };
}
