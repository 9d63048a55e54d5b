/**
 * JupyterLab's settings editor and the vault's clinic settings (pure rules in ./settings).
 *
 * Auto-lock is sent whenever the plugin's settings change. Once the vault is unlocked, the editor
 * is brought to the clinic settings kept in the vault; a clinic setting the user then changes is
 * sent to the vault, where an admin's change is signed as a new version. A refusal (not an admin,
 * or the vault locked) is shown with the server's message, and the editor goes back to the
 * vault's values (at once, or at the next unlock).
 */
import { showErrorMessage } from '@jupyterlab/apputils';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { PartialJSONValue } from '@lumino/coreutils';

import { KapApiError } from './api';
import { changesClinicSettings, refusalMessage, registryUpdates, settingsBody } from './settings';
import { VaultModel } from './vault';
import { trans } from './i18n';

type Values = Record<string, unknown>;

export function connectClinicSettings(
  settings: ISettingRegistry.ISettings,
  model: VaultModel
): void {
  let previous: Values = { ...settings.composite };
  let vault: Values | null = null;
  let unlockedAs: string | null = null;

  const showVaultValues = async (): Promise<void> => {
    if (vault === null) {
      return;
    }
    const updates = registryUpdates({ ...settings.composite }, vault);
    for (const [key, value] of Object.entries(updates)) {
      await settings.set(key, value as PartialJSONValue);
    }
    previous = { ...settings.composite };
  };

  const loadFromVault = async (): Promise<void> => {
    try {
      vault = (await model.client.clinicSettings()).values;
    } catch (error) {
      console.warn('kap-notes: could not read the clinic settings', error);
      return;
    }
    await showVaultValues();
  };

  const push = async (): Promise<void> => {
    const current: Values = { ...settings.composite };
    const body = settingsBody(previous, current, vault);
    previous = current;
    try {
      await model.sendSettings(body);
      if (changesClinicSettings(body) && model.unlocked) {
        await loadFromVault();
      }
    } catch (error) {
      if (!changesClinicSettings(body)) {
        console.warn('kap-notes: could not send settings to the server', error);
        return;
      }
      const message = error instanceof KapApiError ? error.message : String(error);
      await showErrorMessage(trans.__('Clinic settings not changed'), refusalMessage(message));
      await showVaultValues(); // while locked: done at the next unlock instead
    }
  };

  settings.changed.connect(() => void push());
  model.changed.connect(() => {
    const who = model.unlocked ? (model.status?.user ?? null) : null;
    if (who !== unlockedAs) {
      unlockedAs = who;
      vault = null;
      if (who !== null) {
        void loadFromVault();
      }
    }
  });
  void push();
}
