/**
 * The KAP panel in JupyterLab's left side bar: find a patient by name, chart code or date of
 * birth; "My day" for the unlocked user; a patient's notes with their status and the actions
 * that fit (continue, revise, add addendum, view, discard draft), a new note of each type, the
 * progress notebook and the PDF export. Supervisors open the review queue from here.
 *
 * Forms open through the form commands (`kap-notes:open-form`, `kap-notes:open-note`); everything
 * else calls the server's operations directly — no notebook, no kernel, no Python on screen.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { Dialog, MainAreaWidget, Notification, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { KapApiError } from './api';
import { kapIcon } from './icons';
import { button, NoteView, ReviewQueueView } from './queueview';
import { confirmWithPassphrase } from './reauth';
import { VaultModel } from './vault';
import {
  actionLabel,
  actionName,
  base64Bytes,
  dayActionLabel,
  dayCount,
  dayItemCall,
  ICommandCall,
  IDayItem,
  INoteRow,
  IPatientHit,
  IPatientNotes,
  NoteAction,
  newNoteCall,
  noteLine,
  openNoteCall,
  parseMyDay,
  parsePatientNotes,
  parsePatients,
  patientLine,
  statusLabel
} from './worklist';

export const PANEL_ID = 'kap-notes-panel';
export const OPEN_PANEL = 'kap-notes:open-panel';
export const OPEN_QUEUE = 'kap-notes:review-queue';
const SEARCH_DELAY_MS = 250;

function message(error: unknown): string {
  return error instanceof KapApiError ? error.message : String(error);
}

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

/** What the panel asks of JupyterLab. */
export interface IPanelHost {
  run(call: ICommandCall): Promise<void>;
  openQueue(noteId?: string): Promise<void>;
  openNote(noteId: string): void;
  openPath(path: string): Promise<void>;
  unlock(): Promise<void>;
}

export class KapPanel extends Widget {
  constructor(
    readonly model: VaultModel,
    readonly host: IPanelHost
  ) {
    super();
    this.id = PANEL_ID;
    this.addClass('kap-Panel');
    this.title.icon = kapIcon;
    this.title.caption = 'KAP: patients, my day, review queue';
    this.node.setAttribute('aria-label', 'KAP panel');
    const heading = element('h2', 'kap-Panel-heading', 'KAP notes');
    this._status = element('p', 'kap-Panel-status');
    this._status.setAttribute('role', 'status');
    this._status.setAttribute('aria-live', 'polite');
    const search = element('form', 'kap-Panel-search');
    search.setAttribute('role', 'search');
    search.addEventListener('submit', event => {
      event.preventDefault();
      void this.search();
    });
    const label = element('label', 'kap-Panel-searchLabel', 'Find a patient');
    label.htmlFor = 'kap-panel-search';
    this._query = element('input', 'jp-mod-styled kap-Panel-query');
    this._query.id = 'kap-panel-search';
    this._query.type = 'search';
    this._query.placeholder = 'Name, chart code or date of birth';
    this._query.addEventListener('input', () => this._searchSoon());
    search.append(label, this._query);
    const refresh = button('Refresh', 'kap-Panel-refresh');
    refresh.addEventListener('click', () => void this.refresh());
    this._results = element('section', 'kap-Panel-section kap-Panel-results');
    this._results.setAttribute('aria-label', 'Patients');
    this._patient = element('section', 'kap-Panel-section kap-Panel-patient');
    this._patient.setAttribute('aria-label', 'Patient');
    this._day = element('section', 'kap-Panel-section kap-Panel-day');
    this._day.setAttribute('aria-label', 'My day');
    this._unlock = button('Unlock the vault', 'jp-mod-accept');
    this._unlock.addEventListener('click', () => void host.unlock());
    this._queue = button('Open the review queue', 'kap-Panel-queue');
    this._queue.addEventListener('click', () => void host.openQueue());
    this.node.append(
      heading,
      this._status,
      this._unlock,
      search,
      refresh,
      this._queue,
      this._patient,
      this._results,
      this._day
    );
    model.changed.connect(this._onVaultChanged, this);
    this._onVaultChanged();
  }

  override dispose(): void {
    this.model.changed.disconnect(this._onVaultChanged, this);
    super.dispose();
  }

  /** Load My day, the patient list and the open patient again. */
  async refresh(): Promise<void> {
    if (!this.model.unlocked) {
      this._showLocked();
      return;
    }
    this._status.textContent = '';
    await Promise.all([
      this.loadDay(),
      this.search(),
      this._open ? this.openPatient(this._open) : Promise.resolve()
    ]);
  }

  /** Patients whose name, chart code or date of birth contain the words typed. */
  async search(): Promise<void> {
    if (!this.model.unlocked) {
      return;
    }
    const query = this._query.value.trim();
    try {
      const found = parsePatients(await this.model.client.operation('find_patients', { query }));
      this._renderResults(found, query);
    } catch (error) {
      this._results.replaceChildren(element('p', 'kap-Panel-error', message(error)));
    }
  }

