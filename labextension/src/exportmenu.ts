/**
 * "File → Save and Export Notebook As → KAP PDF (encrypted)".
 *
 * JupyterLab labels nbconvert exporters from their entry-point name ("Kap_pdf"): kap_pdf is left
 * out of the formats JupyterLab reads (no "Kap_pdf" in the menu, palette or raw cell formats;
 * see `withoutKapPdf`) and the menu gets a KAP command that reads well and works on every
 * notebook:
 * - a patient's progress notebook (kap-vault/): the patient's record as an AES-256 PDF, with
 *   its one-time passphrase shown once (the same export as the Patient progress view);
 * - any other notebook: nbconvert's `kap_pdf` exporter (the server says clearly when it has no
 *   export passphrase configured).
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { Menu, MenuBar, Widget } from '@lumino/widgets';

import { KapClient } from './api';
import {
  EXPORT_PDF_COMMAND,
  EXPORT_SUBMENU_ID,
  KAP_PDF_FORMAT,
  kapPdfLabel,
  notebookPatient,
  relabelExportMenu,
  withoutKapPdf
} from './exportpdf';
import { trans } from './i18n';

function exportSubmenu(app: JupyterFrontEnd): Menu | null {
  for (const widget of app.shell.widgets('menu')) {
    const bars = widget instanceof MenuBar ? [widget] : [];
    for (const bar of bars) {
      for (const menu of bar.menus) {
        for (const item of menu.items) {
          if (item.type === 'submenu' && item.submenu?.id === EXPORT_SUBMENU_ID) {
            return item.submenu;
          }
        }
      }
    }
  }
  return null;
}

interface INotebookLike extends Widget {
  context: { path: string; model: { getMetadata(key: string): unknown } };
}

function currentNotebook(app: JupyterFrontEnd): INotebookLike | null {
  const current = app.shell.currentWidget as INotebookLike | null;
  return current?.context?.model && typeof current.context.model.getMetadata === 'function'
    ? current
    : null;
}

interface IRecordPdf {
  filename: string;
  passphrase: string;
  pdf_base64: string;
}

async function exportRecord(client: KapClient, patientId: string): Promise<void> {
  const pdf = (await client.operation('export_record_pdf', {
    patient_id: patientId
  })) as IRecordPdf;
  const body = document.createElement('div');
  body.className = 'kap-ExportDialog';
  const link = document.createElement('a');
  link.download = pdf.filename;
  link.href = `data:application/pdf;base64,${pdf.pdf_base64}`;
  link.textContent = trans.__('Download %1 (AES-256 encrypted)', pdf.filename);
  const note = document.createElement('p');
  note.textContent = trans.__('Passphrase, shown once — give it separately:');
  const code = document.createElement('code');
  code.textContent = pdf.passphrase;
  body.append(link, note, code);
  await showDialog({
    title: trans.__('KAP PDF exported (in the audit log)'),
    body: new Widget({ node: body }),
    buttons: [Dialog.okButton({ label: trans.__('Done') })]
  });
}

/** The command and the relabelled menu item. */
export function setUpExportMenu(app: JupyterFrontEnd, client: KapClient): void {
  // (activated before any notebook opens, i.e. before JupyterLab first asks for the formats)
  const nbconvert = app.serviceManager.nbconvert;
  const formats = nbconvert.getExportFormats.bind(nbconvert);
  nbconvert.getExportFormats = async (force?: boolean) => withoutKapPdf(await formats(force));
  app.commands.addCommand(EXPORT_PDF_COMMAND, {
    label: kapPdfLabel,
    caption: () =>
      trans.__('An AES-256 protected PDF of this notebook (a progress notebook: the record)'),
    isEnabled: () => currentNotebook(app) !== null,
    execute: async () => {
      const notebook = currentNotebook(app);
      if (notebook === null) {
        return;
      }
      const patient = notebookPatient({
        kap_notes: notebook.context.model.getMetadata('kap_notes')
      });
      if (patient === null) {
        return app.commands.execute('notebook:export-to-format', {
          format: KAP_PDF_FORMAT,
          label: kapPdfLabel()
        });
      }
      try {
        await exportRecord(client, patient);
      } catch (error) {
        Notification.error(trans.__('KAP PDF not exported: %1', (error as Error).message), {
          autoClose: false
        });
      }
    }
  });
  // JupyterLab adds its export items once the first notebook opens (after an async request).
  let fixed = false;
  const fix = (): void => {
    const menu = exportSubmenu(app);
    fixed = fixed || (menu !== null && relabelExportMenu(menu));
  };
  const soon = (): void => {
    for (const delay of [0, 1000, 3000]) {
      setTimeout(() => fixed || fix(), delay);
    }
  };
  app.shell.currentChanged?.connect(soon);
  void app.restored.then(soon);
}
