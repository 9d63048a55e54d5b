// The pure part of the widget forms' accessibility (src/a11y.ts), run with node's test runner.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';

import {
  ensureId,
  groupAttributes,
  inputAttributes,
  IFieldState,
  LIVE_ATTRIBUTES,
  pressedAttributes,
  REQUIRED_NOTE_ID,
  setAttributes
} from '../src/a11y';

const plain: IFieldState = { labelId: null, required: false, invalid: false, messagesId: null };
const grouped: IFieldState = { ...plain, labelId: 'l1' };

/** Just enough of an Element to record what setAttributes does. */
class FakeElement {
  id = '';
  readonly attrs = new Map<string, string>();
  readonly calls: string[] = [];
  hasAttribute(name: string): boolean {
    return this.attrs.has(name);
  }
  getAttribute(name: string): string | null {
    return this.attrs.get(name) ?? null;
  }
  setAttribute(name: string, value: string): void {
    this.calls.push(`set ${name}`);
    this.attrs.set(name, value);
  }
  removeAttribute(name: string): void {
    this.calls.push(`remove ${name}`);
    this.attrs.delete(name);
  }
}

describe('inputAttributes', () => {
  it('says nothing more than its <label for> when all is well', () => {
    assert.deepEqual(inputAttributes(plain), {
      'aria-labelledby': null,
      'aria-required': null,
      'aria-invalid': null,
      'aria-describedby': null
    });
  });

  it('is named by the visible label by id when that has no <label> element', () => {
    assert.equal(inputAttributes(grouped)['aria-labelledby'], 'l1');
  });

  it('marks a required field aria-required', () => {
    assert.equal(inputAttributes({ ...plain, required: true })['aria-required'], 'true');
  });

  it('an invalid field is aria-invalid and described by its messages', () => {
    const attrs = inputAttributes({ ...plain, invalid: true, messagesId: 'm7' });
    assert.equal(attrs['aria-invalid'], 'true');
    assert.equal(attrs['aria-describedby'], 'm7');
  });

  it('is not invalid without messages to point at', () => {
    const attrs = inputAttributes({ ...plain, invalid: true, messagesId: null });
    assert.equal(attrs['aria-invalid'], null);
    assert.equal(attrs['aria-describedby'], null);
  });
});

describe('groupAttributes', () => {
  it('a Yes/No or checkbox group is a group named by the label', () => {
    assert.deepEqual(groupAttributes(grouped), {
      role: 'group',
      'aria-labelledby': 'l1',
      'aria-describedby': null
    });
  });

  it('says required and the errors in its description (no aria-required on a group)', () => {
    const attrs = groupAttributes({ ...grouped, required: true, invalid: true, messagesId: 'm2' });
    assert.equal(attrs['aria-describedby'], `${REQUIRED_NOTE_ID} m2`);
    assert.equal('aria-required' in attrs, false);
    assert.equal(
      groupAttributes({ ...grouped, invalid: true, messagesId: 'm2' })['aria-describedby'],
      'm2'
    );
  });
});

describe('pressedAttributes', () => {
  it('follows ipywidgets mod-active', () => {
    assert.deepEqual(pressedAttributes(['widget-toggle-button', 'mod-active']), {
      'aria-pressed': 'true'
    });
    assert.deepEqual(pressedAttributes(['widget-toggle-button']), { 'aria-pressed': 'false' });
  });
});

describe('LIVE_ATTRIBUTES', () => {
  it('a polite status region announced as a whole', () => {
    assert.deepEqual(LIVE_ATTRIBUTES, {
      role: 'status',
      'aria-live': 'polite',
      'aria-atomic': 'true'
    });
  });
});

describe('setAttributes', () => {
  it('sets, removes, and leaves unchanged attributes alone', () => {
    const node = new FakeElement();
    node.attrs.set('aria-invalid', 'true');
    node.attrs.set('aria-labelledby', 'l1');
    setAttributes(node as unknown as Element, {
      'aria-labelledby': 'l1',
      'aria-invalid': null,
      'aria-required': 'true',
      'aria-describedby': null
    });
    assert.deepEqual(node.calls, ['remove aria-invalid', 'set aria-required']);
    assert.deepEqual(Object.fromEntries(node.attrs), {
      'aria-labelledby': 'l1',
      'aria-required': 'true'
    });
  });
});

describe('ensureId', () => {
  it('keeps an id and gives unique ones to elements without', () => {
    const named = new FakeElement();
    named.id = 'mine';
    assert.equal(ensureId(named as unknown as Element), 'mine');
    const a = ensureId(new FakeElement() as unknown as Element);
    const b = ensureId(new FakeElement() as unknown as Element);
    assert.match(a, /^kap-a11y-\d+$/);
    assert.notEqual(a, b);
  });
});
