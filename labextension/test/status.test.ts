// Pure-module tests, run with node's test runner: `jlpm test`.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';

import {
  IVaultStatus,
  lockedBehindUsersBack,
  minutesToLock,
  needsAcknowledgement,
  noticesTitle,
  unlockNotices,
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

describe('unlock notices', () => {
  const glass =
    'theo used break-glass access to patient KAP-7Q2M (Synthetic Person 3) ' +
    "(until 2026-07-07T10:00 UTC); the reason is recorded with the patient's notes";

  it('parses notices and failed attempts when present', () => {
    const status = parseStatus({ ...unlocked, notices: [glass], failed_attempts: 3 });
    assert.deepEqual(status, { ...unlocked, notices: [glass], failed_attempts: 3 });
    assert.equal(parseStatus({ ...unlocked, notices: [1] }), null);
    assert.equal(parseStatus({ ...unlocked, notices: 'x' }), null);
    assert.equal(parseStatus({ ...unlocked, failed_attempts: 'many' }), null);
  });

  it('passes the server notices through, once unlocked', () => {
    const told = '3 wrong passphrases for tess since your last unlock. If that was not you, tell';
    assert.deepEqual(unlockNotices({ ...unlocked, notices: [told, glass], failed_attempts: 3 }), [
      told,
      glass
    ]);
    assert.deepEqual(unlockNotices({ ...locked, notices: [glass] }), []);
    assert.deepEqual(unlockNotices(unlocked), []);
  });

  it('words failed attempts the server did not word', () => {
    assert.deepEqual(unlockNotices({ ...unlocked, notices: [], failed_attempts: 3 }), [
      '3 wrong passphrases since your last unlock.'
    ]);
    assert.deepEqual(unlockNotices({ ...unlocked, failed_attempts: 1 }), [
      '1 wrong passphrase since your last unlock.'
    ]);
  });

  it('does not repeat wrong passphrases typed in the dialog just now', () => {
    const told = '1 wrong passphrase for tess since your last unlock. If that was not you, tell';
    const status = { ...unlocked, notices: [told, glass], failed_attempts: 1 };
    assert.deepEqual(unlockNotices(status, 1), [glass]);
    assert.deepEqual(unlockNotices({ ...unlocked, notices: [told], failed_attempts: 1 }, 1), []);
    const three = { ...unlocked, notices: ['3 wrong passphrases for tess'], failed_attempts: 3 };
    assert.deepEqual(unlockNotices(three, 1), [
      '3 wrong passphrases for tess (1 of them typed here just now.)'
    ]);
  });

  it('asks to acknowledge break-glass use only', () => {
    assert.equal(needsAcknowledgement([glass]), true);
    assert.equal(needsAcknowledgement(['1 wrong passphrase since your last unlock.']), false);
  });

  it('titles break-glass use as emergency access', () => {
    assert.equal(noticesTitle([glass]), 'Emergency access to your patients');
    assert.equal(
      noticesTitle(['1 wrong passphrase since your last unlock.']),
      'Since your last unlock'
    );
  });
});
