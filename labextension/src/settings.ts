/**
 * The plugin's settings (schema/plugin.json) as the server's `POST settings` body.
 * Pure module (no JupyterLab imports) so it is unit-tested under plain node.
 */
import type { IClinicSettings } from './status';

export const DEFAULT_SETTINGS: IClinicSettings = {
  auto_lock_minutes: 15,
  systolic_alert_mmhg: 160,
  diastolic_alert_mmhg: 100,
  spo2_alert_below_percent: 92
};

function integer(value: unknown, fallback: number, min: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min ? value : fallback;
}

/** Map composite settings (camelCase keys) to the REST body, defaulting anything invalid. */
export function settingsPayload(composite: Record<string, unknown>): IClinicSettings {
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
