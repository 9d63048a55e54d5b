/**
 * The KAP panel in JupyterLab's left side bar: find a patient by name, chart code or date of
 * birth; "My day" for the unlocked user; a patient's notes with their status and the actions
 * that fit (continue, revise, add addendum, view, discard draft), a new note of each type, the
 * progress notebook and the PDF export. Supervisors open the review queue from here.
 *
 * Forms open through the form commands (`kap-notes:open-form`, `kap-notes:open-note`); everything
 * else calls the server's operations directly — no notebook, no kernel, no Python on screen.
 * The panel refreshes itself: after a form tab saves, signs, discards or closes (`formActivity`),
 * after a co-sign or return in the review queue, and whenever it is shown again.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget, Notification } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { button, element, message } from './dom';
import { formActivity } from './formwidget';
import { kapIcon } from './icons';
import { OPEN_OUTCOMES } from './outcomes';
import { PatientView } from './patientview';
import { NoteView, ReviewQueueView } from './queueview';
import { VaultModel } from './vault';
import {
  dayActionLabel,
  dayCount,
  dayItemCall,
  ICommandCall,
  IDayItem,
  IDaySection,
  IPatientHit,
  noteLine,
  parseMyDay,
  parsePatients,
  patientLine
} from './worklist';
import { trans } from './i18n';

export const PANEL_ID = 'kap-notes-panel';
export const OPEN_PANEL = 'kap-notes:open-panel';
export const OPEN_QUEUE = 'kap-notes:review-queue';
const SEARCH_DELAY_MS = 250;
/** Writes come in bursts (autosave, then sign): one refresh after the burst. */
export const REFRESH_DELAY_MS = 400;

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
    this.title.caption = trans.__('KAP: patients, My day, review queue');
    this.node.setAttribute('aria-label', trans.__('KAP panel'));
    const heading = element('h2', 'kap-Panel-heading', trans.__('KAP notes'));
    this._status = element('p', 'kap-Panel-status');
    this._status.setAttribute('role', 'status');
    this._status.setAttribute('aria-live', 'polite');
    const search = element('form', 'kap-Panel-search');
    search.setAttribute('role', 'search');
    search.addEventListener('submit', event => {
      event.preventDefault();
      void this.search();
    });
    const label = element('label', 'kap-Panel-searchLabel', trans.__('Find a patient'));
    label.htmlFor = 'kap-panel-search';
    this._query = element('input', 'jp-mod-styled kap-Panel-query');
    this._query.id = 'kap-panel-search';
    this._query.type = 'search';
    this._query.placeholder = trans.__('Name, chart code or date of birth');
    this._query.addEventListener('input', () => this._searchSoon());
    search.append(label, this._query);
    const refresh = button(
      trans.__('Refresh'),
      'kap-Panel-refresh',
      trans.__('Refresh patients and My day')
    );
    refresh.addEventListener('click', () => void this.refresh());
    this._queue = button(
      trans.__('Review queue'),
      'kap-Panel-queue',
      trans.__('Open the review queue')
    );
    this._queue.addEventListener('click', () => void host.openQueue());
    this._outcomes = button(
      trans.__('Clinic outcomes'),
      'kap-Panel-outcomes',
      trans.__('Open the clinic outcomes notebook (de-identified)')
    );
    this._outcomes.addEventListener('click', () => void host.run({ id: OPEN_OUTCOMES, args: {} }));
    this._outcomes.hidden = true; // shown to supervisors and admins once My day loads
    const bar = element('div', 'kap-Panel-tools');
    bar.append(refresh, this._queue, this._outcomes);
    this._unlock = button(trans.__('Unlock the vault'), 'jp-mod-accept');
    this._unlock.addEventListener('click', () => void host.unlock());
    this._results = element('section', 'kap-Panel-section kap-Panel-results');
    this._results.setAttribute('aria-label', trans.__('Patients'));
    this._day = element('section', 'kap-Panel-section kap-Panel-day');
    this._day.setAttribute('aria-label', trans.__('My day'));
    const patientNode = element('section', 'kap-Panel-section kap-Panel-patient');
    patientNode.setAttribute('aria-label', trans.__('Patient'));
    this._patient = new PatientView(
      model,
      {
        run: call => host.run(call),
        openNote: noteId => host.openNote(noteId),
        openPath: path => host.openPath(path),
        closed: () => this._showHome(true),
        changed: () => void this.refresh(),
        say: text => (this._status.textContent = text)
      },
      patientNode
    );
    this.node.append(
      heading,
      this._status,
      this._unlock,
      search,
      bar,
      patientNode,
      this._results,
      this._day
    );
    model.changed.connect(this._onVaultChanged, this);
    formActivity.connect(this.refreshSoon, this);
    this._onVaultChanged();
  }

  override dispose(): void {
    this.model.changed.disconnect(this._onVaultChanged, this);
    formActivity.disconnect(this.refreshSoon, this);
    window.clearTimeout(this._refreshTimer);
    super.dispose();
  }

  /** Refresh shortly (a burst of changes gives one refresh); a hidden panel refreshes when it
   * is shown again. */
  refreshSoon(): void {
    window.clearTimeout(this._refreshTimer);
    this._refreshTimer = window.setTimeout(() => {
      if (this.isVisible) {
        void this.refresh();
      }
    }, REFRESH_DELAY_MS);
  }

  /** Load My day, the patient list and the open patient again. */
  async refresh(): Promise<void> {
    if (!this.model.unlocked) {
      this._showLocked();
      return;
    }
    this._status.textContent = '';
    const open = this._patient.patientId;
    await Promise.all([
      this.loadDay(),
      this.search(),
      open ? this._patient.open(open) : Promise.resolve()
    ]);
  }

  /** Patients whose name, chart code or date of birth contain the words typed (only the
   * answer to the latest search is shown). */
  async search(): Promise<void> {
    if (!this.model.unlocked) {
      return;
    }
    const query = this._query.value.trim();
    const asked = ++this._searches;
    try {
      const found = parsePatients(await this.model.client.operation('find_patients', { query }));
      if (asked === this._searches) {
        this._renderResults(found, query);
      }
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
      this._outcomes.hidden = day.role !== 'supervisor' && day.role !== 'admin';
      this._renderDay(day.sections, dayCount(day), day.today);
    } catch (error) {
      this._day.replaceChildren(element('p', 'kap-Panel-error', message(error)));
    }
  }

  /** Show one patient's notes in the panel (in place of the patient list and My day). */
  async openPatient(patientId: string): Promise<void> {
    this._showHome(false);
    await this._patient.open(patientId);
  }

  protected override onAfterShow(): void {
    void this.refresh();
  }

  private _showHome(shown: boolean): void {
    this._results.hidden = !shown;
    this._day.hidden = !shown;
  }

  private _onVaultChanged(): void {
    const status = this.model.status;
    const user = status?.unlocked ? status.user : null;
    this._unlock.hidden = user !== null;
    if (user === this._user) {
      return;
    }
    this._user = user;
    this._patient.close();
    this._query.value = '';
    this._showHome(true);
    if (user !== null) {
      void this.refresh();
    } else {
      this._showLocked();
    }
  }

  private _showLocked(): void {
    this._status.textContent = trans.__(
      'The vault is locked: unlock it to see your patients and notes.'
    );
    this._queue.hidden = true;
    this._outcomes.hidden = true;
    this._results.replaceChildren();
    this._day.replaceChildren();
    this._patient.close();
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
    const title = query ? trans.__('Patients matching “%1”', query) : trans.__('Your patients');
    const heading = element('h3', 'kap-Panel-subheading', title);
    if (found.length === 0) {
      const none = query ? trans.__('No patient matches.') : trans.__('No patients yet.');
      this._results.replaceChildren(heading, element('p', 'kap-Panel-empty', none));
      return;
    }
    const list = element('ul', 'kap-Panel-list');
    for (const patient of found) {
      const item = element('li', 'kap-Panel-item');
      const open = element('button', 'kap-Panel-patientButton');
      open.type = 'button';
      open.append(element('span', 'kap-Panel-name', patientLine(patient)));
      if (patient.therapist) {
        open.append(
          element('span', 'kap-Panel-meta', trans.__('Therapist: %1', patient.therapist))
        );
      }
      open.addEventListener('click', () => void this.openPatient(patient.patient_id));
      item.append(open);
      list.append(item);
    }
    this._results.replaceChildren(heading, list);
  }

  private _renderDay(sections: IDaySection[], total: number, today: string): void {
    const parts: HTMLElement[] = [
      element('h3', 'kap-Panel-subheading', trans.__('My day (%1)', today))
    ];
    if (total === 0) {
      parts.push(element('p', 'kap-Panel-empty', trans.__('Nothing waits for you.')));
    }
    for (const section of sections.filter(s => s.items.length > 0)) {
      const block = element('div', `kap-Day-section kap-Day-${section.key}`);
      const list = element('ul', 'kap-Panel-list');
      list.append(...section.items.map(item => this._dayItem(item)));
      block.append(
        element('h4', 'kap-Day-title', trans.__('%1 (%2)', section.title, section.items.length)),
        list
      );
      parts.push(block);
    }
    this._day.replaceChildren(...parts);
  }

  private _dayItem(item: IDayItem): HTMLElement {
    const overdue = item.overdue ? ' kap-mod-overdue' : '';
    const li = element('li', `kap-Panel-item kap-Day-item${overdue}`);
    const who = trans.__('%1 · %2', item.patient_name, item.chart_code);
    const text = element('div', 'kap-Day-text');
    text.append(
      element('span', 'kap-Panel-name', who),
      element('span', 'kap-Panel-meta', noteLine(item)),
      element('span', 'kap-Panel-detail', item.detail)
    );
    const label = dayActionLabel(item);
    const act = button(label, 'kap-Day-action', trans.__('%1: %2, %3', label, who, noteLine(item)));
    act.addEventListener('click', () => {
      const call = dayItemCall(item);
      void (call === 'queue' ? this.host.openQueue(item.note_id) : this.host.run(call));
    });
    const notes = button(trans.__('Notes'), 'kap-Day-patient', trans.__('Notes of %1', who));
    notes.addEventListener('click', () => void this.openPatient(item.patient_id));
    li.append(text, act, notes);
    return li;
  }

  private _status: HTMLElement;
  private _query: HTMLInputElement;
  private _results: HTMLElement;
  private _day: HTMLElement;
  private _patient: PatientView;
  private _unlock: HTMLButtonElement;
  private _queue: HTMLButtonElement;
  private _outcomes: HTMLButtonElement;
  private _user: string | null | undefined = undefined;
  private _timer: number | null = null;
  private _refreshTimer = 0;
  private _searches = 0;
}

