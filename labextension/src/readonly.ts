/**
 * Compiled KAP notebooks (a progress notebook, the clinic outcomes) are read-only views: the
 * server marks them not writable and they carry `metadata.kap_notes`. Opening one starts its
 * kernel, and JupyterLab then copies the kernel's spec and language info into the notebook's
 * metadata, which marks it changed: closing the tab asked "Save your work" with only "Save as"
 * (a copy of patient data the contents manager refuses). Such a notebook has nothing to save, so
 * it is kept unchanged: closing it just closes it.
 */
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';

/** Whether `panel` shows a compiled KAP notebook served read-only. */
export function isReadOnlyKapNotebook(panel: NotebookPanel): boolean {
  const { context } = panel;
  return (
    context.contentsModel?.writable === false &&
    context.model.getMetadata('kap_notes') !== undefined
  );
}

/** Keep every read-only KAP notebook `tracker` sees from asking to be saved. */
export function keepReadOnlyNotebooksClean(tracker: INotebookTracker): void {
  tracker.widgetAdded.connect((_, panel) => {
    const model = panel.context.model;
    model.stateChanged.connect((_, change) => {
      if (change.name === 'dirty' && change.newValue === true && isReadOnlyKapNotebook(panel)) {
        model.dirty = false;
      }
    });
  });
}
