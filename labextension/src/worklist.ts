/**
 * What the KAP panel and the review queue show: the answers of the `find_patients`,
 * `patient_notes`, `my_day` and `review_queue` operations, checked, and how they are worded.
 * Pure module (no JupyterLab imports) so it is unit-tested under plain node.
 */

import { trans } from './i18n';

export interface IPatientHit {
  patient_id: string;
  name: string;
  chart_code: string;
  date_of_birth: string;
  therapist: string;
}

export type NoteAction = 'continue' | 'revise' | 'addendum' | 'view' | 'discard';

export interface INoteRow {
  note_id: string;
  version: number;
  form: string;
  title: string;
  status: string;
  session_date: string | null;
  started: string;
  updated: string;
  signed: string;
  author: string;
  author_label: string;
  addenda: number;
  returned_comment: string;
  actions: NoteAction[];
}

export interface INewNote {
  form: string;
  title: string;
}

export interface IPatientNotes {
  patient: IPatientHit;
  notes: INoteRow[];
  new_notes: INewNote[];
  actions: string[];
}

export interface IDayItem {
  section: string;
  patient_id: string;
  chart_code: string;
  patient_name: string;
  note_id: string;
  version: number;
  form: string;
  title: string;
  session_date: string | null;
  detail: string;
  action: string;
  due: string;
  overdue: boolean;
}

export interface IDaySection {
  key: string;
  title: string;
  items: IDayItem[];
}

export interface IMyDay {
  user: string;
  role: string;
  today: string;
  sections: IDaySection[];
}

export interface IQueueItem {
  patient_id: string;
  note_id: string;
  version: number;
  form: string;
  session_date: string | null;
  author: string;
  signed_at: string;
  patient_name: string;
  chart_code: string;
  therapist: string;
  title: string;
  signed: string;
}