  async loadDay(): Promise<void> {
    try {
      const day = parseMyDay(await this.model.client.operation('my_day', {}));
      if (day === null) {
        throw new Error('the server sent an unexpected answer to my_day');
      }
      this._queue.hidden = day.role !== 'supervisor';
      this._renderDay(day.sections, dayCount(day), day.today);
    } catch (error) {
      this._day.replaceChildren(element('p', 'kap-Panel-error', message(error)));
    }
  }

  /** Show one patient's notes in the panel. */
  async openPatient(patientId: string): Promise<void> {
    this._open = patientId;
    try {
      const found = parsePatientNotes(
        await this.model.client.operation('patient_notes', { patient_id: patientId })
      );
      if (found === null) {
        throw new Error('the server sent an unexpected answer to patient_notes');
      }
      this._renderPatient(found);
    } catch (error) {
      this._patient.replaceChildren(element('p', 'kap-Panel-error', message(error)));
    }
  }

  protected override onAfterShow(): void {
    void this.refresh();
  }

  private _onVaultChanged(): void {
    const unlocked = this.model.unlocked;
    this._unlock.hidden = unlocked;
    if (unlocked === this._wasUnlocked) {
      return;
    }
    this._wasUnlocked = unlocked;
    this._open = null;
    this._patient.replaceChildren();
    if (unlocked) {
      void this.refresh();
    } else {
      this._showLocked();
    }
  }

  private _showLocked(): void {
    this._status.textContent = 'The vault is locked: unlock it to see your patients and notes.';
    this._queue.hidden = true;
    this._results.replaceChildren();
    this._day.replaceChildren();
    this._patient.replaceChildren();
  }

  private _searchSoon(): void {
    if (this._timer !== null) {
      window.clearTimeout(this._timer);
    }
    this._timer = window.setTimeout(() => {
      this._timer = null;
      void this.search();
    }, SEARCH_DELAY_MS);
  }

  private _renderResults(found: IPatientHit[], query: string): void {
    const title = query ? `Patients matching “${query}”` : 'Your patients';
    const heading = element('h3', 'kap-Panel-subheading', title);
    if (found.length === 0) {
      this._results.replaceChildren(
        heading,
        element('p', 'kap-Panel-empty', query ? 'No patient matches.' : 'No patients yet.')
      );
      return;
    }
    const list = element('ul', 'kap-Panel-list');
    for (const patient of found) {
      const item = element('li', 'kap-Panel-item');
      const open = element('button', 'kap-Panel-patientButton');
      open.type = 'button';
      open.append(
        element('span', 'kap-Panel-name', patientLine(patient)),
        element(
          'span',
          'kap-Panel-meta',
          patient.therapist ? `Therapist: ${patient.therapist}` : ''
        )
      );
      open.addEventListener('click', () => void this.openPatient(patient.patient_id));
      item.append(open);
      list.append(item);
    }
    this._results.replaceChildren(heading, list);
  }

  private _renderDay(
    sections: { key: string; title: string; items: IDayItem[] }[],
    total: number,
    today: string
  ): void {
    const heading = element('h3', 'kap-Panel-subheading', `My day (${today})`);
    const parts: HTMLElement[] = [heading];
    if (total === 0) {
      parts.push(element('p', 'kap-Panel-empty', 'Nothing waits for you.'));
    }
    for (const section of sections) {
      if (section.items.length === 0) {
        continue;
      }
      const block = element('div', `kap-Day-section kap-Day-${section.key}`);
      block.append(element('h4', 'kap-Day-title', `${section.title} (${section.items.length})`));
      const list = element('ul', 'kap-Panel-list');
      for (const item of section.items) {
        list.append(this._dayItem(item));
      }
      block.append(list);
      parts.push(block);
    }
    this._day.replaceChildren(...parts);
  }

  private _dayItem(item: IDayItem): HTMLElement {
    const li = element(
      'li',
      `kap-Panel-item kap-Day-item${item.overdue ? ' kap-mod-overdue' : ''}`
    );
    const who = `${item.patient_name} · ${item.chart_code}`;
    const text = element('div', 'kap-Day-text');
    text.append(
      element('span', 'kap-Panel-name', `${who}`),
      element('span', 'kap-Panel-meta', noteLine(item)),
      element('span', 'kap-Panel-detail', item.detail)
    );
    const act = button(dayActionLabel(item), 'kap-Day-action');
    act.setAttribute('aria-label', `${dayActionLabel(item)}: ${who}, ${noteLine(item)}`);
    act.addEventListener('click', () => {
      const call = dayItemCall(item);
      void (call === 'queue' ? this.host.openQueue(item.note_id) : this.host.run(call));
    });
    const patient = button('Notes', 'kap-Day-patient');
    patient.setAttribute('aria-label', `Notes of ${who}`);
    patient.addEventListener('click', () => void this.openPatient(item.patient_id));
    li.append(text, act, patient);
    return li;
  }

