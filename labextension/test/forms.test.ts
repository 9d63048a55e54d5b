import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';

import {
  chooseKernel,
  FORM_SESSION_TYPE,
  isSessionForm,
  orphanSessions,
  OWNED_PREFIX,
  ownedElsewhere,
  parseRestoreArgs,
  PROGRESS,
  restoreSpec,
  REVIEW_QUEUE,
  serveCode,
  SESSION_FORMS,
  sessionForm,
  sessionPath,
  viewTitle
} from '../src/forms';
import { DEFAULT_SETTINGS, settingsPayload } from '../src/settings';

describe('launchables', () => {
  it('session forms ask for a new note of their template, with the patient when given', () => {
    assert.deepEqual(SESSION_FORMS, ['preparation', 'intention', 'dosing', 'integration']);
    assert.deepEqual(sessionForm('dosing').spec, { kind: 'form', form: 'dosing' });
    assert.deepEqual(sessionForm('dosing', 'pt_1').spec, {
      kind: 'form',
      form: 'dosing',
      patient: 'pt_1'
    });
    assert.equal(sessionForm('dosing').title, 'Dosing');
  });

  it('progress and review queue are views of their own', () => {
    assert.deepEqual(PROGRESS.spec, { kind: 'progress' });
    assert.deepEqual(REVIEW_QUEUE.spec, { kind: 'review-queue' });
  });

  it('only known session forms are accepted', () => {
    assert.equal(isSessionForm('integration'), true);
    assert.equal(isSessionForm('process_note'), false);
    assert.equal(isSessionForm(undefined), false);
  });
});

describe('serveCode', () => {
  it('passes the spec as one JSON string literal (also a Python string literal)', () => {
    const code = serveCode({ kind: 'form', form: 'dosing', patient: 'pt_"x\\' });
    const lines = code.split('\n');
    assert.equal(lines[0], 'import kap_notes.widgets.host as _kap_host');
    const literal = /^_kap_host\.serve\((.*)\)$/.exec(lines[1]);
    assert.ok(literal);
    assert.deepEqual(JSON.parse(JSON.parse(literal[1])), {
      kind: 'form',
      form: 'dosing',
      patient: 'pt_"x\\'
    });
  });
});

describe('restore', () => {
  it('a tab whose kernel is gone reopens its autosaved note, else what it asked for', () => {
    const spec = sessionForm('dosing').spec;
    assert.deepEqual(restoreSpec({ key: 'k', spec, noteId: 'rec_1' }), {
      kind: 'note',
      note: 'rec_1'
    });
    assert.deepEqual(restoreSpec({ key: 'k', spec, noteId: null }), spec);
  });

  it('accepts only well-formed restore args', () => {
    const good = { key: 'ab-12', spec: { kind: 'form', form: 'intention' }, noteId: 'rec_2' };
    assert.deepEqual(parseRestoreArgs(good), good);
    assert.deepEqual(parseRestoreArgs({ ...good, noteId: '' }), { ...good, noteId: null });
    assert.equal(parseRestoreArgs({ ...good, key: '../x' }), null);
    assert.equal(parseRestoreArgs({ ...good, spec: { kind: 'form', form: 'bogus' } }), null);
    assert.equal(parseRestoreArgs({ ...good, spec: { kind: 'note' } }), null);
    assert.equal(parseRestoreArgs(null), null);
    assert.deepEqual(parseRestoreArgs({ key: 'k', spec: { kind: 'progress', x: 1 } }), {
      key: 'k',
      spec: { kind: 'progress' },
      noteId: null
    });
  });

  it('titles the tab by its form', () => {
    assert.equal(viewTitle(sessionForm('integration').spec), 'Integration');
    assert.equal(viewTitle({ kind: 'note', note: 'rec_1' }), 'KAP note');
    assert.equal(viewTitle({ kind: 'note', note: 'rec_1' }, 'dosing'), 'Dosing');
    assert.equal(viewTitle(REVIEW_QUEUE.spec), 'Review queue');
  });
});

describe('orphanSessions', () => {
  it('shuts down only form kernels no tab owns and no browser is connected to', () => {
    const form = (key: string, connections: number) => ({
      id: key,
      path: sessionPath(key),
      type: FORM_SESSION_TYPE,
      kernel: { connections }
    });
    const sessions = [
      form('owned', 0),
      form('orphan', 0),
      form('miscounted', -1),
      form('other-tab', 1),
      { id: 'nb', path: 'x.ipynb', type: 'notebook', kernel: { connections: 0 } }
    ];
    const orphans = orphanSessions(sessions, new Set([sessionPath('owned')]));
    assert.deepEqual(
      orphans.map(s => s.id),
      ['orphan', 'miscounted']
    );
  });
});

describe('chooseKernel', () => {
  it('prefers kap-notes, then python3, then the server default', () => {
    assert.equal(chooseKernel(['python3', 'kap-notes'], 'python3'), 'kap-notes');
    assert.equal(chooseKernel(['python3'], 'python3'), 'python3');
    assert.equal(chooseKernel(['ir'], 'ir'), 'ir');
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

describe('ownedElsewhere', () => {
  const path = (key: string): string => sessionPath(key);
  const entry = (at: number, paths: unknown[]): string => JSON.stringify({ at, paths });
  const now = 1_000_000;

  it("keeps what other live windows hold, never this window's own entry", () => {
    const entries: Array<[string, string | null]> = [
      [OWNED_PREFIX + 'w1', entry(now - 10, [path('a'), path('b')])],
      [OWNED_PREFIX + 'me', entry(now, [path('mine')])],
      ['unrelated', entry(now, [path('x')])]
    ];
    assert.deepEqual([...ownedElsewhere(entries, 'me', now, 60_000)].sort(), [
      path('a'),
      path('b')
    ]);
  });

  it('a window silent for too long (closed without saying so) holds nothing', () => {
    const entries: Array<[string, string | null]> = [
      [OWNED_PREFIX + 'old', entry(now - 60_001, [path('a')])],
      [OWNED_PREFIX + 'new', entry(now - 60_000, [path('b')])]
    ];
    assert.deepEqual([...ownedElsewhere(entries, 'me', now, 60_000)], [path('b')]);
  });

  it('malformed entries and paths outside the form sessions hold nothing', () => {
    const entries: Array<[string, string | null]> = [
      [OWNED_PREFIX + 'a', 'not json'],
      [OWNED_PREFIX + 'b', null],
      [OWNED_PREFIX + 'c', JSON.stringify({ at: 'now', paths: [path('x')] })],
      [OWNED_PREFIX + 'd', JSON.stringify({ at: now, paths: path('y') })],
      [OWNED_PREFIX + 'e', entry(now, ['notebooks/secret.ipynb', 7, path('z')])]
    ];
    assert.deepEqual([...ownedElsewhere(entries, 'me', now, 60_000)], [path('z')]);
  });
});
