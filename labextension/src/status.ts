/**
 * The vault status the server reports, and how the status bar words it.
 * Pure module (no JupyterLab imports) so it is unit-tested under plain node.
 */

import { trans } from './i18n';

/** `GET /kap-notes/api/status` (and the answer of every POST). */
export interface IVaultStatus {
  unlocked: boolean;
  user: string | null;
  role: string | null;
  auto_lock_minutes: number;
  seconds_to_lock: number | null;
  /** Told once after unlock: wrong passphrases, break-glass use on the user's patients. */
  notices?: string[];
  /** Wrong passphrases for this user since their last unlock. */
  failed_attempts?: number;
}

/** `POST /kap-notes/api/settings` body. */
export interface IClinicSettings {
  auto_lock_minutes: number;
  systolic_alert_mmhg: number;
  diastolic_alert_mmhg: number;
  spo2_alert_below_percent: number;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringOrNull(value: unknown): value is string | null {
  return value === null || typeof value === 'string';
}

function isNumberOrNull(value: unknown): value is number | null {
  return value === null || (typeof value === 'number' && Number.isFinite(value));
}

/** The status in `data`, or null when `data` does not have the contract's shape. */
export function parseStatus(data: unknown): IVaultStatus | null {
  if (!isObject(data)) {
    return null;
  }
  const { unlocked, user, role, auto_lock_minutes, seconds_to_lock } = data;
  if (
    typeof unlocked !== 'boolean' ||
    !isStringOrNull(user) ||
    !isStringOrNull(role) ||
    typeof auto_lock_minutes !== 'number' ||
    !isNumberOrNull(seconds_to_lock)
  ) {
    return null;
  }
  const status: IVaultStatus = { unlocked, user, role, auto_lock_minutes, seconds_to_lock };
  const { notices, failed_attempts } = data;
  if (notices !== undefined) {
    if (!Array.isArray(notices) || !notices.every(n => typeof n === 'string')) {
      return null;
    }
    status.notices = [...notices];
  }
  if (failed_attempts !== undefined) {
    if (typeof failed_attempts !== 'number' || !Number.isInteger(failed_attempts)) {
      return null;
    }
    status.failed_attempts = failed_attempts;
  }
  return status;
}

/**
 * What to tell the user once after an unlock (empty when nothing happened). `typedHere` is how
 * many wrong passphrases the user just typed in this unlock dialog: those are no news, so the
 * wrong-passphrase notice is dropped when they explain every failure, and annotated otherwise.
 */
export function unlockNotices(status: IVaultStatus, typedHere = 0): string[] {
  if (!status.unlocked) {
    return [];
  }
  const failed = status.failed_attempts ?? 0;
  // The server's notices are English; the one added here is translated.
  const own = trans._n(
    '%1 wrong passphrase since your last unlock.',
    '%1 wrong passphrases since your last unlock.',
    failed
  );
  const isFailures = (notice: string): boolean =>
    notice.includes('wrong passphrase') || notice === own;
  let notices = [...(status.notices ?? [])];
  if (failed > 0 && !notices.some(isFailures)) {
    notices.unshift(own);
  }
  if (typedHere > 0) {
    notices =
      failed <= typedHere
        ? notices.filter(n => !isFailures(n))
        : notices.map(n =>
            isFailures(n) ? trans.__('%1 (%2 of them typed here just now.)', n, typedHere) : n
          );
  }
  return notices;
}

/** True when the notices need a dialog to acknowledge (someone used break-glass access). */
export function needsAcknowledgement(notices: string[]): boolean {
  return notices.some(n => n.includes('break-glass'));
}

/** The title of the dialog that shows the unlock notices. */
export function noticesTitle(notices: string[]): string {
  return needsAcknowledgement(notices)
    ? trans.__('Emergency access to your patients')
    : trans.__('Since your last unlock');
}

/** Whole minutes until auto-lock, rounded up ("locks in 1 min" for the last minute). */
export function minutesToLock(secondsToLock: number): number {
  return Math.max(1, Math.ceil(secondsToLock / 60));
}

/** The status bar text: "KAP: locked" or "KAP: tess · locks in 12 min". */
export function statusText(status: IVaultStatus | null, unreachable = false): string {
  if (status === null) {
    return unreachable ? trans.__('KAP: unavailable') : trans.__('KAP: …');
  }
  if (!status.unlocked) {
    return trans.__('KAP: locked');
  }
  const who = status.user ?? trans.__('unlocked');
  if (status.seconds_to_lock === null) {
    return trans.__('KAP: %1', who);
  }
  return trans.__('KAP: %1 · locks in %2 min', who, minutesToLock(status.seconds_to_lock));
}

/** The status bar tooltip: what clicking the item does. */
export function statusTitle(status: IVaultStatus | null, problem: string | null): string {
  if (problem !== null) {
    return problem;
  }
  if (status === null || !status.unlocked) {
    return trans.__('The KAP vault is locked. Click to unlock.');
  }
  const who = status.user ?? trans.__('unknown user');
  const as = status.role === null ? who : trans.__('%1 (%2)', who, status.role);
  return trans.__(
    'Unlocked as %1; locks after %2 min without activity. Click to lock now.',
    as,
    status.auto_lock_minutes
  );
}

/** True when an unlocked vault became locked without the user asking (auto-lock). */
export function lockedBehindUsersBack(
  before: IVaultStatus | null,
  after: IVaultStatus,
  lockRequested: boolean
): boolean {
  return before !== null && before.unlocked && !after.unlocked && !lockRequested;
}
