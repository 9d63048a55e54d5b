/** Pure parts of the KAP PDF menu item (./exportmenu): which patient, which menu item. */
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { trans } from './i18n';

export const KAP_PDF_FORMAT = 'kap_pdf';
/** The File → Save and Export As item's label. */
export function kapPdfLabel(): string {
  return trans.__('KAP PDF (encrypted)');
}
export const EXPORT_PDF_COMMAND = 'kap-notes:export-pdf';
export const EXPORT_SUBMENU_ID = 'jp-mainmenu-file-notebookexport';

/** The patient a notebook belongs to (its vault mark, or a progress notebook's patient id). */
export function notebookPatient(metadata: unknown): string | null {
  if (typeof metadata !== 'object' || metadata === null) {
    return null;
  }
  const kap = (metadata as Record<string, unknown>)['kap_notes'];
  if (typeof kap !== 'object' || kap === null) {
    return null;
  }
  const record = kap as Record<string, unknown>;
  const patient = record['vault_patient'] ?? record['patient_id'];
  return typeof patient === 'string' && patient ? patient : null;
}

/** The parts of a Lumino menu the relabelling uses (a plain object in tests). */
export interface IMenuLike {
  readonly items: ReadonlyArray<{ command: string; args: ReadonlyPartialJSONObject }>;
  removeItemAt(index: number): void;
  insertItem(index: number, options: { command: string }): unknown;
}

/**
 * Put the KAP command in the export menu once JupyterLab has added its exporter items: in place
 * of a "Kap_pdf" item if one is there, else after the others. True once the menu has it.
 */
export function relabelExportMenu(menu: IMenuLike): boolean {
  const exporters = menu.items.filter(item => item.command === 'notebook:export-to-format');
  const index = menu.items.findIndex(
    item => item.command === 'notebook:export-to-format' && item.args?.format === KAP_PDF_FORMAT
  );
  const present = menu.items.some(item => item.command === EXPORT_PDF_COMMAND);
  if (index >= 0) {
    menu.removeItemAt(index);
    if (!present) {
      menu.insertItem(index, { command: EXPORT_PDF_COMMAND });
    }
  } else if (!present && exporters.length > 0) {
    const last = menu.items.lastIndexOf(exporters[exporters.length - 1]);
    menu.insertItem(last + 1, { command: EXPORT_PDF_COMMAND });
  }
  return menu.items.some(item => item.command === EXPORT_PDF_COMMAND);
}

/**
 * The export formats JupyterLab builds its generic items from, without `kap_pdf`.
 *
 * JupyterLab 4 labels each nbconvert exporter itself (notebook-extension: a fixed map for html,
 * pdf, latex… else the name with its first letter capitalised, hence "Kap_pdf"); the server's
 * `/api/nbconvert` sends only each exporter's `output_mimetype` (jupyter_server ignores
 * nbconvert's `export_from_notebook` friendly name). So the File menu, the command palette and
 * the cell's raw format list would all say "Kap_pdf" and run a generic export that cannot show
 * the one-time passphrase. Leaving it out of the list JupyterLab reads removes it from all
 * three; the KAP command ("KAP PDF (encrypted)") takes its place in the menu.
 */
export function withoutKapPdf<T extends object>(formats: T): T {
  if (!(KAP_PDF_FORMAT in formats)) {
    return formats;
  }
  const copy = { ...formats } as Record<string, unknown>;
  delete copy[KAP_PDF_FORMAT];
  return copy as T;
}
