/**
 * The KAP form tab: a main-area widget that shows one kap-notes ipywidgets view (a session
 * form, an existing note, patient progress, the review queue) and nothing else.
 *
 * Mechanism, and why. The tab owns a kernel session with no notebook behind it (session type
 * `kap-form`, path `kap-form-<key>`: a name, not a file). It renders through ipywidgets' own
 * `KernelWidgetManager` and `WidgetRenderer` from @jupyter-widgets/jupyterlab-manager (shared at
 * runtime by the jupyterlab_widgets extension, not bundled), i.e. the same manager JupyterLab
 * uses for consoles, so every ipywidgets control renders exactly as in a notebook. The kernel runs
 * `kap_notes.widgets.host.serve(...)` as a silent execute request: no cell, no output, no history.
 * A comm (`kap-notes.form`) then tells the tab which widget to show and which note the form saves
 * to. Compared with the alternatives:
 *  - a notebook per click (before): a file per click, code on screen, a save prompt, kernels that
 *    outlive their tab, and a reload that shows the code cell but not the form;
 *  - a notebook or console with its cells hidden: still a document/console with a save prompt or
 *    kernel-shutdown dialog, its code one CSS rule away, and widget managers we do not control;
 *  - a JSON form rendered in TypeScript: would duplicate every field, rule and computed value the
 *    Python forms already have.
 * Lifecycle: closing the tab asks the kernel to save what changed (and asks before closing if it
 * could not), then shuts the kernel down. A page reload does not close tabs: the layout restorer
 * re-creates each tab with the same key, which reconnects to the still-running kernel (the widget
 * manager reloads every widget's state from it: nothing typed and synced is lost); if that kernel
 * is gone (server restart), a new one opens the autosaved draft (`restoreSpec`). Text fields sync
 * on change, so the field being typed in is synced after a short pause (`IDLE_SYNC_MS`).
 * Every write the form makes (save, sign, discard, addendum, new patient: the kernel counts them
 * in its state's `writes`) and every tab closed is announced on `formActivity`, so the KAP panel
 * refreshes itself. Links in a view (e.g. the progress view's "Open kap-vault/…") are paths from
 * the server root: they open through JupyterLab's link handler (the document manager), never as
 * a URL relative to the page.
 */
import { Dialog, MainAreaWidget, showDialog } from '@jupyterlab/apputils';
import { IRenderMime, IRenderMimeRegistry, MimeModel } from '@jupyterlab/rendermime';
import { Kernel, KernelMessage, ServiceManager, Session } from '@jupyterlab/services';
import { PromiseDelegate } from '@lumino/coreutils';
import type { Message } from '@lumino/messaging';
import { Signal, ISignal } from '@lumino/signaling';
import { Panel, Widget } from '@lumino/widgets';
import type { KernelWidgetManager } from '@jupyter-widgets/jupyterlab-manager';

import {
  FLUSH_TIMEOUT_MS,
  FORM_COMM_TARGET,
  FORM_SESSION_TYPE,
  IDLE_SYNC_MS,
  IHostState,
  IRestoreArgs,
  restoreSpec,
  serveCode,
  sessionPath,
  viewTitle
} from './forms';
import { kapIcon } from './icons';
import { trans } from './i18n';

const WIDGET_MIME = 'application/vnd.jupyter.widget-view+json';

/** What a form tab did that may change the KAP panel's lists. */
export interface IFormActivity {
  /** `write`: the kernel saved, signed, discarded, added an addendum or a patient. */
  kind: 'write' | 'closed';
  noteId: string | null;
}

/** Every form tab's writes and closes (the KAP panel listens and refreshes). */
export const formActivity = new Signal<object, IFormActivity>({});

/** The server-root path a link in a view points to, or null for links the browser handles
 * (absolute URLs, `data:`/`blob:`, in-page anchors, downloads). */
