/**
 * What each launcher tile opens, and the notebook it writes.
 * Pure module (no JupyterLab imports) so it is unit-tested under plain node.
 */

/** The folder (relative to the server root) where form notebooks are created. */
export const FORMS_DIR = 'kap-forms';

/** The kernelspec the Python package ships; `python3` is the fallback. */
export const KAP_KERNEL = 'kap-notes';
export const FALLBACK_KERNEL = 'python3';

/** A session form, by its template name in `templates/forms/`. */
export type SessionForm = 'preparation' | 'intention' | 'dosing' | 'integration';

export interface ILaunchable {
  /** Value of `metadata.kap_notes.form` and stem of the notebook file name. */
  readonly form: string;
  /** Launcher tile label. */
  readonly title: string;
  readonly caption: string;
  /** The one code cell, executed as soon as the notebook opens. */
  readonly source: string;
}

export const SESSION_FORMS: ReadonlyArray<SessionForm> = [
  'preparation',
  'intention',
  'dosing',
  'integration'
];

const SESSION_TITLES: Record<SessionForm, string> = {
  preparation: 'Preparation',
  intention: 'Intention',
  dosing: 'Dosing',
  integration: 'Integration'
};

export function isSessionForm(value: unknown): value is SessionForm {
  return typeof value === 'string' && (SESSION_FORMS as ReadonlyArray<string>).includes(value);
}

export function sessionForm(form: SessionForm): ILaunchable {
  const title = SESSION_TITLES[form];
  return {
    form,
    title,
    caption: `Document a ${title.toLowerCase()} session (opens the ${title} form)`,
    source: `from kap_notes import open_form\nopen_form(${JSON.stringify(form)})`
  };
}

export const PROGRESS: ILaunchable = {
  form: 'progress',
  title: 'Patient progress',
  caption: "Open a patient's compiled progress notebook (charts, tables, timeline)",
  source: 'from kap_notes import open_progress\nopen_progress()'
};

export const REVIEW_QUEUE: ILaunchable = {
  form: 'review-queue',
  title: 'Review queue',
  caption: 'Signed notes waiting for your co-signature',
  source: 'from kap_notes import open_review_queue\nopen_review_queue()'
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

/** A free file name `kap-forms/dosing.ipynb`, `kap-forms/dosing-2.ipynb`, ... given the folder's names. */
export function freeNotebookPath(form: string, existing: ReadonlyArray<string>): string {
  const taken = new Set(existing);
  for (let n = 1; ; n++) {
    const name = n === 1 ? `${form}.ipynb` : `${form}-${n}.ipynb`;
    if (!taken.has(name)) {
      return `${FORMS_DIR}/${name}`;
    }
  }
}

export interface IKernelChoice {
  name: string;
  display_name: string;
  language: string;
}

/**
 * The nbformat 4.5 notebook for a launchable: provenance in `metadata.kap_notes`
 * (`phi: true` marks it for the server's PHI-stripping pre-save hook), one code cell.
 */
export function formNotebook(item: ILaunchable, kernel: IKernelChoice): Record<string, unknown> {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: kernel,
      language_info: { name: kernel.language },
      kap_notes: { form: item.form, phi: true }
    },
    cells: [
      {
        cell_type: 'code',
        id: 'kap-form',
        metadata: { kap_notes: { launcher: true } },
        execution_count: null,
        outputs: [],
        source: item.source
      }
    ]
  };
}
