/** Pure parts of the KAP PDF menu item (./exportmenu): which patient, which menu item. */
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

export const KAP_PDF_FORMAT = 'kap_pdf';
export const KAP_PDF_LABEL = 'KAP PDF (encrypted)';
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

/** Replace JupyterLab's "Kap_pdf" item with the KAP command; true once the menu has it. */
export function relabelExportMenu(menu: IMenuLike): boolean {
  const index = menu.items.findIndex(
    item => item.command === 'notebook:export-to-format' && item.args?.format === KAP_PDF_FORMAT
  );
  if (index >= 0) {
    menu.removeItemAt(index);
    menu.insertItem(index, { command: EXPORT_PDF_COMMAND });
  }
  return menu.items.some(item => item.command === EXPORT_PDF_COMMAND);
}
