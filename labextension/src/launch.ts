/**
 * Open KAP form tabs (./formwidget) and keep them across reloads: a WidgetTracker saved by the
 * layout restorer with each tab's restore args (key, what it shows, its note once autosaved).
 * After the layout is restored (and every minute, and whenever a form closes), form kernels that
 * no tab owns and no browser is connected to are shut down, so the live form kernels are the open forms — plus, while the vault is unlocked, one
 * spare kernel with kap-notes already imported, so a click shows its form without waiting for a
 * kernel to start (the next spare starts a little later).
 */
import { ILayoutRestorer, JupyterFrontEnd } from '@jupyterlab/application';
import { Dialog, showDialog, WidgetTracker } from '@jupyterlab/apputils';
import { PageConfig, URLExt } from '@jupyterlab/coreutils';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { UUID } from '@lumino/coreutils';

import {
  chooseKernel,
  sessionPath,
  IRestoreArgs,
  IRunningSession,
  orphanSessions,
  OWNED_PREFIX,
  ownedElsewhere,
  parseRestoreArgs,
  ViewSpec
} from './forms';
import { KapFormPanel, KapFormWidget, startSpare } from './formwidget';
import { trans } from './i18n';

export const RESTORE_COMMAND = 'kap-notes:restore-form';

/** How long after a tab opens before the next spare kernel starts (not to slow the tab down). */
const SPARE_DELAY_MS = 4000;
/** How often kernels no tab owns are looked for (see `sweep`). */
const SWEEP_INTERVAL_MS = 60_000;
/** A window that has not said what it holds for this long (closed, crashed) holds nothing. */
const OWNED_MAX_AGE_MS = 5 * SWEEP_INTERVAL_MS;

export class FormTabs {
  constructor(
    private readonly app: JupyterFrontEnd,
    private readonly rendermime: IRenderMimeRegistry,
    restorer: ILayoutRestorer | null
  ) {
    this.tracker = new WidgetTracker<KapFormWidget>({ namespace: 'kap-notes-form' });
    app.commands.addCommand(RESTORE_COMMAND, {
      label: trans.__('Reopen a KAP form'),
      execute: args => {
        const parsed = parseRestoreArgs(args);
        return parsed ? this._open(parsed, false) : null;
      }
    });
    if (restorer) {
      void restorer.restore(this.tracker, {
        command: RESTORE_COMMAND,
        args: widget => ({ ...widget.content.args }),
        name: widget => widget.content.key
      });
    }
    // Once restored, and again every minute and whenever a form closes: a spare the previous
    // page was still starting when it reloaded is created on the server after the first sweep.
    void app.restored.then(() => {
      void this.sweep();
      window.setInterval(() => void this.sweep(), SWEEP_INTERVAL_MS);
    });
    // Another window's sweep must not shut down what this window holds (its spare has no
    // connection): each window lists its sessions in the browser's storage, shared by its windows.
    window.addEventListener('pagehide', () => this._forget());
  }

  readonly tracker: WidgetTracker<KapFormWidget>;

  /** Open a new tab showing `spec`; resolves once the view is on screen. */
  async open(spec: ViewSpec): Promise<KapFormWidget> {
    if (spec.kind === 'note') {
      const open = this.tracker.find(w => {
        const shown = w.content.args.spec;
        return (
          w.content.noteId === spec.note || (shown.kind === 'note' && shown.note === spec.note)
        );
      });
      if (open) {
        this.app.shell.activateById(open.id);
        return open;
      }
    }
    const key = await this._takeSpare();
    const widget = this._open({ key, spec, noteId: null }, true);
    this._taking.delete(key); // the tab owns it now
    this._ensureSpare(SPARE_DELAY_MS);
    await widget.content.ready;
    return widget;
  }

  /** Keep a spare kernel while `on` (the vault is unlocked); shut it down otherwise. */
  setWarm(on: boolean): void {
    const cooling = this._warm && !on;
    this._warm = on;
    if (on) {
      this._ensureSpare(0);
      return;
    }
    const spare = this._spare;
    this._spare = null;
    if (spare) {
      void spare.ready.then(() => this._shutdownPath(sessionPath(spare.key)));
    }
    if (cooling) {
      void this.sweep(); // and spares an earlier page left
    }
  }

  /** Tabs that could not open (restored while locked) try again; call once unlocked. */
  retryFailed(): void {
    this.tracker.forEach(widget => void widget.content.retry());
  }

  /** Shut down form kernels no tab owns (see `orphanSessions`); answers how many. */
  async sweep(): Promise<number> {
    const sessions = this.app.serviceManager.sessions;
    await sessions.refreshRunning();
    const running = Array.from(sessions.running()) as unknown as IRunningSession[];
    const owned = this._owned();
    this._advertise(owned);
    for (const path of ownedElsewhere(
      storedEntries(),
      this._window,
      Date.now(),
      OWNED_MAX_AGE_MS
    )) {
      owned.add(path);
    }
    const orphans = orphanSessions(running, owned);
    await Promise.all(orphans.map(s => sessions.shutdown(s.id).catch(() => undefined)));
    return orphans.length;
  }

