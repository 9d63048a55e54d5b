/**
 * The review queue as a main-area tab (no notebook, no kernel): one row per signed note waiting
 * for the supervisor — patient, chart code, therapist, note type, session date, signed — a
 * therapist filter, and the chosen note's preview beside the rows (HTML from the `note_preview`
 * operation: the same renderer as the notebook and the PDF). Co-sign and Return ask for the
 * passphrase (./reauth). Also a read-only note tab for the panel's View.
 */
import { Notification, Sanitizer } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { button, element, message } from './dom';
import { confirmWithPassphrase } from './reauth';
import { VaultModel } from './vault';
import {
  filterQueue,
  IQueueItem,
  parseQueue,
  queueColumns,
  queueCells,
  therapists
} from './worklist';
import { trans } from './i18n';

const sanitizer = new Sanitizer();

/** Fill `target` with a note's preview (sanitised HTML of the `note_preview` operation). */
export async function showPreview(
  model: VaultModel,
  noteId: string,
  target: HTMLElement
): Promise<void> {
  try {
    const answer = (await model.client.operation('note_preview', { note_id: noteId })) as {
      html?: unknown;
    };
    target.innerHTML = sanitizer.sanitize(typeof answer.html === 'string' ? answer.html : '');
  } catch (error) {
    target.replaceChildren(
      element('p', 'kap-Panel-error', trans.__('Could not show the note: %1', message(error)))
    );
  }
}

/** A note, read-only, in its own tab. */
export class NoteView extends Widget {
  constructor(
    readonly model: VaultModel,
    readonly noteId: string
  ) {
    super();
    this.id = `kap-note-${noteId}`;
    this.addClass('kap-NoteView');
    this.title.label = trans.__('KAP note');
    this.title.closable = true;
    this._body = element('article', 'kap-Preview');
    this.node.append(this._body);
    void this.refresh();
  }

  async refresh(): Promise<void> {
    await showPreview(this.model, this.noteId, this._body);
    const heading = this._body.querySelector('.kap-preview-title');
    if (heading?.textContent) {
      this.title.label = heading.textContent;
    }
  }

  private _body: HTMLElement;
}

export class ReviewQueueView extends Widget {
  constructor(readonly model: VaultModel) {
    super();
    this.id = 'kap-review-queue';
    this.addClass('kap-Queue');
    this.title.label = trans.__('Review queue');
    this.title.closable = true;
    const heading = element(
      'h2',
      'kap-Queue-heading',
      trans.__('Notes waiting for your co-signature')
    );
    const filterLabel = element('label', 'kap-Queue-filter');
    filterLabel.append(document.createTextNode(`${trans.__('Therapist')} `));
    this._filter = element('select', 'jp-mod-styled kap-Queue-therapist');
    this._filter.addEventListener('change', () => this._renderRows());
    filterLabel.append(this._filter);
    const refresh = button(trans.__('Refresh'));
    refresh.addEventListener('click', () => void this.refresh());
    this._status = element('p', 'kap-Queue-status');
    this._status.setAttribute('role', 'status');
    this._status.setAttribute('aria-live', 'polite');
    const bar = element('div', 'kap-Queue-bar');
    bar.append(filterLabel, refresh, this._status);
    this._table = element('table', 'kap-Queue-table');
    this._table.setAttribute('aria-label', trans.__('Notes waiting for your co-signature'));
    const rows = element('div', 'kap-Queue-rows');
    rows.append(this._table);
    this._preview = element('article', 'kap-Preview kap-Queue-preview');
    this._preview.setAttribute('aria-label', trans.__('Note preview'));
    this._preview.append(
      element('p', 'kap-Panel-empty', trans.__('Choose a note to preview it here.'))
    );
    this._actions = element('div', 'kap-Queue-actions');
    const side = element('section', 'kap-Queue-side');
    side.append(this._actions, this._preview);
    const body = element('div', 'kap-Queue-body');
    body.append(rows, side);
    this.node.append(heading, bar, body);
  }

  /** Load the queue again (keeps the filter and the chosen note when still waiting). */
  async refresh(): Promise<void> {
    try {
      this._items = parseQueue(await this.model.client.operation('review_queue', {}));
    } catch (error) {
      this._items = [];
      this._status.textContent = trans.__('Could not load the queue: %1', message(error));
    }
    const chosen = this._filter.value;
    const options = ['', ...therapists(this._items)];
    this._filter.replaceChildren(
      ...options.map(t => {
        const option = document.createElement('option');
        option.value = t;
        option.textContent = t === '' ? trans.__('All therapists') : t;
        return option;
      })
    );
    this._filter.value = options.includes(chosen) ? chosen : '';
    this._renderRows();
    const still = this._items.find(i => i.note_id === this._selected);
    if (still === undefined) {
      this._selected = null;
      this._actions.replaceChildren();
    }
  }

