/**
 * One patient in the KAP panel: who they are, a new note of each type, the progress notebook,
 * the PDF export, and their notes with status, author, signing time and the actions that fit
 * (continue, revise, add addendum, view, discard draft).
 */
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { button, element, message } from './dom';
import { confirmWithPassphrase } from './reauth';
import { VaultModel } from './vault';
import {
  actionLabel,
  actionName,
  base64Bytes,
  ICommandCall,
  INoteRow,
  IPatientHit,
  IPatientNotes,
  NoteAction,
  newNoteCall,
  noteLine,
  openNoteCall,
  parsePatientNotes,
  statusLabel
} from './worklist';
import { trans } from './i18n';

/** What the patient view asks of JupyterLab. */
export interface IPatientHost {
  run(call: ICommandCall): Promise<void>;
  openNote(noteId: string): void;
  openPath(path: string): Promise<void>;
  /** The patient was closed (Back). */
  closed(): void;
  /** Something changed (a draft discarded, an addendum added): refresh what depends on it. */
  changed(): void;
  /** Say something in the panel's status line. */
  say(text: string): void;
}

export class PatientView {
  constructor(
    readonly model: VaultModel,
    readonly host: IPatientHost,
    readonly node: HTMLElement
  ) {}

  /** The open patient, if any. */
  get patientId(): string | null {
    return this._patientId;
  }

  async open(patientId: string): Promise<void> {
    this._patientId = patientId;
    try {
      const found = parsePatientNotes(
        await this.model.client.operation('patient_notes', { patient_id: patientId })
      );
      if (found === null) {
        throw new Error('the server sent an unexpected answer to patient_notes');
      }
      if (this._patientId === patientId) {
        this._render(found);
      }
    } catch (error) {
      this.node.replaceChildren(element('p', 'kap-Panel-error', message(error)));
    }
  }

  close(): void {
    this._patientId = null;
    this.node.replaceChildren();
  }

  private _render(found: IPatientNotes): void {
    const patient = found.patient;
    const back = button(
      trans.__('Back'),
      'kap-Panel-back',
      trans.__('Back to patients and My day')
    );
    back.addEventListener('click', () => {
      this.close();
      this.host.closed();
    });
    const heading = element('h3', 'kap-Panel-subheading', patient.name || patient.chart_code);
    const facts = [
      patient.chart_code,
      patient.date_of_birth && trans.__('born %1', patient.date_of_birth),
      patient.therapist && trans.__('Therapist: %1', patient.therapist)
    ].filter(Boolean);
    const tools = element('div', 'kap-Panel-tools');
    for (const form of found.new_notes) {
      const start = button(trans.__('New %1', form.title.toLowerCase()), 'kap-Panel-new');
      start.addEventListener(
        'click',
        () => void this.host.run(newNoteCall(form.form, patient.patient_id))
      );
      tools.append(start);
    }
    if (found.actions.includes('progress')) {
      const progress = button(trans.__('Progress notebook'));
      progress.addEventListener('click', () => void this._progress(patient));
      tools.append(progress);
    }
    if (found.actions.includes('export')) {
      const pdf = button(trans.__('Export PDF'));
      pdf.addEventListener('click', () => void this._export(patient));
      tools.append(pdf);
    }
    const list = element('ul', 'kap-Panel-list kap-Panel-notes');
    list.setAttribute('aria-label', trans.__('Notes of %1', patient.name));
    list.append(...found.notes.map(row => this._noteItem(row, patient)));
    const empty =
      found.notes.length === 0 ? [element('p', 'kap-Panel-empty', trans.__('No notes yet.'))] : [];
    this.node.replaceChildren(
      back,
      heading,
      element('p', 'kap-Panel-meta', facts.join(' · ')),
      tools,
      element('h4', 'kap-Day-title', trans.__('Notes')),
      ...empty,
      list
    );
  }

