/**
 * What each launcher tile, menu item and panel action opens, as data: the KAP view a form tab
 * asks its kernel for, the kernel code that serves it, what a reload restores, and which
 * running form kernels no tab owns any more.
 * Pure module (no JupyterLab imports) so it is unit-tested under plain node.
 */

import { trans } from './i18n';

/** The kernelspec the Python package ships; `python3` is the fallback. */
export const KAP_KERNEL = 'kap-notes';
export const FALLBACK_KERNEL = 'python3';

/** The session type of a form tab's kernel (no notebook: the path names the tab, not a file). */
export const FORM_SESSION_TYPE = 'kap-form';
export const FORM_SESSION_PREFIX = 'kap-form-';

/** The kernel's comm target (kap_notes.widgets.host.COMM_TARGET). */
export const FORM_COMM_TARGET = 'kap-notes.form';

/** A session form, by its template name in `templates/forms/`. */
export type SessionForm = 'preparation' | 'intention' | 'dosing' | 'integration';

/** What a form tab shows: a new note, an existing note, or one of the two views. */
export type ViewSpec =
  | { kind: 'form'; form: SessionForm; patient?: string | null }
  | { kind: 'note'; note: string }
  | { kind: 'progress' }
  | { kind: 'review-queue' };

/** Everything a reload needs to bring a tab back (the layout restorer keeps it; no PHI). */
export interface IRestoreArgs {
  /** Names the tab and its kernel session (`kap-form-<key>`). */
  key: string;
  spec: ViewSpec;
  /** The note the form saves to, once its first autosave made one. */
  noteId: string | null;
}

/** What the kernel says over the comm (kap_notes.widgets.host.FormHost.state). */
export interface IHostState {
  model_id: string;
  kind: string | null;
  form: string | null;
  note_id: string | null;
}

export const SESSION_FORMS: ReadonlyArray<SessionForm> = [
  'preparation',
  'intention',
  'dosing',
  'integration'
];

/** A session form's title, translated. */
export function sessionTitle(form: SessionForm): string {
  return {
    preparation: trans.__('Preparation'),
    intention: trans.__('Intention'),
    dosing: trans.__('Dosing'),
    integration: trans.__('Integration')
  }[form];
}

/** The caption of a form's tile and menu item. */
function sessionCaption(form: SessionForm): string {
  return {
    preparation: trans.__('Document a preparation session (opens the Preparation form)'),
    intention: trans.__('Document an intention session (opens the Intention form)'),
    dosing: trans.__('Document a dosing session (opens the Dosing form)'),
    integration: trans.__('Document an integration session (opens the Integration form)')
  }[form];
}

export function isSessionForm(value: unknown): value is SessionForm {
  return typeof value === 'string' && (SESSION_FORMS as ReadonlyArray<string>).includes(value);
}

export interface ILaunchable {
  readonly title: string;
  readonly caption: string;
  readonly spec: ViewSpec;
}

export function sessionForm(form: SessionForm, patient?: string | null): ILaunchable {
  return {
    title: sessionTitle(form),
    caption: sessionCaption(form),
    spec: patient ? { kind: 'form', form, patient } : { kind: 'form', form }
  };
}

// Getters: the strings are translated when read (after the plugin set the translator).
export const PROGRESS: ILaunchable = {
  get title() {
    return trans.__('Patient progress');
  },
  get caption() {
    return trans.__("Open a patient's compiled progress notebook (charts, tables, timeline)");
  },
  spec: { kind: 'progress' }
};

export const REVIEW_QUEUE: ILaunchable = {
  get title() {
    return trans.__('Review queue');
  },
  get caption() {
    return trans.__('Signed notes waiting for your co-signature');
  },
  spec: { kind: 'review-queue' }
};

/** The kernel to start: `kap-notes` when installed, else `python3`, else the server default. */
export function chooseKernel(available: ReadonlyArray<string>, serverDefault: string): string {
  if (available.includes(KAP_KERNEL)) {
    return KAP_KERNEL;
  }
  if (available.includes(FALLBACK_KERNEL)) {
    return FALLBACK_KERNEL;
  }
  return serverDefault;
}

/**
 * The code a new form kernel runs, silently (no cell, no output): build the view and wait for
 * the tab's comm. The spec travels as a JSON string literal (valid Python too).
 */
export function serveCode(spec: ViewSpec): string {
  return `import kap_notes.widgets.host as _kap_host\n_kap_host.serve(${JSON.stringify(JSON.stringify(spec))})`;
}