const NOTE_ACTIONS: readonly NoteAction[] = ['continue', 'revise', 'addendum', 'view', 'discard'];

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function optionalText(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function list(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}

function hit(item: Json): IPatientHit | null {
  if (typeof item.patient_id !== 'string' || item.patient_id.length === 0) {
    return null;
  }
  return {
    patient_id: item.patient_id,
    name: text(item.name),
    chart_code: text(item.chart_code),
    date_of_birth: text(item.date_of_birth),
    therapist: text(item.therapist)
  };
}

/** The patients of a `find_patients` answer (entries without an id are dropped). */
export function parsePatients(data: unknown): IPatientHit[] {
  return list(data)
    .map(hit)
    .filter((h): h is IPatientHit => h !== null);
}

function noteRow(item: Json): INoteRow | null {
  if (typeof item.note_id !== 'string') {
    return null;
  }
  const actions = Array.isArray(item.actions)
    ? (item.actions.filter(a => (NOTE_ACTIONS as readonly unknown[]).includes(a)) as NoteAction[])
    : [];
  return {
    note_id: item.note_id,
    version: count(item.version),
    form: text(item.form),
    title: text(item.title) || text(item.form),
    status: text(item.status),
    session_date: optionalText(item.session_date),
    started: text(item.started),
    updated: text(item.updated),
    signed: text(item.signed),
    author: text(item.author),
    author_label: text(item.author_label) || text(item.author),
    addenda: count(item.addenda),
    returned_comment: text(item.returned_comment),
    actions
  };
}

/** A `patient_notes` answer, or null when it lacks the patient. */
export function parsePatientNotes(data: unknown): IPatientNotes | null {
  if (!isObject(data) || !isObject(data.patient)) {
    return null;
  }
  const patient = hit(data.patient);
  if (patient === null) {
    return null;
  }
  return {
    patient,
    notes: list(data.notes)
      .map(noteRow)
      .filter((n): n is INoteRow => n !== null),
    new_notes: list(data.new_notes)
      .filter(n => typeof n.form === 'string')
      .map(n => ({ form: text(n.form), title: text(n.title) || text(n.form) })),
    actions: Array.isArray(data.actions)
      ? data.actions.filter((a): a is string => typeof a === 'string')
      : []
  };
}

function dayItem(item: Json): IDayItem | null {
  if (typeof item.patient_id !== 'string' || typeof item.note_id !== 'string') {
    return null;
  }
  return {
    section: text(item.section),
    patient_id: item.patient_id,
    chart_code: text(item.chart_code),
    patient_name: text(item.patient_name),
    note_id: item.note_id,
    version: count(item.version),
    form: text(item.form),
    title: text(item.title) || text(item.form),
    session_date: optionalText(item.session_date),
    detail: text(item.detail),
    action: text(item.action),
    due: text(item.due),
    overdue: item.overdue === true
  };
}

/** A `my_day` answer, or null when it has no sections. */
export function parseMyDay(data: unknown): IMyDay | null {
  if (!isObject(data) || !Array.isArray(data.sections)) {
    return null;
  }
  return {
    user: text(data.user),
    role: text(data.role),
    today: text(data.today),
    sections: list(data.sections).map(s => ({
      key: text(s.key),
      title: text(s.title),
      items: list(s.items)
        .map(dayItem)
        .filter((i): i is IDayItem => i !== null)
    }))
  };
}

/** The rows of a `review_queue` answer. */
export function parseQueue(data: unknown): IQueueItem[] {
  const found: IQueueItem[] = [];
  for (const item of list(data)) {
    if (typeof item.note_id !== 'string' || typeof item.patient_id !== 'string') {
      continue;
    }
    found.push({
      patient_id: item.patient_id,
      note_id: item.note_id,
      version: count(item.version),
      form: text(item.form),
      session_date: optionalText(item.session_date),
      author: text(item.author),
      signed_at: text(item.signed_at),
      patient_name: text(item.patient_name),
      chart_code: text(item.chart_code),
      therapist: text(item.therapist) || text(item.author),
      title: text(item.title) || text(item.form),
      signed: text(item.signed) || text(item.signed_at)
    });
  }
  return found;
}

/** The button label of a note action. */
export function actionLabel(action: NoteAction): string {
  return {
    continue: trans.__('Continue'),
    revise: trans.__('Revise'),
    addendum: trans.__('Add addendum'),
    view: trans.__('View'),
    discard: trans.__('Discard draft')
  }[action];
}

/** A note's status as clinicians say it. */
export function statusLabel(status: string): string {
  const labels: Record<string, string> = {
    draft: trans.__('Draft'),
    signed: trans.__('Signed'),
    cosigned: trans.__('Co-signed'),
    returned: trans.__('Returned'),
    superseded: trans.__('Superseded')
  };
  return labels[status] ?? status;
}

/** "Jordan Lee · KAP-S00012 · born 1980-05-17" */
export function patientLine(patient: IPatientHit): string {
  const parts = [patient.name || trans.__('(no name)'), patient.chart_code];
  if (patient.date_of_birth) {
    parts.push(trans.__('born %1', patient.date_of_birth));
  }
  return parts.filter(p => p.length > 0).join(' · ');
}

/** "2026-01-19 · Dosing session" */
export function noteLine(row: { session_date: string | null; title: string }): string {
  return trans.__('%1 · %2', row.session_date ?? trans.__('no date'), row.title);
}

/** "Continue the dosing session of 2026-01-19" (a button's accessible name). */
export function actionName(action: NoteAction, row: INoteRow): string {
  return trans.__('%1: %2', actionLabel(action), noteLine(row));
}

/** Every item of My day. */
export function dayCount(day: IMyDay): number {
  return day.sections.reduce((n, s) => n + s.items.length, 0);
}

/** The therapists of a queue, sorted, each once. */
export function therapists(queue: readonly IQueueItem[]): string[] {
  return [...new Set(queue.map(q => q.therapist))].sort((a, b) => a.localeCompare(b));
}

/** The rows of one therapist ('' = everyone). */
export function filterQueue(queue: readonly IQueueItem[], therapist: string): IQueueItem[] {
  return therapist === '' ? [...queue] : queue.filter(q => q.therapist === therapist);
}

/** The review queue's column headers, translated. */
export function queueColumns(): string[] {
  return [
    trans.__('Patient'),
    trans.__('Chart code'),
    trans.__('Therapist'),
    trans.__('Note type'),
    trans.__('Session date'),
    trans.__('Signed')
  ];
}

/** The cells of one queue row, in queueColumns() order. */
export function queueCells(item: IQueueItem): string[] {
  return [
    item.patient_name,
    item.chart_code,
    item.therapist,
    item.title,
    item.session_date ?? '',
    item.signed
  ];
}

/** What a command call looks like: the panel runs `app.commands.execute(id, args)`. */
export interface ICommandCall {
  id: string;
  args: Record<string, string>;
}

export const OPEN_NOTE_COMMAND = 'kap-notes:open-note';
export const OPEN_FORM_COMMAND = 'kap-notes:open-form';

/** The form tab for a note (continue a draft; revise a returned note: the form starts or
 * reopens the revision), or for a new note of a patient. */
export function openNoteCall(noteId: string): ICommandCall {
  return { id: OPEN_NOTE_COMMAND, args: { noteId } };
}

export function newNoteCall(form: string, patientId: string): ICommandCall {
  return { id: OPEN_FORM_COMMAND, args: { form, patientId } };
}

/** What a My day item opens: its note, a new integration, or the queue (supervisors). */
export function dayItemCall(item: IDayItem): ICommandCall | 'queue' {
  if (item.action === 'review') {
    return 'queue';
  }
  if (item.action === 'integration') {
    return newNoteCall('integration', item.patient_id);
  }
  return openNoteCall(item.note_id);
}

/** The button label of a My day item. */
export function dayActionLabel(item: IDayItem): string {
  return (
    {
      continue: trans.__('Continue'),
      revise: trans.__('Revise'),
      integration: trans.__('New integration'),
      review: trans.__('Review')
    }[item.action] ?? trans.__('Open')
  );
}

/** The bytes of a base64 text (the PDF export). */
export function base64Bytes(data: string): Uint8Array {
  const binary = atob(data);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) {
    bytes[i] = binary.charCodeAt(i);
  }
  return bytes;
}
