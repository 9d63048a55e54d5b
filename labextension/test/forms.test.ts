import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';

import {
  chooseKernel,
  formNotebook,
  freeNotebookPath,
  isSessionForm,
  PROGRESS,
  REVIEW_QUEUE,
  SESSION_FORMS,
  sessionForm
} from '../src/forms';
import { DEFAULT_SETTINGS, settingsPayload } from '../src/settings';

describe('launchables', () => {
  it('session forms call open_form with their template name', () => {
    assert.deepEqual(SESSION_FORMS, ['preparation', 'intention', 'dosing', 'integration']);
    assert.equal(
      sessionForm('dosing').source,
      'from kap_notes import open_form\nopen_form("dosing")'
    );
    assert.equal(sessionForm('dosing').title, 'Dosing');
  });

  it('progress and review queue call their own entry points', () => {
    assert.equal(PROGRESS.source, 'from kap_notes import open_progress\nopen_progress()');
    assert.equal(
      REVIEW_QUEUE.source,
      'from kap_notes import open_review_queue\nopen_review_queue()'
    );
  });

  it('only known session forms are accepted', () => {
    assert.equal(isSessionForm('integration'), true);
    assert.equal(isSessionForm('process_note'), false);
    assert.equal(isSessionForm(undefined), false);
  });
});

describe('chooseKernel', () => {
  it('prefers kap-notes, then python3, then the server default', () => {
    assert.equal(chooseKernel(['python3', 'kap-notes'], 'python3'), 'kap-notes');
    assert.equal(chooseKernel(['python3'], 'python3'), 'python3');
    assert.equal(chooseKernel(['ir'], 'ir'), 'ir');
  });
});

describe('freeNotebookPath', () => {
  it('never overwrites an existing notebook', () => {
    assert.equal(freeNotebookPath('dosing', []), 'kap-forms/dosing.ipynb');
    assert.equal(
      freeNotebookPath('dosing', ['dosing.ipynb', 'dosing-2.ipynb', 'intention.ipynb']),
      'kap-forms/dosing-3.ipynb'
    );
  });
});

describe('formNotebook', () => {
  it('marks the notebook as a PHI form and holds one code cell', () => {
    const kernel = {
      name: 'kap-notes',
      display_name: 'KAP notes',
      language: 'python'
    };
    const nb = formNotebook(sessionForm('intention'), kernel) as {
      nbformat: number;
      nbformat_minor: number;
      metadata: Record<string, unknown>;
      cells: Array<Record<string, unknown>>;
    };
    assert.equal(nb.nbformat, 4);
    assert.equal(nb.nbformat_minor, 5);
    assert.deepEqual(nb.metadata.kap_notes, { form: 'intention', phi: true });
    assert.deepEqual(nb.metadata.kernelspec, kernel);
    assert.equal(nb.cells.length, 1);
    assert.equal(nb.cells[0].cell_type, 'code');
    assert.match(String(nb.cells[0].id), /^[a-zA-Z0-9-_]+$/);
    assert.deepEqual(nb.cells[0].outputs, []);
  });
});

describe('settingsPayload', () => {
  it('maps the schema keys to the REST body', () => {
    assert.deepEqual(
      settingsPayload({
        autoLockMinutes: 5,
        systolicAlertMmHg: 150,
        diastolicAlertMmHg: 95,
        spo2AlertBelowPercent: 90
      }),
      {
        auto_lock_minutes: 5,
        systolic_alert_mmhg: 150,
        diastolic_alert_mmhg: 95,
        spo2_alert_below_percent: 90
      }
    );
  });

  it('falls back to the defaults for missing or invalid values', () => {
    assert.deepEqual(settingsPayload({}), DEFAULT_SETTINGS);
    assert.deepEqual(settingsPayload({ autoLockMinutes: 0 }), DEFAULT_SETTINGS);
    assert.deepEqual(settingsPayload({ autoLockMinutes: 2.5 }), DEFAULT_SETTINGS);
  });
});
