import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { DEFAULT_SETTINGS } from '../src/settings';

// build-test/test/ → labextension/
const schemaPath = join(__dirname, '..', '..', 'schema', 'plugin.json');
const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as {
  properties: Record<string, { title: string; description: string; default: number }>;
  'jupyter.lab.menus': { main: Array<{ items: Array<{ command?: string }> }> };
};

describe('settings schema', () => {
  it('has the same defaults as the front end', () => {
    const p = schema.properties;
    assert.deepEqual(
      {
        auto_lock_minutes: p.autoLockMinutes.default,
        systolic_alert_mmhg: p.systolicAlertMmHg.default,
        diastolic_alert_mmhg: p.diastolicAlertMmHg.default,
        spo2_alert_below_percent: p.spo2AlertBelowPercent.default
      },
      DEFAULT_SETTINGS
    );
  });

  it('labels alert thresholds as clinic settings, not clinical advice', () => {
    for (const key of ['systolicAlertMmHg', 'diastolicAlertMmHg', 'spo2AlertBelowPercent']) {
      const { title, description } = schema.properties[key];
      assert.match(title, /^Clinic setting:/, key);
      assert.match(description, /Clinic setting: flags for review only, not clinical advice/, key);
    }
  });

  it('puts every command in the KAP menu', () => {
    const commands = new Set(
      schema['jupyter.lab.menus'].main[0].items.map(item => item.command).filter(Boolean)
    );
    for (const id of ['unlock', 'lock', 'new-note', 'open-form', 'open-progress', 'open-review']) {
      assert.ok(commands.has(`kap-notes:${id}`), id);
    }
  });
});
