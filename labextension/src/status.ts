/**
 * The vault status the server reports, and how the status bar words it.
 * Pure module (no JupyterLab imports) so it is unit-tested under plain node.
 */

/** `GET /kap-notes/api/status` (and the answer of every POST). */
export interface IVaultStatus {
  unlocked: boolean;
  user: string | null;
  role: string | null;
  auto_lock_minutes: number;
  seconds_to_lock: number | null;
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
  return { unlocked, user, role, auto_lock_minutes, seconds_to_lock };
}

/** Whole minutes until auto-lock, rounded up ("locks in 1 min" for the last minute). */
export function minutesToLock(secondsToLock: number): number {
  return Math.max(1, Math.ceil(secondsToLock / 60));
}

/** The status bar text: "KAP: locked" or "KAP: tess · locks in 12 min". */
export function statusText(status: IVaultStatus | null, unreachable = false): string {
  if (status === null) {
    return unreachable ? 'KAP: unavailable' : 'KAP: …';
  }
  if (!status.unlocked) {
    return 'KAP: locked';
  }
  const who = status.user ?? 'unlocked';
  if (status.seconds_to_lock === null) {
    return `KAP: ${who}`;
  }
  return `KAP: ${who} · locks in ${minutesToLock(status.seconds_to_lock)} min`;
}

/** The status bar tooltip: what clicking the item does. */
export function statusTitle(status: IVaultStatus | null, problem: string | null): string {
  if (problem !== null) {
    return problem;
  }
  if (status === null || !status.unlocked) {
    return 'The KAP vault is locked. Click to unlock.';
  }
  const role = status.role === null ? '' : ` (${status.role})`;
  return (
    `Unlocked as ${status.user ?? 'unknown user'}${role}; ` +
    `locks after ${status.auto_lock_minutes} min without activity. Click to lock now.`
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
