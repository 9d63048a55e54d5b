// Pure-module tests for the access-request wording and parsing, run with `jlpm test`.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';

import {
  approveDetail,
  approveQuestion,
  IAccessRequest,
  parseAccessRequests,
  parseWaiting,
  patientLabel,
  requestLine,
  requestsCommandLabel,
  shouldNotify,
  waitingCount,
  waitingSummary
} from '../src/requests';

const byAdmin: IAccessRequest = {
  patient_id: 'pat_0123',
  chart_code: 'KAP-7Q2M',
  patient_name: 'Synthetic Person 3',
  user: 'theo',
  requested_by: 'ada'
};
const bySelf: IAccessRequest = { ...byAdmin, requested_by: 'theo' };

describe('requestLine', () => {
  it('says who asked and for whom', () => {
    assert.equal(
      requestLine(byAdmin),
      'theo asks for access to KAP-7Q2M (Synthetic Person 3), asked by ada'
    );
  });

  it('does not repeat the name when someone asked for themself', () => {
    assert.equal(requestLine(bySelf), 'theo asks for access to KAP-7Q2M (Synthetic Person 3)');
  });

  it('falls back to the chart code, then the id', () => {
    assert.equal(patientLabel({ ...byAdmin, patient_name: '' }), 'KAP-7Q2M');
    assert.equal(patientLabel({ ...byAdmin, patient_name: '', chart_code: '' }), 'pat_0123');
  });
});

describe('approval wording', () => {
  it('asks before giving access', () => {
    assert.equal(approveQuestion(byAdmin), "Give theo access to KAP-7Q2M's notes?");
  });

  it('explains what approving means and who asked', () => {
    const detail = approveDetail(byAdmin);
    assert.match(
      detail,
      /^theo will be able to open every note of KAP-7Q2M \(Synthetic Person 3\)/
    );
    assert.match(detail, /ada asked for it/);
    assert.match(detail, /revoke/);
    assert.match(approveDetail(bySelf), /theo asked for it/);
  });
});

describe('parseAccessRequests', () => {
  it('accepts the contract shape and drops extras', () => {
    const data = {
      requests: [{ ...byAdmin, extra: 1 }],
      proposed_supervisors: ['sue'],
      other: true
    };
    assert.deepEqual(parseAccessRequests(data), {
      requests: [byAdmin],
      proposed_supervisors: ['sue']
    });
  });

  it('rejects anything else', () => {
    for (const bad of [
      null,
      [],
      { requests: [], proposed_supervisors: [1] },
      { requests: [{ ...byAdmin, user: 5 }], proposed_supervisors: [] },
      { requests: {}, proposed_supervisors: [] },
      { proposed_supervisors: [] }
    ]) {
      assert.equal(parseAccessRequests(bad), null, JSON.stringify(bad));
    }
  });
});

describe('the badge', () => {
  it('parses counts', () => {
    assert.deepEqual(parseWaiting({ requests: 2, proposed_supervisors: 0 }), {
      requests: 2,
      proposed_supervisors: 0
    });
    assert.equal(parseWaiting({ requests: -1, proposed_supervisors: 0 }), null);
    assert.equal(parseWaiting({ requests: 1.5, proposed_supervisors: 0 }), null);
    assert.equal(parseWaiting({ requests: 1 }), null);
  });

  it('counts and words what waits', () => {
    assert.equal(waitingCount(null), 0);
    assert.equal(waitingCount({ requests: 2, proposed_supervisors: 1 }), 3);
    assert.equal(
      waitingSummary({ requests: 1, proposed_supervisors: 0 }),
      '1 access request waits for your answer.'
    );
    assert.equal(
      waitingSummary({ requests: 2, proposed_supervisors: 1 }),
      '2 access requests and 1 proposed supervisor wait for your answer.'
    );
    assert.equal(
      waitingSummary({ requests: 0, proposed_supervisors: 0 }),
      'Nothing waits for your answer.'
    );
  });

  it('labels the menu item with the count', () => {
    assert.equal(requestsCommandLabel(0), 'Access Requests…');
    assert.equal(requestsCommandLabel(2), 'Access Requests (2)…');
  });

  it('notifies only when more waits than before', () => {
    assert.equal(shouldNotify(0, 1), true);
    assert.equal(shouldNotify(2, 1), false);
    assert.equal(shouldNotify(1, 1), false);
  });
});
