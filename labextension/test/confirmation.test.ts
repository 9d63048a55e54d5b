// Pure-module tests, run with node's test runner: `jlpm test`.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';

import {
  confirmationQuestion,
  confirmLabel,
  IConfirmation,
  parseConfirmations
} from '../src/confirmation';

const sign: IConfirmation = {
  id: 'abc',
  action: 'sign',
  chart_code: 'KAP-X7Q2PA',
  form: 'dosing',
  session_date: '2026-11-30',
  user: 'tess'
};

describe('parseConfirmations', () => {
  it('keeps entries with the contract shape and drops the rest', () => {
    const data = {
      pending: [
        { ...sign, created_at: '2026-11-30T10:00:00Z' },
        { ...sign, id: 7 },
        { ...sign, action: 'shred' },
        { ...sign, id: 'no-date', session_date: null },
        'nonsense'
      ]
    };
    const parsed = parseConfirmations(data);
    assert.deepEqual(
      parsed.map(c => c.id),
      ['abc', 'no-date']
    );
    assert.equal(parsed[0].session_date, '2026-11-30');
  });

  it('answers nothing for a malformed body', () => {
    assert.deepEqual(parseConfirmations(null), []);
    assert.deepEqual(parseConfirmations({ pending: 'x' }), []);
  });
});

describe('confirmationQuestion', () => {
  it('names the action, the form, the chart code and the date', () => {
    assert.equal(confirmationQuestion(sign), 'Sign the dosing note of KAP-X7Q2PA (2026-11-30)?');
    assert.equal(
      confirmationQuestion({ ...sign, action: 'cosign', form: 'process-note', session_date: null }),
      'Co-sign the process note of KAP-X7Q2PA?'
    );
    assert.match(confirmationQuestion({ ...sign, action: 'return' }), /^Return the dosing note/);
    assert.match(confirmationQuestion({ ...sign, action: 'addend' }), /^Add an addendum to/);
  });

  it('labels the accept button by action', () => {
    assert.equal(confirmLabel('cosign'), 'Co-sign');
    assert.equal(confirmLabel('return'), 'Return');
  });
});
