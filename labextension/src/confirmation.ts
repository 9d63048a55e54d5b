/**
 * What a pending confirmation is and how its dialog words it.
 * Pure module (no JupyterLab imports) so it is unit-tested under plain node.
 *
 * A kernel asks the server to sign, add an addendum, co-sign or return a note WITHOUT the
 * passphrase; the server parks it and lists it at `GET /kap-notes/api/confirmations`. JupyterLab
 * asks the user and posts the passphrase to the server directly, so it never enters a kernel.
 */

export type ConfirmAction = 'sign' | 'addend' | 'cosign' | 'return';

/** One entry of `GET /kap-notes/api/confirmations`. */
export interface IConfirmation {
  id: string;
  action: ConfirmAction;
  chart_code: string;
  form: string;
  session_date: string | null;
  user: string;
}

const ACTIONS: readonly ConfirmAction[] = ['sign', 'addend', 'cosign', 'return'];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The waiting confirmations in `data`, skipping any entry without the contract's shape. */
export function parseConfirmations(data: unknown): IConfirmation[] {
  if (!isObject(data) || !Array.isArray(data.pending)) {
    return [];
  }
  const found: IConfirmation[] = [];
  for (const item of data.pending as unknown[]) {
    if (!isObject(item)) {
      continue;
    }
    const { id, action, chart_code, form, session_date, user } = item;
    if (
      typeof id === 'string' &&
      typeof action === 'string' &&
      (ACTIONS as readonly string[]).includes(action) &&
      typeof chart_code === 'string' &&
      typeof form === 'string' &&
      (session_date === null || session_date === undefined || typeof session_date === 'string') &&
      typeof user === 'string'
    ) {
      found.push({
        id,
        action: action as ConfirmAction,
        chart_code,
        form,
        session_date: (session_date as string | null | undefined) ?? null,
        user
      });
    }
  }
  return found;
}

/** "the dosing note of KAP-XXXX (2026-11-30)" */
export function noteLabel(item: IConfirmation): string {
  const form = item.form.replace(/-/g, ' ');
  const kind = form.endsWith(' note') ? form : `${form} note`;
  const date = item.session_date ? ` (${item.session_date.slice(0, 10)})` : '';
  return `the ${kind} of ${item.chart_code}${date}`;
}

/** The dialog's question, e.g. "Sign the dosing note of KAP-XXXX (2026-11-30)?" */
export function confirmationQuestion(item: IConfirmation): string {
  const note = noteLabel(item);
  switch (item.action) {
    case 'sign':
      return `Sign ${note}?`;
    case 'addend':
      return `Add an addendum to ${note}?`;
    case 'cosign':
      return `Co-sign ${note}?`;
    case 'return':
      return `Return ${note} to its author with your comment?`;
  }
}

/** The label of the dialog's accept button. */
export function confirmLabel(action: ConfirmAction): string {
  return { sign: 'Sign', addend: 'Add addendum', cosign: 'Co-sign', return: 'Return' }[action];
}
