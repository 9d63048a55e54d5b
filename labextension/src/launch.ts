/**
 * Open KAP form tabs (./formwidget) and keep them across reloads: a WidgetTracker saved by the
 * layout restorer with each tab's restore args (key, what it shows, its note once autosaved).
 * After the layout is restored, form kernels that no tab owns and no browser is connected to are
 * shut down, so the live form kernels are the open forms.
 */
import { ILayoutRestorer, JupyterFrontEnd } from '@jupyterlab/application';
import { WidgetTracker } from '@jupyterlab/apputils';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { UUID } from '@lumino/coreutils';

import {
  chooseKernel,
  IRestoreArgs,
  IRunningSession,
  orphanSessions,
  parseRestoreArgs,
  ViewSpec
} from './forms';
import { KapFormPanel, KapFormWidget } from './formwidget';

export const RESTORE_COMMAND = 'kap-notes:restore-form';

export class FormTabs {
  constructor(
    private readonly app: JupyterFrontEnd,
    private readonly rendermime: IRenderMimeRegistry,
    restorer: ILayoutRestorer | null
  ) {
    this.tracker = new WidgetTracker<KapFormWidget>({ namespace: 'kap-notes-form' });
    app.commands.addCommand(RESTORE_COMMAND, {
      label: 'Reopen a KAP form',
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
    void app.restored.then(() => this.sweep());
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
    const widget = this._open({ key: UUID.uuid4(), spec, noteId: null }, true);
    await widget.content.ready;
    return widget;
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
    const owned = new Set<string>();
    this.tracker.forEach(w => owned.add(w.content.path));
    const orphans = orphanSessions(running, owned);
    await Promise.all(orphans.map(s => sessions.shutdown(s.id).catch(() => undefined)));
    return orphans.length;
  }

  private _open(args: IRestoreArgs, activate: boolean): KapFormWidget {
    const content = new KapFormPanel({
      services: this.app.serviceManager,
      rendermime: this.rendermime,
      kernelName: this._kernelName(),
      args
    });
    const widget = new KapFormWidget(content);
    content.changed.connect(() => void this.tracker.save(widget));
    void this.tracker.add(widget);
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
