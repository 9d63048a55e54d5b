// Pure-module tests of the KAP panel's logic (src/worklist.ts), run with node's test runner.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';

import {
  actionName,
  base64Bytes,
  dayActionLabel,
  dayCount,
  dayItemCall,
  filterQueue,
  IDayItem,
  newNoteCall,
  openNoteCall,
  parseMyDay,
  parsePatientNotes,
  parsePatients,
  parseQueue,
  patientLine,
  queueCells,
  queueColumns,
  statusLabel,
  therapists
} from '../src/worklist';

const jordan = {
  patient_id: 'pt_1',
  name: 'Jordan Lee',
  chart_code: 'KAP-S00003',
  date_of_birth: '1980-05-17',
  therapist: 'Tess Taylor, LCSW'
};

const row = {
  note_id: 'rec_1',
  version: 2,
  form: 'dosing',
  title: 'Dosing session',
  status: 'draft',
  session_date: '2026-03-16',
  started: '2026-03-16 09:00 EDT',
  updated: '2026-03-16 09:05 EDT',
  signed: '',
  author: 'usr_t',
  author_label: 'Tess Taylor, LCSW',
  addenda: 0,
  returned_comment: '',
  actions: ['continue', 'discard', 'shred']
};

const item: IDayItem = {
  section: 'drafts',
  patient_id: 'pt_1',
  chart_code: 'KAP-S00003',
  patient_name: 'Jordan Lee',
  note_id: 'rec_1',
  version: 2,
  form: 'dosing',
  title: 'Dosing session',
  session_date: '2026-03-16',
  detail: 'Started 2026-03-16 09:00 EDT',
  action: 'continue',
  due: '',
  overdue: false
};

const queued = {
  patient_id: 'pt_1',
  note_id: 'rec_9',
  version: 2,
  form: 'dosing',
  session_date: '2026-03-16',
  author: 'usr_t',
  signed_at: '2026-03-16T14:05:00.000001+00:00',
  patient_name: 'Jordan Lee',
  chart_code: 'KAP-S00003',
  therapist: 'Tess Taylor, LCSW',
  title: 'Dosing session',
  signed: '2026-03-16 10:05 EDT'
};

describe('parsing the operations', () => {
  it('keeps patients with an id and drops the rest', () => {
    const found = parsePatients([jordan, { name: 'no id' }, 'junk']);
    assert.deepEqual(found, [jordan]);
    assert.deepEqual(parsePatients({ not: 'a list' }), []);
  });

  it('keeps only known note actions and needs the patient', () => {
    const notes = parsePatientNotes({
      patient: jordan,
      notes: [row, { no: 'id' }],
      new_notes: [{ form: 'dosing', title: 'Dosing session' }],
      actions: ['progress', 'export']
    });
    assert.ok(notes);
    assert.deepEqual(notes.notes[0].actions, ['continue', 'discard']);
    assert.equal(notes.notes.length, 1);
    assert.deepEqual(notes.new_notes, [{ form: 'dosing', title: 'Dosing session' }]);
    assert.equal(parsePatientNotes({ notes: [row] }), null);
  });

  it('reads My day and counts its items', () => {
    const day = parseMyDay({
      user: 'Tess Taylor, LCSW',
      role: 'therapist',
      today: '2026-03-17',
      sections: [
        { key: 'drafts', title: 'Drafts to finish', items: [item, { bad: 1 }] },
        { key: 'returned', title: 'Returned to you', items: [] }
      ]
    });
    assert.ok(day);
    assert.equal(dayCount(day), 1);
    assert.equal(day.sections[0].items[0].overdue, false);
    assert.equal(parseMyDay({}), null);
  });

  it('reads queue rows, falling back to the raw fields', () => {
    const [first, second] = parseQueue([queued, { ...queued, therapist: '', signed: '' }]);
    assert.equal(first.therapist, 'Tess Taylor, LCSW');
    assert.equal(second.therapist, 'usr_t');
    assert.equal(second.signed, queued.signed_at);
  });
});

describe('wording', () => {
  it('names statuses and patients as clinicians say them', () => {
    assert.equal(statusLabel('cosigned'), 'Co-signed');
    assert.equal(statusLabel('returned'), 'Returned');
    assert.equal(patientLine(jordan), 'Jordan Lee · KAP-S00003 · born 1980-05-17');
    assert.equal(patientLine({ ...jordan, date_of_birth: '' }), 'Jordan Lee · KAP-S00003');
  });

  it('gives each action button an accessible name with the note', () => {
    const [parsed] = parsePatientNotes({ patient: jordan, notes: [row] })!.notes;
    assert.equal(actionName('continue', parsed), 'Continue: 2026-03-16 · Dosing session');
    assert.equal(actionName('discard', parsed), 'Discard draft: 2026-03-16 · Dosing session');
  });
});

describe('what a click runs', () => {
  it('continues and revises through the note command, starts notes through the form command', () => {
    assert.deepEqual(openNoteCall('rec_1'), {
      id: 'kap-notes:open-note',
      args: { noteId: 'rec_1' }
    });
    assert.deepEqual(newNoteCall('integration', 'pt_1'), {
      id: 'kap-notes:open-form',
      args: { form: 'integration', patientId: 'pt_1' }
    });
  });

  it('maps each My day item to its action', () => {
    assert.deepEqual(dayItemCall(item), openNoteCall('rec_1'));
    assert.deepEqual(dayItemCall({ ...item, action: 'revise' }), openNoteCall('rec_1'));
    assert.deepEqual(
      dayItemCall({ ...item, action: 'integration' }),
      newNoteCall('integration', 'pt_1')
    );
    assert.equal(dayItemCall({ ...item, action: 'review' }), 'queue');
    assert.equal(dayActionLabel({ ...item, action: 'integration' }), 'New integration');
  });
});

describe('the review queue', () => {
  const theo = { ...queued, note_id: 'rec_8', therapist: 'Theo Tran, LMFT' };
  const queue = parseQueue([queued, theo]);

  it('filters by therapist and lists each therapist once', () => {
    assert.deepEqual(therapists([...queue, ...queue]), ['Tess Taylor, LCSW', 'Theo Tran, LMFT']);
    assert.deepEqual(
      filterQueue(queue, 'Theo Tran, LMFT').map(q => q.note_id),
      ['rec_8']
    );
    assert.equal(filterQueue(queue, '').length, 2);
  });

  it('shows one cell per column, whose note first', () => {
    const cells = queueCells(queue[0]);
    assert.equal(cells.length, queueColumns().length);
    assert.deepEqual(cells, [
      'Jordan Lee',
      'KAP-S00003',
      'Tess Taylor, LCSW',
      'Dosing session',
      '2026-03-16',
      '2026-03-16 10:05 EDT'
    ]);
  });
});

describe('export', () => {
  it('decodes the PDF bytes', () => {
    assert.deepEqual(
      [...base64Bytes(Buffer.from('%PDF-1.7').toString('base64'))],
      [...Buffer.from('%PDF-1.7')]
    );
  });
});
