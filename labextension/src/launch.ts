/**
 * Launch a form: write a one-cell notebook into `kap-forms/`, open it with the kap-notes kernel
 * and run the cell, so the form is already showing when the notebook appears.
 */
import { IDocumentManager } from '@jupyterlab/docmanager';
import { NotebookActions, NotebookPanel } from '@jupyterlab/notebook';
import { Contents, ServiceManager } from '@jupyterlab/services';

import {
  chooseKernel,
  FORMS_DIR,
  formNotebook,
  freeNotebookPath,
  IKernelChoice,
  ILaunchable
} from './forms';

export class FormLauncher {
  constructor(
    private readonly services: ServiceManager.IManager,
    private readonly docManager: IDocumentManager
  ) {}

  /** Create, open and run the notebook for `item`; resolves with the opened panel. */
  async launch(item: ILaunchable): Promise<NotebookPanel> {
    const existing = await this._ensureFormsDir();
    const kernel = await this._kernel();
    const path = freeNotebookPath(item.form, existing);
    await this.services.contents.save(path, {
      type: 'notebook',
      format: 'json',
      content: formNotebook(item, kernel)
    });
    const widget = this.docManager.openOrReveal(path, 'Notebook', {
      name: kernel.name
    });
    if (!(widget instanceof NotebookPanel)) {
      throw new Error(`Could not open ${path} as a notebook.`);
    }
    await widget.context.ready;
    await widget.sessionContext.ready;
    await NotebookActions.runAll(widget.content, widget.sessionContext);
    return widget;
  }

  /** Make sure `kap-forms/` exists; answer the names already in it. */
  private async _ensureFormsDir(): Promise<string[]> {
    const contents = this.services.contents;
    let folder: Contents.IModel;
    try {
      folder = await contents.get(FORMS_DIR, { content: true });
    } catch {
      // Missing: create it (PUT of a directory model).
      folder = await contents.save(FORMS_DIR, { type: 'directory' });
    }
    if (folder.type !== 'directory') {
      throw new Error(`"${FORMS_DIR}" exists but is not a folder; rename it and try again.`);
    }
    const children = Array.isArray(folder.content) ? (folder.content as Contents.IModel[]) : [];
    return children.map(child => child.name);
  }

  private async _kernel(): Promise<IKernelChoice> {
    const kernelspecs = this.services.kernelspecs;
    await kernelspecs.ready;
    const specs = kernelspecs.specs;
    const available = Object.keys(specs?.kernelspecs ?? {});
    const name = chooseKernel(available, specs?.default ?? 'python3');
    const spec = specs?.kernelspecs[name];
    return {
      name,
      display_name: spec?.display_name ?? name,
      language: spec?.language ?? 'python'
    };
  }
}
