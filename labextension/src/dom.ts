/** Small DOM helpers shared by the KAP panel, the review queue and the note tab. */
import { KapApiError } from './api';

/** The clinician-facing text of an error. */
export function message(error: unknown): string {
  return error instanceof KapApiError ? error.message : String(error);
}

export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

/** A JupyterLab-styled button (its text is its accessible name unless `ariaLabel` is given). */
export function button(label: string, className = '', ariaLabel?: string): HTMLButtonElement {
  const node = element('button', `jp-Button jp-mod-styled kap-Button ${className}`.trim(), label);
  node.type = 'button';
  if (ariaLabel) {
    node.setAttribute('aria-label', ariaLabel);
  }
  return node;
}