  /** Show one note's preview (e.g. from My day). */
  async select(noteId: string): Promise<void> {
    const item = this._items.find(i => i.note_id === noteId);
    if (item === undefined) {
      return;
    }
    this._selected = noteId;
    this._renderRows();
    this._renderActions(item);
    await showPreview(this.model, noteId, this._preview);
    // below the table in a narrow tab: bring the preview and its actions into view
    this._actions.scrollIntoView?.({ block: 'nearest' });
  }

  private _renderRows(): void {
    const shown = filterQueue(this._items, this._filter.value);
    this._status.textContent = trans._n('%1 note waiting', '%1 notes waiting', shown.length);
    const head = element('thead', '');
    const headRow = element('tr', '');
    for (const column of queueColumns()) {
      const th = element('th', '', column);
      th.scope = 'col';
      headRow.append(th);
    }
    const actions = element('th', '');
    actions.scope = 'col';
    actions.append(element('span', 'kap-sr-only', trans.__('Actions'))); // named for screen readers
    headRow.append(actions);
    head.append(headRow);
    const body = element('tbody', '');
    for (const item of shown) {
      const row = element('tr', item.note_id === this._selected ? 'kap-mod-selected' : '');
      row.dataset.noteId = item.note_id;
      queueCells(item).forEach((cell, i) => row.append(element('td', `kap-Queue-col${i}`, cell)));
      const cell = element('td', '');
      const preview = button(trans.__('Preview'));
      preview.setAttribute(
        'aria-label',
        trans.__('Preview %1 of %2', item.title, item.patient_name)
      );
      preview.addEventListener('click', () => void this.select(item.note_id));
      cell.append(preview);
      row.append(cell);
      row.addEventListener('click', event => {
        if (!(event.target instanceof HTMLButtonElement)) {
          void this.select(item.note_id);
        }
      });
      body.append(row);
    }
    this._table.replaceChildren(head, body);
  }

  private _renderActions(item: IQueueItem): void {
    const cosign = button(trans.__('Co-sign'), 'jp-mod-accept');
    const back = button(trans.__('Return…'), 'jp-mod-reject');
    const who = trans.__('%1 of %2 (%3)', item.title, item.patient_name, item.chart_code);
    cosign.setAttribute('aria-label', trans.__('Co-sign %1', who));
    back.setAttribute('aria-label', trans.__('Return %1 to its author', who));
    cosign.addEventListener('click', () => void this._review(item, 'cosign'));
    back.addEventListener('click', () => void this._review(item, 'return'));
    this._actions.replaceChildren(cosign, back);
  }

  private async _review(item: IQueueItem, action: 'cosign' | 'return'): Promise<void> {
    const request = {
      action,
      chart_code: item.chart_code,
      form: item.form,
      session_date: item.session_date,
      text:
        action === 'return'
          ? { label: trans.__('What needs changing (sent to the author)'), value: '' }
          : undefined
    };
    try {
      const done = await confirmWithPassphrase(this.model, request, (passphrase, text) =>
        action === 'cosign'
          ? this.model.client.operation('cosign', { note_id: item.note_id, passphrase })
          : this.model.client.operation('return_note', {
              note_id: item.note_id,
              comment: text,
              passphrase
            })
      );
      if (done) {
        Notification.success(
          action === 'cosign'
            ? trans.__('Co-signed: %1 of %2.', item.title, item.patient_name)
            : trans.__('Returned to %1.', item.therapist),
          { autoClose: 5000 }
        );
        await this.refresh();
        this.changed();
      }
    } catch (error) {
      Notification.error(trans.__('Not done: %1', message(error)), { autoClose: 8000 });
    }
  }

  /** Called after a co-sign or return (the panel refreshes My day). */
  changed: () => void = () => undefined;

  private _items: IQueueItem[] = [];
  private _selected: string | null = null;
  private _filter: HTMLSelectElement;
  private _status: HTMLElement;
  private _table: HTMLTableElement;
  private _preview: HTMLElement;
  private _actions: HTMLElement;
}