  private _renderPatient(found: IPatientNotes): void {
    const patient = found.patient;
    const close = button('Back', 'kap-Panel-back');
    close.setAttribute('aria-label', 'Close this patient');
    close.addEventListener('click', () => {
      this._open = null;
      this._patient.replaceChildren();
    });
    const heading = element('h3', 'kap-Panel-subheading', patient.name || patient.chart_code);
    const facts = element(
      'p',
      'kap-Panel-meta',
      [
        patient.chart_code,
        patient.date_of_birth && `born ${patient.date_of_birth}`,
        patient.therapist
      ]
        .filter(Boolean)
        .join(' · ')
    );
    const tools = element('div', 'kap-Panel-tools');
    for (const form of found.new_notes) {
      const start = button(`New ${form.title.toLowerCase()}`, 'kap-Panel-new');
      start.addEventListener(
        'click',
        () => void this.host.run(newNoteCall(form.form, patient.patient_id))
      );
      tools.append(start);
    }
    if (found.actions.includes('progress')) {
      const progress = button('Progress notebook');
      progress.addEventListener('click', () => void this._progress(patient));
      tools.append(progress);
    }
    if (found.actions.includes('export')) {
      const pdf = button('Export PDF');
      pdf.addEventListener('click', () => void this._export(patient));
      tools.append(pdf);
    }
    const list = element('ul', 'kap-Panel-list kap-Panel-notes');
    list.setAttribute('aria-label', `Notes of ${patient.name}`);
    for (const row of found.notes) {
      list.append(this._noteItem(row, patient));
    }
    const empty =
      found.notes.length === 0 ? [element('p', 'kap-Panel-empty', 'No notes yet.')] : [];
    this._patient.replaceChildren(close, heading, facts, tools, ...empty, list);
  }

  private _noteItem(row: INoteRow, patient: IPatientHit): HTMLElement {
    const li = element('li', 'kap-Panel-item kap-Note');
    li.dataset.noteId = row.note_id;
    const line = element('div', 'kap-Note-line');
    line.append(
      element('span', 'kap-Panel-name', noteLine(row)),
      element('span', `kap-Status kap-Status-${row.status}`, statusLabel(row.status))
    );
    const meta = [`by ${row.author_label}`];
    meta.push(row.signed ? `signed ${row.signed}` : `saved ${row.updated}`);
    if (row.addenda > 0) {
      meta.push(row.addenda === 1 ? '1 addendum' : `${row.addenda} addenda`);
    }
    li.append(line, element('span', 'kap-Panel-meta', meta.join(' · ')));
    if (row.returned_comment) {
      li.append(element('span', 'kap-Panel-detail', `Returned: ${row.returned_comment}`));
    }
    const buttons = element('div', 'kap-Note-actions');
    for (const action of row.actions) {
      const act = button(actionLabel(action), `kap-Note-${action}`);
      act.setAttribute('aria-label', actionName(action, row));
      act.addEventListener('click', () => void this._act(action, row, patient));
      buttons.append(act);
    }
    li.append(buttons);
    return li;
  }

  private async _act(action: NoteAction, row: INoteRow, patient: IPatientHit): Promise<void> {
    try {
      switch (action) {
        case 'continue':
        case 'revise':
          await this.host.run(openNoteCall(row.note_id));
          return;
        case 'view':
          this.host.openNote(row.note_id);
          return;
        case 'discard':
          await this._discard(row);
          break;
        case 'addendum':
          await this._addendum(row, patient);
          break;
      }
      await this.refresh();
    } catch (error) {
      Notification.error(`Not done: ${message(error)}`, { autoClose: 8000 });
    }
  }

  private async _discard(row: INoteRow): Promise<void> {
    const result = await showDialog({
      title: 'Discard this draft?',
      body: `${noteLine(row)} (draft). It leaves every list; this cannot be undone from here.`,
      buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Discard draft' })]
    });
    if (result.button.accept) {
      await this.model.client.operation('discard_draft', {
        note_id: row.note_id,
        version: row.version
      });
      Notification.info('Draft discarded.', { autoClose: 4000 });
    }
  }

  private async _addendum(row: INoteRow, patient: IPatientHit): Promise<void> {
    const request = {
      action: 'addend' as const,
      chart_code: patient.chart_code,
      form: row.form,
      session_date: row.session_date,
      text: { label: 'Addendum', value: '' }
    };
    const done = await confirmWithPassphrase(this.model, request, (passphrase, text) =>
      this.model.client.operation('add_addendum', { note_id: row.note_id, text, passphrase })
    );
    if (done) {
      Notification.success('Addendum signed and added.', { autoClose: 5000 });
    }
  }

