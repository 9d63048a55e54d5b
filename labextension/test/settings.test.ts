// Pure-module tests, run with node's test runner: `jlpm test`.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';

import {
  changesClinicSettings,
  parseClinicSettings,
  registryUpdates,
  settingsBody,
  wireName
} from '../src/settings';

const editor = { autoLockMinutes: 15, systolicAlertMmHg: 160, diastolicAlertMmHg: 100 };

describe('clinic settings and the settings editor', () => {
  it('names settings the way the server does', () => {
    assert.equal(wireName('systolicAlertMmHg'), 'systolic_alert_mmhg');
    assert.equal(wireName('spo2AlertBelowPercent'), 'spo2_alert_below_percent');
    assert.equal(wireName('integrationMaxDaysAfterDosing'), 'integration_max_days_after_dosing');
    assert.equal(wireName('maxDosingSessionsPer7Days'), 'max_dosing_sessions_per_7_days');
    assert.equal(wireName('mgPerKgMaxEsketamineIn'), 'mg_per_kg_max_esketamine_in');
  });

  it('never pushes values JupyterLab merely holds over the vault', () => {
    // at start-up, and whenever only auto-lock changed: auto-lock alone
    const body = settingsBody(editor, { ...editor, autoLockMinutes: 5 }, null);
    assert.deepEqual(body, { auto_lock_minutes: 5 });
    assert.equal(changesClinicSettings(body), false);
  });

  it('sends a clinic setting the user changed, unless the vault already has it', () => {
    const changed = { ...editor, systolicAlertMmHg: 140 };
    const body = settingsBody(editor, changed, { systolic_alert_mmhg: 160 });
    assert.deepEqual(body, { auto_lock_minutes: 15, systolic_alert_mmhg: 140 });
    assert.equal(changesClinicSettings(body), true);
    // the editor brought to the vault's values (after unlock) sends nothing to the vault
    assert.deepEqual(settingsBody(editor, changed, { systolic_alert_mmhg: 140 }), {
      auto_lock_minutes: 15
    });
  });

  it('shows the vault values in the editor, leaving auto-lock and unknown keys alone', () => {
    const vault = { systolic_alert_mmhg: 140, diastolic_alert_mmhg: 100, auto_lock_minutes: 1 };
    assert.deepEqual(registryUpdates(editor, vault), { systolicAlertMmHg: 140 });
  });

  it('reads the GET settings answer and refuses other shapes', () => {
    const info = parseClinicSettings({
      values: { systolic_alert_mmhg: 140 },
      version: 1,
      changed_by: 'ada',
      changed_at: '2026-06-01T10:00:00+00:00',
      may_change: false
    });
    assert.equal(info?.version, 1);
    assert.equal(info?.values.systolic_alert_mmhg, 140);
    assert.equal(parseClinicSettings({ values: [], version: 1 }), null);
    assert.equal(parseClinicSettings('nope'), null);
  });
});
