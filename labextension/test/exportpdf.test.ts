// Pure-module tests, run with node's test runner: `jlpm test`.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';

import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import {
  EXPORT_PDF_COMMAND,
  IMenuLike,
  KAP_PDF_FORMAT,
  notebookPatient,
  relabelExportMenu,
  withoutKapPdf
} from '../src/exportpdf';

class FakeMenu implements IMenuLike {
  items: { command: string; args: ReadonlyPartialJSONObject }[] = [
    { command: 'notebook:export-to-format', args: { format: 'html', label: 'HTML' } },
    { command: 'notebook:export-to-format', args: { format: KAP_PDF_FORMAT, label: 'Kap_pdf' } },
    { command: 'notebook:export-to-format', args: { format: 'pdf', label: 'PDF' } }
  ];
  removeItemAt(index: number): void {
    this.items.splice(index, 1);
  }
  insertItem(index: number, options: { command: string }): void {
    this.items.splice(index, 0, { command: options.command, args: {} });
  }
}

describe('KAP PDF menu item', () => {
  it('replaces the Kap_pdf item in place, once', () => {
    const menu = new FakeMenu();
    assert.equal(relabelExportMenu(menu), true);
    assert.deepEqual(
      menu.items.map(i => i.command),
      ['notebook:export-to-format', EXPORT_PDF_COMMAND, 'notebook:export-to-format']
    );
    assert.equal(relabelExportMenu(menu), true);
    assert.equal(menu.items.length, 3);
  });

  it('waits until JupyterLab has added its exporter items', () => {
    const menu = new FakeMenu();
    menu.items = [];
    assert.equal(relabelExportMenu(menu), false);
  });

  it('adds the KAP item after the exporters when kap_pdf is not listed', () => {
    const menu = new FakeMenu();
    menu.items.splice(1, 1);
    menu.items.push({ command: 'other:command', args: {} });
    assert.equal(relabelExportMenu(menu), true);
    assert.deepEqual(
      menu.items.map(i => i.command),
      [
        'notebook:export-to-format',
        'notebook:export-to-format',
        EXPORT_PDF_COMMAND,
        'other:command'
      ]
    );
    assert.equal(relabelExportMenu(menu), true);
    assert.equal(menu.items.length, 4);
  });

  it('leaves kap_pdf out of the formats JupyterLab labels itself', () => {
    const formats = { html: { output_mimetype: 'text/html' }, [KAP_PDF_FORMAT]: {} };
    assert.deepEqual(Object.keys(withoutKapPdf(formats)), ['html']);
    assert.deepEqual(Object.keys(formats), ['html', KAP_PDF_FORMAT]); // a copy
    const plain = { pdf: {} };
    assert.equal(withoutKapPdf(plain), plain);
  });

  it('finds the patient of a vault or progress notebook only', () => {
    assert.equal(notebookPatient({ kap_notes: { vault_patient: 'pat_1' } }), 'pat_1');
    assert.equal(notebookPatient({ kap_notes: { patient_id: 'pat_2' } }), 'pat_2');
    assert.equal(notebookPatient({ kap_notes: undefined }), null);
    assert.equal(notebookPatient({ kernelspec: {} }), null);
    assert.equal(notebookPatient(null), null);
  });
});
