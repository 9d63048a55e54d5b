/**
 * The clinic outcomes notebook (issue 15): a de-identified cohort's response and remission
 * rates, time to response, adverse events, mg/kg and PHQ-9 trajectories, for supervisors and
 * admins. `kap-notes:open-outcomes` asks the server where it opens (`open_outcomes`; a
 * therapist is refused there) and opens `kap-vault/outcomes.ipynb`, compiled in memory by the
 * vault's contents manager (never written to disk). The KAP panel's "Clinic outcomes" button
 * runs this command.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { showErrorMessage } from '@jupyterlab/apputils';

import { message } from './dom';
import { trans } from './i18n';
import { VaultModel } from './vault';

export const OPEN_OUTCOMES = 'kap-notes:open-outcomes';

/** The path the server answered with, or null for anything else. */
export function outcomesPath(answer: unknown): string | null {
  if (typeof answer !== 'object' || answer === null) {
    return null;
  }
  const path = (answer as { path?: unknown }).path;
  return typeof path === 'string' && path.endsWith('.ipynb') ? path : null;
}

/** Register `kap-notes:open-outcomes` (unlocks first when the vault is locked). */
export function addOutcomesCommand(
  app: JupyterFrontEnd,
  model: VaultModel,
  unlock: () => Promise<boolean>
): void {
  app.commands.addCommand(OPEN_OUTCOMES, {
    label: trans.__('Clinic Outcomes (de-identified)'),
    caption: trans.__(
      'Response, remission, adverse events and mg/kg across your patients, de-identified ' +
        '(clinic quality data, not clinical advice); supervisors and admins'
    ),
    execute: async () => {
      if (!(await unlock())) {
        return;
      }
      try {
        const path = outcomesPath(await model.client.operation('open_outcomes', {}));
        if (path === null) {
          throw new Error(trans.__('the server sent an unexpected answer to open_outcomes'));
        }
        await app.commands.execute('docmanager:open', { path });
      } catch (error) {
        await showErrorMessage(trans.__('Clinic outcomes'), message(error));
      }
    }
  });
}