  /** The form sessions this window holds: its tabs', its spare's and the one being taken. */
  private _owned(): Set<string> {
    const owned = new Set<string>();
    this.tracker.forEach(w => owned.add(w.content.path));
    for (const key of [this._spare?.key, ...this._taking]) {
      if (key) {
        owned.add(sessionPath(key));
      }
    }
    return owned;
  }

  /** Tell this browser's other windows what this one holds (see `ownedElsewhere`). */
  private _advertise(owned: Set<string> = this._owned()): void {
    const entry = JSON.stringify({ at: Date.now(), paths: [...owned] });
    try {
      window.localStorage.setItem(OWNED_PREFIX + this._window, entry);
    } catch {
      // Storage full or refused: other windows may sweep this one's spare (it starts again).
    }
  }

  private _forget(): void {
    try {
      window.localStorage.removeItem(OWNED_PREFIX + this._window);
    } catch {
      // As above: the entry goes stale on its own.
    }
  }

  /** The key of a ready spare kernel (a new key when there is none). */
  private async _takeSpare(): Promise<string> {
    const spare = this._spare;
    this._spare = null;
    if (!spare) {
      return UUID.uuid4();
    }
    this._taking.add(spare.key); // owned while its tab is being made (a sweep may run meanwhile)
    spare.hurry(); // still waiting to start: start it now
    if (await spare.ready) {
      return spare.key;
    }
    this._taking.delete(spare.key);
    return UUID.uuid4();
  }

  private _ensureSpare(delayMs: number): void {
    if (this._spare || !this._warm) {
      return;
    }
    const key = UUID.uuid4();
    let hurry = (): void => undefined;
    const ready = new Promise<void>(resolve => {
      const timer = window.setTimeout(resolve, delayMs);
      hurry = () => {
        window.clearTimeout(timer);
        resolve();
      };
    })
      .then(async () => startSpare(this.app.serviceManager, key, await this._kernelName()))
      .catch(() => false);
    this._spare = { key, ready, hurry };
    this._advertise();
  }

  private async _shutdownPath(path: string): Promise<void> {
    const sessions = this.app.serviceManager.sessions;
    const model = await sessions.findByPath(path);
    if (model) {
      await sessions.shutdown(model.id).catch(() => undefined);
    }
  }

  private _warm = false;
  /** This window's name in the browser's storage (see `_advertise`). */
  private readonly _window = UUID.uuid4();
  private _spare: { key: string; ready: Promise<boolean>; hurry: () => void } | null = null;
  /** Keys of spares taken by a tab not yet tracked. */
  private readonly _taking = new Set<string>();

  private _open(args: IRestoreArgs, activate: boolean): KapFormWidget {
    const content = new KapFormPanel({
      services: this.app.serviceManager,
      rendermime: this.rendermime,
      kernelName: this._kernelName(),
      args
    });
    const widget = new KapFormWidget(content);
    content.changed.connect(() => void this.tracker.save(widget));
    widget.disposed.connect(() => void this.sweep());
    void this.tracker.add(widget).then(() => this._advertise());
    this.app.shell.add(widget, 'main', { activate });
    if (activate) {
      this.app.shell.activateById(widget.id);
    }
    void content.start();
    return widget;
  }

  private async _kernelName(): Promise<string> {
    const kernelspecs = this.app.serviceManager.kernelspecs;
    await kernelspecs.ready;
    const specs = kernelspecs.specs;
    return chooseKernel(Object.keys(specs?.kernelspecs ?? {}), specs?.default ?? 'python3');
  }
}

/**
 * Jupyter Notebook 7 (any shell but JupyterLab's) has no room for form tabs: its main area holds
 * one document per browser tab. Say so, and offer this server's JupyterLab (/lab) instead.
 */
export async function offerJupyterLab(what: string): Promise<void> {
  const result = await showDialog({
    title: trans.__('%1 opens in JupyterLab', what),
    body: trans.__(
      'KAP forms, progress notebooks, the review queue and access requests open in ' +
        'JupyterLab, not in Jupyter Notebook. Unlocking and locking the vault work here too.'
    ),
    buttons: [
      Dialog.cancelButton({ label: trans.__('Stay here') }),
      Dialog.okButton({ label: trans.__('Open JupyterLab') })
    ]
  });
  if (result.button.accept) {
    window.open(URLExt.join(PageConfig.getBaseUrl(), 'lab'), '_blank', 'noopener');
  }
}

/** Every entry of the browser's storage for this origin (none when storage is refused). */
function storedEntries(): Array<[string, string | null]> {
  try {
    const storage = window.localStorage;
    return Array.from({ length: storage.length }, (_, i) => {
      const key = storage.key(i) ?? '';
      return [key, storage.getItem(key)];
    });
  } catch {
    return [];
  }
}
