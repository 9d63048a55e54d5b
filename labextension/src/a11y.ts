/**
 * Accessibility of the kap-notes ipywidgets forms. ipywidgets cannot set ARIA attributes from
 * Python, so the kernel marks its widgets with DOM classes (widgets/base.py, lifecycle.py) and
 * this module turns them into ARIA in the browser:
 *
 * - a field row (`kap-field`): the `<label>` in its visible label (`kap-label`) becomes the real
 *   label (`for`) of the input, select or text area beside it (`kap-control`, else the label's
 *   next sibling); `kap-required` → `aria-required`; an item showing errors (`kap-invalid`) →
 *   `aria-invalid` and `aria-describedby` pointing at its messages (`kap-messages`). Button and
 *   checkbox groups become a `role="group"` labelled by the label (required and errors go in its
 *   description: `aria-required` is not allowed on a group).
 * - Yes/No toggle buttons: `aria-pressed` follows ipywidgets' `mod-active`.
 * - the form's status line (`kap-live`): a polite live region ("Draft saved", "Cannot sign yet").
 *
 * The attribute choices are pure functions (tested in node); `watchForms` applies them whenever
 * a `.kap-widgets` root changes.
 */

import { trans } from './i18n';

export const ROOT = 'kap-widgets';
export const FIELD = 'kap-field';
export const LABEL = 'kap-label';
export const CONTROL = 'kap-control';
export const ITEM = 'kap-item';
export const REQUIRED = 'kap-required';
export const INVALID = 'kap-invalid';
export const MESSAGES = 'kap-messages';
export const LIVE = 'kap-live';
/** The id of the one hidden "Required" note that required groups are described by. */
export const REQUIRED_NOTE_ID = 'kap-a11y-required';
/** ipywidgets' class of the selected toggle button. */
export const ACTIVE = 'mod-active';

/** Attributes to set; `null` removes one. */
export type Attributes = Record<string, string | null>;

/** What a field row says about its control. */
export interface IFieldState {
  /** The visible label's id when it names the control by `aria-labelledby` (else `<label for>`). */
  labelId: string | null;
  required: boolean;
  invalid: boolean;
  messagesId: string | null;
}

/** The ARIA of a text input, text area, select or picker in a field row (named by its label). */
export function inputAttributes(state: IFieldState): Attributes {
  const invalid = state.invalid && state.messagesId !== null;
  return {
    'aria-labelledby': state.labelId,
    'aria-required': state.required ? 'true' : null,
    'aria-invalid': invalid ? 'true' : null,
    'aria-describedby': invalid ? state.messagesId : null
  };
}

/** The ARIA of a control made of buttons or checkboxes (Yes/No, multi-choice). */
export function groupAttributes(state: IFieldState): Attributes {
  const described = [
    state.required ? REQUIRED_NOTE_ID : '',
    state.invalid && state.messagesId !== null ? state.messagesId : ''
  ].filter(id => id !== '');
  return {
    role: 'group',
    'aria-labelledby': state.labelId,
    'aria-describedby': described.length ? described.join(' ') : null
  };
}

/** `aria-pressed` of a toggle button from its class list. */
export function pressedAttributes(classes: Iterable<string>): Attributes {
  return { 'aria-pressed': [...classes].includes(ACTIVE) ? 'true' : 'false' };
}

/** The status line: announced politely, as a whole. */
export const LIVE_ATTRIBUTES: Attributes = {
  role: 'status',
  'aria-live': 'polite',
  'aria-atomic': 'true'
};

/** Set (or remove) `attributes` on `node`, touching only what differs. */
export function setAttributes(node: Element, attributes: Attributes): void {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null) {
      if (node.hasAttribute(name)) {
        node.removeAttribute(name);
      }
    } else if (node.getAttribute(name) !== value) {
      node.setAttribute(name, value);
    }
  }
}

let counter = 0;

/** `node`'s id, giving it a unique one first if it has none. */
export function ensureId(node: Element, prefix = 'kap-a11y'): string {
  if (!node.id) {
    counter += 1;
    node.id = `${prefix}-${counter}`;
  }
  return node.id;
}

function ensureRequiredNote(doc: Document): void {
  if (!doc.getElementById(REQUIRED_NOTE_ID)) {
    const note = doc.createElement('span');
    note.id = REQUIRED_NOTE_ID;
    note.hidden = true;
    note.textContent = trans.__('Required');
    doc.body.append(note);
  }
}

function child(parent: Element | null, className: string): Element | null {
  if (!parent) {
    return null;
  }
  return Array.from(parent.children).find(c => c.classList.contains(className)) ?? null;
}

const TYPED = 'input:not([type=checkbox]):not([type=radio]):not([type=button]), select, textarea';

/** Apply the ARIA of one field row. */
export function applyField(row: Element): void {
  const label = child(row, LABEL);
  const control = child(row, CONTROL) ?? label?.nextElementSibling ?? null;
  if (!label || !control) {
    return;
  }
  const item = row.closest(`.${ITEM}`);
  const messages = child(item, MESSAGES);
  const state: IFieldState = {
    labelId: null,
    required: row.classList.contains(REQUIRED) || !!item?.classList.contains(REQUIRED),
    invalid: !!item?.classList.contains(INVALID) && !!messages?.textContent?.trim(),
    messagesId: messages ? ensureId(messages) : null
  };
  const typed = control.matches(TYPED) ? control : control.querySelector(TYPED);
  if (typed) {
    // a real label: the visible <label> points at the input (clicking it focuses the input)
    const text = label.querySelector('.widget-html-content label');
    if (text) {
      setAttributes(text, { for: ensureId(typed) });
    } else {
      state.labelId = ensureId(label);
    }
    setAttributes(typed, inputAttributes(state));
  } else {
    if (state.required) {
      ensureRequiredNote(row.ownerDocument);
    }
    setAttributes(control, groupAttributes({ ...state, labelId: ensureId(label) }));
  }
}

/** Apply every rule inside one form (or view) root. */
export function applyForm(root: Element): void {
  root.querySelectorAll(`.${FIELD}`).forEach(applyField);
  root.querySelectorAll('.widget-toggle-button').forEach(button => {
    setAttributes(button, pressedAttributes(button.classList));
  });
  root.querySelectorAll(`.${LIVE}`).forEach(live => setAttributes(live, LIVE_ATTRIBUTES));
}

/** Keep the ARIA of every `.kap-widgets` root under `host` current as the widgets change. */
export function watchForms(host: HTMLElement = document.body, delayMs = 30): MutationObserver {
  const pending = new Set<Element>();
  let timer: number | null = null;
  const flush = (): void => {
    timer = null;
    pending.forEach(root => {
      if (root.isConnected) {
        applyForm(root);
      }
    });
    pending.clear();
  };
  const rootOf = (node: Node | null): Element | null => {
    const element = node instanceof Element ? node : (node?.parentElement ?? null);
    return element?.closest(`.${ROOT}`) ?? null;
  };
  const observer = new MutationObserver(records => {
    for (const record of records) {
      const root = rootOf(record.target);
      if (root) {
        pending.add(root);
        continue;
      }
      record.addedNodes.forEach(added => {
        if (added instanceof Element) {
          if (added.classList.contains(ROOT)) {
            pending.add(added);
          }
          added.querySelectorAll(`.${ROOT}`).forEach(found => pending.add(found));
        }
      });
    }
    if (pending.size && timer === null) {
      timer = window.setTimeout(flush, delayMs);
    }
  });
  observer.observe(host, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ['class']
  });
  host.querySelectorAll(`.${ROOT}`).forEach(root => applyForm(root));
  return observer;
}
