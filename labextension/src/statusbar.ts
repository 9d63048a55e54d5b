/**
 * Status bar item: "KAP: locked" or "KAP: tess · locks in 12 min". Clicking unlocks or locks.
 */
import { Widget } from '@lumino/widgets';

import { statusText, statusTitle } from './status';
import { VaultModel } from './vault';

export class VaultStatusItem extends Widget {
  constructor(
    private readonly model: VaultModel,
    private readonly onActivate: (unlocked: boolean) => void
  ) {
    super({ node: document.createElement('button') });
    this.addClass('kap-VaultStatus');
    this.node.setAttribute('type', 'button');
    this.node.addEventListener('click', () => this.onActivate(this.model.unlocked));
    model.changed.connect(this._render, this);
    this._render();
  }

  override dispose(): void {
    this.model.changed.disconnect(this._render, this);
    super.dispose();
  }

  private _render(): void {
    const { status, problem } = this.model;
    this.node.textContent = statusText(status, problem !== null);
    this.node.title = statusTitle(status, problem);
    this.toggleClass('kap-mod-unlocked', status?.unlocked === true);
    this.toggleClass('kap-mod-problem', problem !== null);
  }
}