export function serverPath(href: string | null, download: boolean): string | null {
  if (!href || download || href.startsWith('#') || /^[a-z][a-z0-9+.-]*:/i.test(href)) {
    return null;
  }
  if (href.startsWith('//')) {
    return null;
  }
  const path = decodeURI(href.split(/[?#]/)[0]).replace(/^\/+/, '');
  return path || null;
}

export interface IFormPanelOptions {
  services: ServiceManager.IManager;
  rendermime: IRenderMimeRegistry;
  /** The kernelspec for a new kernel (resolved once the kernelspecs are known). */
  kernelName: Promise<string>;
  args: IRestoreArgs;
}

/** The content of a form tab: a status line and the rendered ipywidgets view. */
export class KapFormPanel extends Panel {
  constructor(options: IFormPanelOptions) {
    super();
    this.addClass('kap-FormPanel');
    this._services = options.services;
    this._kernelName = options.kernelName;
    this._args = { ...options.args };
    this._rendermime = options.rendermime.clone();
    this._status = new Widget();
    this._status.addClass('kap-FormPanel-status');
    this._status.node.setAttribute('role', 'status');
    this.addWidget(this._status);
    this.node.addEventListener('input', this._onInput);
    this.node.addEventListener('click', this._onClick, true);
  }

  /** What a reload needs (changes when the first autosave names the note). */
  get args(): IRestoreArgs {
    return { ...this._args };
  }

  get key(): string {
    return this._args.key;
  }

  get path(): string {
    return sessionPath(this._args.key);
  }

  get noteId(): string | null {
    return this._args.noteId;
  }

  /** The kernel's form name once known (the tab's title follows it). */
  get form(): string | null {
    return this._form;
  }

  /** Emitted when the note id or form changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Resolves once the view is on screen (rejects with a readable error). */
  get ready(): Promise<void> {
    return this._ready.promise;
  }

  get kernelId(): string | null {
    return this._session?.kernel?.id ?? null;
  }

  /** Whether the last start failed (e.g. restored while the vault was locked). */
  get failed(): boolean {
    return this._failed;
  }

  /** Start (or reconnect to) this tab's kernel and show its view. */
  async start(): Promise<void> {
    this._failed = false;
    try {
      await this._start();
      this._ready.resolve();
    } catch (error) {
      this._failed = true;
      this._showStatus(trans.__('Could not open this form. %1', (error as Error).message), true);
      this._ready.reject(error);
      this._ready.promise.catch(() => undefined); // reported on screen
    }
  }

  /** Try again after a failed start (the tab calls this once the vault is unlocked). */
  async retry(): Promise<void> {
    if (!this._failed || this.isDisposed) {
      return;
    }
    this._ready = new PromiseDelegate<void>();
    await this.start();
  }

  /**
   * Save what changed and shut the kernel down. Answers false (and keeps everything) when the
   * save failed and the user chose to keep the tab open.
   */
  async finish(): Promise<boolean> {
    const saved = await this._flush();
    if (!saved) {
      const answer = await showDialog({
        title: trans.__('Close without saving?'),
        body: trans.__(
          'What you typed last could not be saved (is the vault locked?). ' +
            'Keep the form open to unlock and save it, or close it anyway.'
        ),
        buttons: [
          Dialog.cancelButton({ label: trans.__('Keep open') }),
          Dialog.warnButton({ label: trans.__('Close anyway') })
        ]
      });
      if (!answer.button.accept) {
        return false;
      }
    }
    this._finished = true;
    await this._shutdown();
    formActivity.emit({ kind: 'closed', noteId: this._args.noteId });
    return true;
  }

  override dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.node.removeEventListener('input', this._onInput);
    this.node.removeEventListener('click', this._onClick, true);
    window.clearTimeout(this._idleTimer);
    if (!this._finished) {
      void this._shutdown(); // disposed without closing: no kernel outlives its tab
    }
    this._manager?.dispose();
    super.dispose();
  }

  private async _start(): Promise<void> {
    this._manager?.dispose();
    this._manager = null;
    this._session?.dispose(); // a connection from a failed start (the kernel keeps running)
    this._session = null;
    const sessions = this._services.sessions;
    await sessions.refreshRunning(); // a kernel shut down elsewhere must not look alive
    const existing = await sessions.findByPath(this.path);
    this._showStatus(trans.__('Opening…'));
    const title = viewTitle(this._args.spec);
    const session = existing
      ? sessions.connectTo({ model: existing })
      : await sessions.startNew(
          {
            path: this.path,
            type: FORM_SESSION_TYPE,
            name: title,
            kernel: { name: await this._kernelName }
          },
          {}
        );
    this._session = session;
    if (existing && existing.name !== title) {
      void session.setName(title).catch(() => undefined); // a spare taken by this tab
    }
    const kernel = session.kernel;
    if (!kernel) {
      throw new Error('the kernel did not start');
    }
    this._manager = await createManager(kernel, this._rendermime);
    let state = existing ? await this._connect(kernel) : null;
    if (state === null) {
      const spec = existing ? restoreSpec(this._args) : this._args.spec;
      await execute(kernel, serveCode(spec));
      state = await this._connect(kernel);
    }
    if (state === null) {
      throw new Error('the form did not answer');
    }
    await this._render(state);
  }

  /** Open the comm; resolves with the first state (null when this kernel serves no view). */
  private _connect(kernel: Kernel.IKernelConnection): Promise<IHostState | null> {
    const first = new PromiseDelegate<IHostState | null>();
    const comm = kernel.createComm(FORM_COMM_TARGET);
    comm.onMsg = msg => {
      const data = msg.content.data as Record<string, unknown>;
      if (data.error) {
        first.resolve(null);
        return;
      }
      const state = data.state as IHostState | undefined;
      if (state) {
        this._onState(state);
        first.resolve(state);
      }
      if ('flushed' in data) {
        this._flushed?.resolve(data.flushed === true);
      }
    };
    comm.onClose = () => first.resolve(null); // no target: nothing served here yet
    this._comm = comm;
    comm.open({});
    return Promise.race([first.promise, delay(FLUSH_TIMEOUT_MS).then(() => null)]);
  }

  private _onState(state: IHostState): void {
    const noteId = state.note_id ?? null;
    const form = state.form ?? null;
    const writes = (state as IHostState & { writes?: number }).writes ?? 0;
    if (this._writes !== null && writes !== this._writes) {
      formActivity.emit({ kind: 'write', noteId });
    }
    this._writes = writes;
    if (noteId === this._args.noteId && form === this._form) {
      return;
    }
    this._args.noteId = noteId;
    this._form = form;
    this._changed.emit();
  }

  private async _render(state: IHostState): Promise<void> {
    const manager = this._manager!;
    this._rendermime.removeMimeType(WIDGET_MIME);
    const { WidgetRenderer } = await import('@jupyter-widgets/jupyterlab-manager');
    this._rendermime.addFactory(
      {
        safe: false,
        mimeTypes: [WIDGET_MIME],
        // (cast: the package's own @lumino/widgets typings; the same module at runtime)
        createRenderer: options =>
          new WidgetRenderer(options, manager) as unknown as IRenderMime.IRenderer
      },
      -10
    );
    const renderer = this._rendermime.createRenderer(WIDGET_MIME);
    renderer.addClass('kap-FormPanel-view');
    this.addWidget(renderer);
    await renderer.renderModel(
      new MimeModel({
        data: { [WIDGET_MIME]: { model_id: state.model_id, version_major: 2, version_minor: 0 } }
      })
    );
    this._status.hide();
  }

  /** Ask the kernel to save what changed; true when nothing typed is left unsaved. */
  private async _flush(): Promise<boolean> {
    const comm = this._comm;
    if (!comm || comm.isDisposed || !this._session?.kernel) {
      return true; // no kernel: nothing can be saved, nothing is held there
    }
    this._syncFocused();
    this._flushed = new PromiseDelegate<boolean>();
    comm.send({ action: 'flush' });
    return Promise.race([this._flushed.promise, delay(FLUSH_TIMEOUT_MS).then(() => false)]);
  }

  private async _shutdown(): Promise<void> {
    const session = this._session;
    this._session = null;
    if (session && !session.isDisposed) {
      try {
        await session.shutdown();
      } catch (error) {
        console.warn('kap-notes: could not shut the form kernel down', error);
      }
      session.dispose();
    }
  }

  private _showStatus(text: string, error = false): void {
    this._status.node.textContent = text;
    this._status.toggleClass('kap-FormPanel-error', error);
    this._status.show();
  }

  /** After a pause in typing, hand the focused field's text to the kernel (it syncs on change). */
  private _onInput = (): void => {
    window.clearTimeout(this._idleTimer);
    this._idleTimer = window.setTimeout(() => this._syncFocused(), IDLE_SYNC_MS);
  };

  /** A link to a server path opens in JupyterLab (a notebook in a tab), not as a page URL. */
  private _onClick = (event: MouseEvent): void => {
    const link = (event.target as Element | null)?.closest?.('a');
    const handler = this._rendermime.linkHandler;
    if (!link || !handler || !this.node.contains(link)) {
      return;
    }
    const path = serverPath(link.getAttribute('href'), link.hasAttribute('download'));
    if (path === null) {
      return;
    }
    link.removeAttribute('target');
    // connects the link to JupyterLab's open-document command; the click reaches it next
    handler.handleLink(link, path);
  };

  private _syncFocused(): void {
    const active = document.activeElement;
    if (
      active &&
      this.node.contains(active) &&
      (active instanceof HTMLTextAreaElement ||
        (active instanceof HTMLInputElement && active.type !== 'password'))
    ) {
      active.dispatchEvent(new Event('change', { bubbles: true }));
    }
  }

  private _services: ServiceManager.IManager;
  private _kernelName: Promise<string>;
  private _args: IRestoreArgs;
  private _rendermime: IRenderMimeRegistry;
  private _status: Widget;
  private _session: Session.ISessionConnection | null = null;
  private _manager: KernelWidgetManager | null = null;
  private _comm: Kernel.IComm | null = null;
  private _form: string | null = null;
  private _flushed: PromiseDelegate<boolean> | null = null;
  private _finished = false;
  private _failed = false;
  private _writes: number | null = null;
  private _idleTimer = 0;
  private _ready = new PromiseDelegate<void>();
  private _changed = new Signal<this, void>(this);
}

/** The tab: closing it saves, then shuts its kernel down (no save prompt: it is no document). */
export class KapFormWidget extends MainAreaWidget<KapFormPanel> {
  constructor(content: KapFormPanel) {
    super({ content });
    this.addClass('kap-FormTab');
    this.id = `kap-form-tab-${content.key}`;
    this.toolbar.hide();
    this.title.icon = kapIcon;
    this.title.closable = true;
    this.updateTitle();
    content.changed.connect(() => this.updateTitle());
  }

  updateTitle(): void {
    const label = viewTitle(this.content.args.spec, this.content.form);
    this.title.label = label;
    this.title.caption = trans.__('KAP: %1', label);
  }

  protected override onCloseRequest(msg: Message): void {
    if (this._closing) {
      return;
    }
    this._closing = true;
    void this.content
      .finish()
      .then(closed => {
        this._closing = false;
        if (closed) {
          super.onCloseRequest(msg);
        }
      })
      .catch(() => {
        this._closing = false;
        super.onCloseRequest(msg);
      });
  }

  private _closing = false;
}

/**
 * Start a kernel for a future tab (path `kap-form-<key>`) with kap-notes already imported, then
 * let go of it (it keeps running; the tab that takes `key` connects to it). Answers whether it
 * is ready.
 */
export async function startSpare(
  services: ServiceManager.IManager,
  key: string,
  kernelName: string
): Promise<boolean> {
  const session = await services.sessions.startNew(
    {
      path: sessionPath(key),
      type: FORM_SESSION_TYPE,
      name: SPARE_NAME,
      kernel: { name: kernelName }
    },
    {}
  );
  try {
    if (!session.kernel) {
      return false;
    }
    await execute(session.kernel, WARM_CODE);
    return true;
  } finally {
    session.dispose(); // the connection only: the kernel stays for the next tab
  }
}

/** The session name of a spare kernel not yet taken by a tab. */
export const SPARE_NAME = 'KAP form (ready)';

/** What a spare kernel imports ahead of its form (the slow part of opening one). */
const WARM_CODE =
  'import kap_notes.widgets.host\n' +
  'from kap_notes.forms import get_template as _kap_t\n' +
  "for _kap_f in ('preparation', 'intention', 'dosing', 'integration'):\n" +
  '    _kap_t(_kap_f)';

/** A widget manager for this kernel with the standard widget modules registered. */
async function createManager(
  kernel: Kernel.IKernelConnection,
  rendermime: IRenderMimeRegistry
): Promise<KernelWidgetManager> {
  const [lab, base, controls] = await Promise.all([
    import('@jupyter-widgets/jupyterlab-manager'),
    import('@jupyter-widgets/base'),
    import('@jupyter-widgets/controls')
  ]);
  const manager = new lab.KernelWidgetManager(kernel, rendermime);
  manager.register({
    name: '@jupyter-widgets/base',
    version: base.JUPYTER_WIDGETS_VERSION,
    exports: {
      WidgetModel: base.WidgetModel,
      WidgetView: base.WidgetView,
      DOMWidgetView: base.DOMWidgetView,
      DOMWidgetModel: base.DOMWidgetModel,
      LayoutModel: base.LayoutModel,
      LayoutView: base.LayoutView,
      StyleModel: base.StyleModel,
      StyleView: base.StyleView,
      ErrorWidgetView: base.ErrorWidgetView
    } as unknown as Parameters<KernelWidgetManager['register']>[0]['exports']
  });
  manager.register({
    name: '@jupyter-widgets/controls',
    version: controls.JUPYTER_CONTROLS_VERSION,
    exports: controls as unknown as Parameters<KernelWidgetManager['register']>[0]['exports']
  });
  manager.register({
    name: '@jupyter-widgets/output',
    version: lab.output.OUTPUT_WIDGET_VERSION,
    exports: {
      OutputModel: lab.output.OutputModel,
      OutputView: lab.output.OutputView
    } as unknown as Parameters<KernelWidgetManager['register']>[0]['exports']
  });
  return manager;
}

/** Run `code` silently (no output, no history); rejects with the Python error's message. */
async function execute(kernel: Kernel.IKernelConnection, code: string): Promise<void> {
  const future = kernel.requestExecute({
    code,
    silent: true,
    store_history: false,
    stop_on_error: true
  });
  const reply = (await future.done) as KernelMessage.IExecuteReplyMsg;
  const content = reply.content;
  if (content.status === 'error') {
    throw new Error(content.evalue || content.ename);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise(resolve => window.setTimeout(resolve, ms));
}
