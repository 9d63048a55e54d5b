// Pure-module tests, run with node's test runner: `jlpm test`.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';

import {
  IVaultStatus,
  lockedBehindUsersBack,
  minutesToLock,
  parseStatus,
  statusText,
  statusTitle
} from '../src/status';

const unlocked: IVaultStatus = {
  unlocked: true,
  user: 'tess',
  role: 'therapist',
  auto_lock_minutes: 15,
  seconds_to_lock: 690
};
const locked: IVaultStatus = {
  unlocked: false,
  user: null,
  role: null,
  auto_lock_minutes: 15,
  seconds_to_lock: null
};

describe('parseStatus', () => {
  it('accepts the contract shape', () => {
    assert.deepEqual(parseStatus({ ...unlocked, extra: 1 }), unlocked);
    assert.deepEqual(parseStatus(locked), locked);
  });

  it('rejects anything else', () => {
    for (const bad of [
      null,
      'locked',
      [],
      { ...unlocked, unlocked: 'yes' },
      { ...unlocked, user: 3 },
      { ...unlocked, auto_lock_minutes: null },
      { ...unlocked, seconds_to_lock: Number.NaN }
    ]) {
      assert.equal(parseStatus(bad), null, JSON.stringify(bad));
    }
  });
});

describe('statusText', () => {
  it('words the locked and unlocked states', () => {
    assert.equal(statusText(locked), 'KAP: locked');
    // 690 s = 11.5 min: round up, the vault is still open during the 12th minute.
    assert.equal(statusText(unlocked), 'KAP: tess · locks in 12 min');
    assert.equal(statusText({ ...unlocked, seconds_to_lock: null }), 'KAP: tess');
  });

  it('says when the server cannot be reached', () => {
    assert.equal(statusText(null, true), 'KAP: unavailable');
    assert.equal(statusText(null), 'KAP: …');
  });

  it('never shows 0 minutes', () => {
    assert.equal(minutesToLock(0), 1);
    assert.equal(minutesToLock(59), 1);
    assert.equal(minutesToLock(61), 2);
  });
});

describe('statusTitle', () => {
  it('tells what a click does', () => {
    assert.match(statusTitle(locked, null), /Click to unlock/);
    assert.match(statusTitle(unlocked, null), /tess \(therapist\).*15 min.*Click to lock/);
    assert.equal(statusTitle(unlocked, 'server down'), 'server down');
  });
});

describe('lockedBehindUsersBack', () => {
  it('is true only for an unrequested unlocked → locked change', () => {
    assert.equal(lockedBehindUsersBack(unlocked, locked, false), true);
    assert.equal(lockedBehindUsersBack(unlocked, locked, true), false);
    assert.equal(lockedBehindUsersBack(null, locked, false), false);
    assert.equal(lockedBehindUsersBack(locked, locked, false), false);
    assert.equal(lockedBehindUsersBack(unlocked, unlocked, false), false);
  });
});
