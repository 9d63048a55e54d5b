/**
 * The plugin's settings (schema/plugin.json) and the server's `settings` route.
 *
 * Auto-lock is each user's own setting, sent as JupyterLab has it. Clinic settings (the alert
 * thresholds) live in the vault, signed by an admin: the settings editor shows the vault's values
 * once unlocked, and a value the user changes there is sent to the vault (an admin's change is
 * signed as a new version; anyone else gets a clear 403 and the editor goes back to the vault's
 * values). Values JupyterLab merely holds are never pushed over the vault's.
 * Pure module (no JupyterLab imports) so it is unit-tested under plain node.
 */
import type { IClinicSettings } from './status';
import { trans } from './i18n';

export const DEFAULT_SETTINGS: IClinicSettings = {
  auto_lock_minutes: 15,
  systolic_alert_mmhg: 160,
  diastolic_alert_mmhg: 100,
  spo2_alert_below_percent: 92
};

/** The setting that is the user's own (not a clinic setting). */
export const AUTO_LOCK_KEY = 'autoLockMinutes';

/** JupyterLab setting key → the server's name, where camelCase → snake_case is not enough. */
const WIRE_NAMES: Record<string, string> = {
  autoLockMinutes: 'auto_lock_minutes',
  systolicAlertMmHg: 'systolic_alert_mmhg',
  diastolicAlertMmHg: 'diastolic_alert_mmhg',
  spo2AlertBelowPercent: 'spo2_alert_below_percent',
  maxDosingSessionsPer7Days: 'max_dosing_sessions_per_7_days'
};

/** The server's name of a JupyterLab setting key. */
export function wireName(key: string): string {
  return WIRE_NAMES[key] ?? key.replace(/[A-Z]/g, c => `_${c.toLowerCase()}`);
}

type Values = Record<string, unknown>;

function integer(value: unknown, fallback: number, min: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min ? value : fallback;
}

/** Map composite settings (camelCase keys) to the REST body, defaulting anything invalid. */
export function settingsPayload(composite: Values): IClinicSettings {
  const d = DEFAULT_SETTINGS;
  return {
    auto_lock_minutes: integer(composite.autoLockMinutes, d.auto_lock_minutes, 1),
    systolic_alert_mmhg: integer(composite.systolicAlertMmHg, d.systolic_alert_mmhg, 1),
    diastolic_alert_mmhg: integer(composite.diastolicAlertMmHg, d.diastolic_alert_mmhg, 1),
    spo2_alert_below_percent: integer(
      composite.spo2AlertBelowPercent,
      d.spo2_alert_below_percent,
      1
    )
  };
}

/**
 * The `POST settings` body for a change of the settings from `previous` to `current`: auto-lock
 * always; a clinic setting only when the user changed it here and it differs from the vault's
 * value (`vault`, server names; null while unknown, e.g. locked).
 */
export function settingsBody(previous: Values, current: Values, vault: Values | null): Values {
  const body: Values = {
    [wireName(AUTO_LOCK_KEY)]: integer(
      current[AUTO_LOCK_KEY],
      DEFAULT_SETTINGS.auto_lock_minutes,
      1
    )
  };
  for (const [key, value] of Object.entries(current)) {
    if (key === AUTO_LOCK_KEY || value === previous[key]) {
      continue;
    }
    const name = wireName(key);
    if (vault === null || vault[name] !== value) {
      body[name] = value;
    }
  }
  return body;
}

/** True when `body` asks to change clinic settings (not only this user's auto-lock). */
export function changesClinicSettings(body: Values): boolean {
  return Object.keys(body).some(name => name !== wireName(AUTO_LOCK_KEY));
}

/**
 * The settings editor values (JupyterLab keys) that differ from the vault's: setting them shows
 * the vault's clinic settings in JupyterLab. Keys the vault does not have are left alone.
 */
export function registryUpdates(composite: Values, vault: Values): Values {
  const updates: Values = {};
  for (const [key, value] of Object.entries(composite)) {
    const name = wireName(key);
    if (key !== AUTO_LOCK_KEY && name in vault && vault[name] !== value) {
      updates[key] = vault[name];
    }
  }
  return updates;
}

/** `GET /kap-notes/api/settings`: the vault's clinic settings. */
export interface IClinicSettingsInfo {
  values: Values;
  version: number;
  changed_by: string | null;
  changed_at: string | null;
  may_change: boolean;
}

/** The settings in `data`, or null when it does not have the contract's shape. */
export function parseClinicSettings(data: unknown): IClinicSettingsInfo | null {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return null;
  }
  const { values, version, changed_by, changed_at, may_change } = data as Values;
  const text = (v: unknown): v is string | null => v === null || typeof v === 'string';
  if (
    typeof values !== 'object' ||
    values === null ||
    Array.isArray(values) ||
    typeof version !== 'number' ||
    !text(changed_by) ||
    !text(changed_at)
  ) {
    return null;
  }
  return {
    values: { ...(values as Values) },
    version,
    changed_by,
    changed_at,
    may_change: may_change === true
  };
}

/** What the user is told when the vault refused their change of clinic settings. */
export function refusalMessage(serverMessage: string): string {
  return trans.__(
    '%1\n\nNothing was changed. While the vault is unlocked, the settings editor ' +
      'shows the clinic settings kept in the vault. Clinic settings flag values for review only; ' +
      'they are not clinical advice.',
    serverMessage
  );
}