/**
 * What a new kernel serves for a tab brought back by a reload whose kernel is gone (a server
 * restart): the autosaved note if there is one, else what the tab first asked for.
 */
export function restoreSpec(args: IRestoreArgs): ViewSpec {
  return args.noteId ? { kind: 'note', note: args.noteId } : args.spec;
}

/** The tab's label: the form's title, or the view's. */
export function viewTitle(spec: ViewSpec, form?: string | null): string {
  const name = form ?? (spec.kind === 'form' ? spec.form : null);
  if (isSessionForm(name)) {
    return sessionTitle(name);
  }
  if (spec.kind === 'progress') {
    return PROGRESS.title;
  }
  if (spec.kind === 'review-queue') {
    return REVIEW_QUEUE.title;
  }
  return trans.__('KAP note');
}

export function sessionPath(key: string): string {
  return `${FORM_SESSION_PREFIX}${key}`;
}

/** The restore args a tab reported, checked (a workspace file may hold anything). */
export function parseRestoreArgs(value: unknown): IRestoreArgs | null {
  if (typeof value !== 'object' || value === null) {
    return null;
  }
  const raw = value as Record<string, unknown>;
  const spec = raw.spec as Record<string, unknown> | undefined;
  if (typeof raw.key !== 'string' || !/^[A-Za-z0-9-]+$/.test(raw.key) || !spec) {
    return null;
  }
  const noteId = typeof raw.noteId === 'string' && raw.noteId ? raw.noteId : null;
  let parsed: ViewSpec | null = null;
  if (spec.kind === 'form' && isSessionForm(spec.form)) {
    const patient = typeof spec.patient === 'string' ? spec.patient : null;
    parsed = sessionForm(spec.form, patient).spec;
  } else if (spec.kind === 'note' && typeof spec.note === 'string' && spec.note) {
    parsed = { kind: 'note', note: spec.note };
  } else if (spec.kind === 'progress' || spec.kind === 'review-queue') {
    parsed = { kind: spec.kind };
  }
  return parsed ? { key: raw.key, spec: parsed, noteId } : null;
}

/** A running session as the sessions API lists it (only what the sweep reads). */
export interface IRunningSession {
  id: string;
  path: string;
  type: string;
  kernel?: { connections?: number } | null;
}

/**
 * Form sessions to shut down: no tab here owns them and no browser is connected to their
 * kernel (a tab closed by a reload whose layout no longer has it). Live kernels = open forms.
 * jupyter_server can count a kernel's connections below zero (seen as -1 after a page reload
 * closed a connection twice): that is no connection too.
 */
export function orphanSessions(
  sessions: ReadonlyArray<IRunningSession>,
  ownedPaths: ReadonlySet<string>
): IRunningSession[] {
  return sessions.filter(
    s =>
      s.type === FORM_SESSION_TYPE &&
      s.path.startsWith(FORM_SESSION_PREFIX) &&
      !ownedPaths.has(s.path) &&
      (s.kernel?.connections ?? 0) <= 0
  );
}

/**
 * Form sessions other browser windows of this JupyterLab hold (their tabs' and their spare's),
 * from what each window last wrote to the browser's storage: entries `OWNED_PREFIX + window`
 * holding `{at, paths}`. A window silent for longer than `maxAgeMs` (closed without saying
 * so) holds nothing. Its own entry and malformed ones are skipped. Paths only: no PHI.
 */
export function ownedElsewhere(
  entries: ReadonlyArray<[string, string | null]>,
  self: string,
  now: number,
  maxAgeMs: number
): Set<string> {
  const owned = new Set<string>();
  for (const [key, value] of entries) {
    if (!key.startsWith(OWNED_PREFIX) || key === OWNED_PREFIX + self || value === null) {
      continue;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      continue;
    }
    const entry = parsed as { at?: unknown; paths?: unknown };
    if (typeof entry.at !== 'number' || !Array.isArray(entry.paths) || now - entry.at > maxAgeMs) {
      continue;
    }
    for (const path of entry.paths) {
      if (typeof path === 'string' && path.startsWith(FORM_SESSION_PREFIX)) {
        owned.add(path);
      }
    }
  }
  return owned;
}

/** The browser-storage key prefix under which each window lists the form sessions it holds. */
export const OWNED_PREFIX = 'kap-notes:form-sessions:';

/** The idle pause (ms) after which the field being typed in is synced to the kernel. */
export const IDLE_SYNC_MS = 1000;
/** How long closing a tab waits for the kernel's last save before asking. */
export const FLUSH_TIMEOUT_MS = 8000;