/** Add the panel to the left side bar and its commands (open the panel, the review queue). */
export function setUpPanel(
  app: JupyterFrontEnd,
  model: VaultModel,
  unlock: () => Promise<boolean>
): KapPanel {
  let queue: MainAreaWidget<ReviewQueueView> | null = null;
  const notes = new Map<string, MainAreaWidget<NoteView>>();
  const host: IPanelHost = {
    run: async call => {
      if (!app.commands.hasCommand(call.id)) {
        Notification.warning(
          trans.__('This JupyterLab has no command %1; update kap-notes.', call.id),
          {
            autoClose: 8000
          }
        );
        return;
      }
      await app.commands.execute(call.id, call.args);
    },
    openQueue: async noteId => {
      if (queue === null || queue.isDisposed) {
        const content = new ReviewQueueView(model);
        content.changed = () => panel.refreshSoon();
        queue = new MainAreaWidget({ content });
        queue.id = 'kap-review-queue-tab';
        queue.title.label = trans.__('Review queue');
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
        tab.content.node.tabIndex = 0; // a scrolling read-only note: reachable by keyboard
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
    label: trans.__('KAP Panel (Patients, My Day)'),
    caption: trans.__('Find a patient, see what waits for you today'),
    execute: () => app.shell.activateById(PANEL_ID)
  });
  app.commands.addCommand(OPEN_QUEUE, {
    label: trans.__('Review Queue'),
    caption: trans.__('Signed notes waiting for your co-signature (patient, therapist, preview)'),
    execute: async () => {
      if (await unlock()) {
        await host.openQueue();
      }
    }
  });
  return panel;
}
