/**
 * What a pending confirmation is and how its dialog words it.
 * Pure module (no JupyterLab imports) so it is unit-tested under plain node.
 *
 * A kernel asks the server to sign, add an addendum, co-sign or return a note WITHOUT the
 * passphrase; the server parks it and lists it at `GET /kap-notes/api/confirmations`. JupyterLab
 * asks the user and posts the passphrase to the server directly, so it never enters a kernel.
 */

import { trans } from './i18n';

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
  const kind = form.endsWith(' note') ? form : trans.__('%1 note', form);
  return item.session_date
    ? trans.__('the %1 of %2 (%3)', kind, item.chart_code, item.session_date.slice(0, 10))
    : trans.__('the %1 of %2', kind, item.chart_code);
}

/** The dialog's question, e.g. "Sign the dosing note of KAP-XXXX (2026-11-30)?" */
export function confirmationQuestion(item: IConfirmation): string {
  const note = noteLabel(item);
  switch (item.action) {
    case 'sign':
      return trans.__('Sign %1?', note);
    case 'addend':
      return trans.__('Add an addendum to %1?', note);
    case 'cosign':
      return trans.__('Co-sign %1?', note);
    case 'return':
      return trans.__('Return %1 to its author with your comment?', note);
  }
}

/** The label of the dialog's accept button. */
export function confirmLabel(action: ConfirmAction): string {
  return {
    sign: trans.__('Sign'),
    addend: trans.__('Add addendum'),
    cosign: trans.__('Co-sign'),
    return: trans.__('Return')
  }[action];
}