  private _noteItem(row: INoteRow, patient: IPatientHit): HTMLElement {
    const li = element('li', 'kap-Panel-item kap-Note');
    li.dataset.noteId = row.note_id;
    const line = element('div', 'kap-Note-line');
    line.append(
      element('span', 'kap-Panel-name', noteLine(row)),
      element('span', `kap-Status kap-Status-${row.status}`, statusLabel(row.status))
    );
    const meta = [
      trans.__('by %1', row.author_label),
      row.signed ? trans.__('signed %1', row.signed) : trans.__('saved %1', row.updated)
    ];
    if (row.addenda > 0) {
      meta.push(trans._n('%1 addendum', '%1 addenda', row.addenda));
    }
    li.append(line, element('span', 'kap-Panel-meta', meta.join(' · ')));
    if (row.returned_comment) {
      li.append(
        element('span', 'kap-Panel-detail', trans.__('Returned: %1', row.returned_comment))
      );
    }
    const buttons = element('div', 'kap-Note-actions');
    for (const action of row.actions) {
      const act = button(actionLabel(action), `kap-Note-${action}`, actionName(action, row));
      act.addEventListener('click', () => void this._act(action, row, patient));
      buttons.append(act);
    }
    li.append(buttons);
    return li;
  }

  private async _act(action: NoteAction, row: INoteRow, patient: IPatientHit): Promise<void> {
    try {
      if (action === 'continue' || action === 'revise') {
        await this.host.run(openNoteCall(row.note_id));
        return;
      }
      if (action === 'view') {
        this.host.openNote(row.note_id);
        return;
      }
      const done =
        action === 'discard' ? await this._discard(row) : await this._addendum(row, patient);
      if (done) {
        this.host.changed();
      }
    } catch (error) {
      Notification.error(trans.__('Not done: %1', message(error)), { autoClose: 8000 });
    }
  }

  private async _discard(row: INoteRow): Promise<boolean> {
    const result = await showDialog({
      title: trans.__('Discard this draft?'),
      body: trans.__(
        '%1 (draft). It leaves every list; this cannot be undone from here.',
        noteLine(row)
      ),
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: trans.__('Discard draft') })]
    });
    if (!result.button.accept) {
      return false;
    }
    await this.model.client.operation('discard_draft', {
      note_id: row.note_id,
      version: row.version
    });
    Notification.info(trans.__('Draft discarded.'), { autoClose: 4000 });
    return true;
  }

  private async _addendum(row: INoteRow, patient: IPatientHit): Promise<boolean> {
    const request = {
      action: 'addend' as const,
      chart_code: patient.chart_code,
      form: row.form,
      session_date: row.session_date,
      text: { label: trans.__('Addendum'), value: '' }
    };
    const done = await confirmWithPassphrase(this.model, request, (passphrase, text) =>
      this.model.client.operation('add_addendum', { note_id: row.note_id, text, passphrase })
    );
    if (done) {
      Notification.success(trans.__('Addendum signed and added.'), { autoClose: 5000 });
    }
    return done;
  }

  private async _progress(patient: IPatientHit): Promise<void> {
    try {
      this.host.say(trans.__('Compiling the progress notebook of %1…', patient.chart_code));
      const answer = (await this.model.client.operation('compile_patient', {
        patient_id: patient.patient_id
      })) as { path?: unknown };
      this.host.say('');
      if (typeof answer.path === 'string') {
        await this.host.openPath(answer.path);
      }
    } catch (error) {
      this.host.say(trans.__('Could not compile: %1', message(error)));
    }
  }

  private async _export(patient: IPatientHit): Promise<void> {
    try {
      this.host.say(trans.__('Exporting the record of %1…', patient.chart_code));
      const answer = (await this.model.client.operation('export_record_pdf', {
        patient_id: patient.patient_id
      })) as { filename?: unknown; passphrase?: unknown; pdf_base64?: unknown };
      this.host.say('');
      if (typeof answer.pdf_base64 !== 'string' || typeof answer.passphrase !== 'string') {
        throw new Error('the server sent an unexpected answer to export_record_pdf');
      }
      const name = typeof answer.filename === 'string' ? answer.filename : 'record.pdf';
      const bytes = base64Bytes(answer.pdf_base64) as BlobPart;
      const link = document.createElement('a');
      link.href = URL.createObjectURL(new Blob([bytes], { type: 'application/pdf' }));
      link.download = name;
      link.click();
      window.setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
      const body = element('div', 'kap-Export');
      body.append(
        element('p', '', trans.__('%1 is protected with this passphrase (shown once):', name)),
        element('p', 'kap-Export-passphrase', answer.passphrase)
      );
      await showDialog({
        title: trans.__('PDF exported'),
        body: new Widget({ node: body }),
        buttons: [Dialog.okButton({ label: trans.__('Done') })]
      });
    } catch (error) {
      this.host.say(trans.__('Could not export: %1', message(error)));
    }
  }

  private _patientId: string | null = null;
}