  private async _progress(patient: IPatientHit): Promise<void> {
    try {
      this._status.textContent = `Compiling the progress notebook of ${patient.chart_code}…`;
      const answer = (await this.model.client.operation('compile_patient', {
        patient_id: patient.patient_id
      })) as { path?: unknown };
      this._status.textContent = '';
      if (typeof answer.path === 'string') {
        await this.host.openPath(answer.path);
      }
    } catch (error) {
      this._status.textContent = `Could not compile: ${message(error)}`;
    }
  }

  private async _export(patient: IPatientHit): Promise<void> {
    try {
      this._status.textContent = `Exporting the record of ${patient.chart_code}…`;
      const answer = (await this.model.client.operation('export_record_pdf', {
        patient_id: patient.patient_id
      })) as { filename?: unknown; passphrase?: unknown; pdf_base64?: unknown };
      this._status.textContent = '';
      if (typeof answer.pdf_base64 !== 'string' || typeof answer.passphrase !== 'string') {
        throw new Error('the server sent an unexpected answer to export_record_pdf');
      }
      const name = typeof answer.filename === 'string' ? answer.filename : 'record.pdf';
      const blob = new Blob([base64Bytes(answer.pdf_base64) as BlobPart], {
        type: 'application/pdf'
      });
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = name;
      link.click();
      window.setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
      const body = element('div', 'kap-Export');
      body.append(
        element('p', '', `${name} is protected with this passphrase (shown once):`),
        element('p', 'kap-Export-passphrase', answer.passphrase)
      );
      await showDialog({
        title: 'PDF exported',
        body: new Widget({ node: body }),
        buttons: [Dialog.okButton({ label: 'Done' })]
      });
    } catch (error) {
      this._status.textContent = `Could not export: ${message(error)}`;
    }
  }

  private _status: HTMLElement;
  private _query: HTMLInputElement;
  private _results: HTMLElement;
  private _patient: HTMLElement;
  private _day: HTMLElement;
  private _unlock: HTMLButtonElement;
  private _queue: HTMLButtonElement;
  private _open: string | null = null;
  private _wasUnlocked: boolean | null = null;
  private _timer: number | null = null;
}

/** Add the panel to the left side bar and its commands (open the panel, the review queue). */
export function setUpPanel(
  app: JupyterFrontEnd,
  model: VaultModel,
  unlock: () => Promise<unknown>
): KapPanel {
  let queue: MainAreaWidget<ReviewQueueView> | null = null;
  const notes = new Map<string, MainAreaWidget<NoteView>>();
  const host: IPanelHost = {
    run: async call => {
      if (!app.commands.hasCommand(call.id)) {
        Notification.warning(`This JupyterLab has no command ${call.id}; update kap-notes.`, {
          autoClose: 8000
        });
        return;
      }
      await app.commands.execute(call.id, call.args);
    },
    openQueue: async noteId => {
      if (queue === null || queue.isDisposed) {
        const content = new ReviewQueueView(model);
        content.changed = () => void panel.loadDay();
        queue = new MainAreaWidget({ content });
        queue.id = 'kap-review-queue-tab';
        queue.title.label = 'Review queue';
        queue.title.icon = kapIcon;
        app.shell.add(queue, 'main');
      }
      app.shell.activateById(queue.id);
      await queue.content.refresh();
      if (noteId) {
        await queue.content.select(noteId);
      }
    },
    openNote: noteId => {
      let tab = notes.get(noteId);
      if (tab === undefined || tab.isDisposed) {
        tab = new MainAreaWidget({ content: new NoteView(model, noteId) });
        tab.id = `kap-note-tab-${noteId}`;
        tab.title.icon = kapIcon;
        tab.content.title.changed.connect(() => tab && (tab.title.label = tab.content.title.label));
        notes.set(noteId, tab);
        app.shell.add(tab, 'main');
      }
      app.shell.activateById(tab.id);
    },
    openPath: async path => {
      await app.commands.execute('docmanager:open', { path });
    },
    unlock: async () => {
      await unlock();
    }
  };
  const panel = new KapPanel(model, host);
  app.shell.add(panel, 'left', { rank: 50 });
  app.commands.addCommand(OPEN_PANEL, {
    label: 'KAP Panel (Patients, My Day)',
    caption: 'Find a patient, see what waits for you today',
    execute: () => app.shell.activateById(PANEL_ID)
  });
  app.commands.addCommand(OPEN_QUEUE, {
    label: 'Review Queue',
    caption: 'Signed notes waiting for your co-signature (patient, therapist, preview)',
    isEnabled: () => model.unlocked,
    execute: () => host.openQueue()
  });
  return panel;
}
