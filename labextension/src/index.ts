/**
 * kap-notes JupyterLab plugin: launcher tiles, commands (palette and the KAP menu, which
 * schema/plugin.json declares), the vault status bar item, activity reports for auto-lock,
 * and the settings editor joined to the clinic settings kept in the vault (./clinic).
 */
import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import {
  ICommandPalette,
  MainAreaWidget,
  Notification,
  showErrorMessage
} from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { ILauncher } from '@jupyterlab/launcher';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { watchForms } from './a11y';
import {
  AccessRequestsPanel,
  createAccessPanel,
  notifyWhenWaiting,
  WaitingBadge,
  WaitingWatcher
} from './access';
import { KapClient } from './api';
import { ConfirmationWatcher } from './confirm';
import {
  ILaunchable,
  isSessionForm,
  PROGRESS,
  REVIEW_QUEUE,
  SESSION_FORMS,
  sessionForm
} from './forms';
import { connectClinicSettings } from './clinic';
import { setUpExportMenu } from './exportmenu';
import { kapIcon } from './icons';
import { FormTabs } from './launch';
import { setUpPanel } from './panel';
import { requestsCommandLabel } from './requests';
import { VaultStatusItem } from './statusbar';
import { ensureUnlocked, unlockVault } from './unlock';
import { VaultModel, watchActivity } from './vault';

const PLUGIN_ID = 'kap-notes:plugin';
const CATEGORY = 'KAP notes';
/** Before JupyterLab's Notebook (0), Console (20) and Other (100) launcher sections. */
const KAP_CATEGORY_RANK = -10;

export namespace CommandIDs {
  export const unlock = 'kap-notes:unlock';
  export const lock = 'kap-notes:lock';
  export const openForm = 'kap-notes:open-form';
  export const openNote = 'kap-notes:open-note';
  export const openProgress = 'kap-notes:open-progress';
  export const openReview = 'kap-notes:open-review';
  export const accessRequests = 'kap-notes:access-requests';
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'KAP session forms, vault lock and clinic settings for kap-notes.',
  autoStart: true,
  requires: [IDocumentManager, ISettingRegistry, IRenderMimeRegistry],
  optional: [ILauncher, ICommandPalette, IStatusBar, ILayoutRestorer],
  activate
};

function activate(
  app: JupyterFrontEnd,
  _docManager: IDocumentManager,
  settingRegistry: ISettingRegistry,
  rendermime: IRenderMimeRegistry,
  launcher: ILauncher | null,
  palette: ICommandPalette | null,
  statusBar: IStatusBar | null,
  restorer: ILayoutRestorer | null
): void {
  const { commands } = app;
  const model = new VaultModel(new KapClient(app.serviceManager.serverSettings));
  // Forms open in tabs of their own: no notebook, no code, kernels that end with their tab.
  const forms = new FormTabs(app, rendermime, restorer);
  // Labels, aria-required/-invalid/-pressed and the live status line of the widget forms.
  watchForms();
  model.changed.connect(() => {
    forms.setWarm(model.unlocked); // one spare kernel while unlocked: forms open fast
    if (model.unlocked) {
      forms.retryFailed();
    }
  });

  model.changed.connect(() => commands.notifyCommandChanged());
  model.autoLocked.connect((_, status) => {
    Notification.warning(
      `The KAP vault is locked (no activity for ${status.auto_lock_minutes} min, ` +
        'or it was locked elsewhere). Unlock to keep working.',
      {
        autoClose: false,
        actions: [
          {
            label: 'Unlock',
            callback: () => void commands.execute(CommandIDs.unlock)
          }
        ]
      }
    );
  });
  watchActivity(model);
  // File → Save and Export As → "KAP PDF (encrypted)", working on progress notebooks too.
  setUpExportMenu(app, new KapClient(app.serviceManager.serverSettings));
  // The KAP panel (left side bar): patients, My day, a patient's notes; the review queue tab.
  setUpPanel(app, model, () => ensureUnlocked(model));
  // Signing, addenda, co-signing and returning from a kernel are confirmed here, with the
  // passphrase sent to the server directly (it never enters a kernel).
  new ConfirmationWatcher(model);
  // Access requests and proposed supervisors: nothing is granted until the therapist answers.
  const waiting = new WaitingWatcher(model);
  waiting.changed.connect(() => commands.notifyCommandChanged(CommandIDs.accessRequests));
  notifyWhenWaiting(waiting, () => void commands.execute(CommandIDs.accessRequests));
  let accessPanel: MainAreaWidget<AccessRequestsPanel> | null = null;

  const open = async (item: ILaunchable): Promise<void> => {
    try {
      if (!(await ensureUnlocked(model))) {
        return;
      }
      await forms.open(item.spec);
    } catch (error) {
      await showErrorMessage(`Could not open ${item.title}`, error as Error);
    }
  };

  commands.addCommand(CommandIDs.unlock, {
    label: 'Unlock the KAP Vault…',
    caption: 'Enter your user name and passphrase to open notes in this session',
    execute: () => unlockVault(model)
  });

  commands.addCommand(CommandIDs.lock, {
    label: 'Lock the KAP Vault',
    caption: 'Forget the vault keys now; unlock again to keep working',
    isEnabled: () => model.unlocked,
    execute: async () => {
      try {
        await model.lock();
        Notification.info('The KAP vault is locked.', { autoClose: 3000 });
      } catch (error) {
        await showErrorMessage('Could not lock the KAP vault', error as Error);
      }
    }
  });

  commands.addCommand(CommandIDs.openForm, {
    label: args => formLabel(args),
    caption: args =>
      isSessionForm(args.form) ? sessionForm(args.form).caption : 'Open a KAP session form',
    icon: args => (args.isLauncher ? kapIcon : undefined),
    execute: async args => {
      if (!isSessionForm(args.form)) {
        await showErrorMessage(
          'Unknown KAP form',
          `"${String(args.form)}" is not a session form; use one of: ${SESSION_FORMS.join(', ')}.`
        );
        return;
      }
      const patient = typeof args.patientId === 'string' ? args.patientId : null;
      await open(sessionForm(args.form, patient));
    }
  });

  commands.addCommand(CommandIDs.openNote, {
    label: 'Open KAP Note',
    caption: 'Continue a draft, revise a returned note, or add an addendum to a signed note',
    execute: async args => {
      if (typeof args.noteId !== 'string' || !args.noteId) {
        await showErrorMessage('Open KAP Note', 'Which note? (noteId is missing)');
        return;
      }
      await open({ title: 'KAP note', caption: '', spec: { kind: 'note', note: args.noteId } });
    }
  });

  commands.addCommand(CommandIDs.openProgress, {
    label: args => (args.isLauncher ? PROGRESS.title : 'Open Patient Progress…'),
    caption: PROGRESS.caption,
    icon: args => (args.isLauncher ? kapIcon : undefined),
    execute: () => open(PROGRESS)
  });

  commands.addCommand(CommandIDs.openReview, {
    label: args => (args.isLauncher ? REVIEW_QUEUE.title : 'Open Review Queue'),
    caption: REVIEW_QUEUE.caption,
    icon: args => (args.isLauncher ? kapIcon : undefined),
    // The queue tab of the KAP panel (./panel): no kernel, preview beside the rows.
    execute: () => commands.execute('kap-notes:review-queue')
  });

  commands.addCommand(CommandIDs.accessRequests, {
    label: () => requestsCommandLabel(waiting.count),
    caption: 'Approve or deny requests for access to your patients; accept proposed supervisors',
    execute: async () => {
      if (!(await ensureUnlocked(model))) {
        return;
      }
      if (accessPanel === null || accessPanel.isDisposed) {
        accessPanel = createAccessPanel(model, () => void waiting.refresh());
        app.shell.add(accessPanel, 'main');
      }
      app.shell.activateById(accessPanel.id);
      await accessPanel.content.refresh();
    }
  });

  if (launcher) {
    let rank = 0;
    for (const form of SESSION_FORMS) {
      launcher.add({
        command: CommandIDs.openForm,
        args: { form, isLauncher: true },
        category: CATEGORY,
        categoryRank: KAP_CATEGORY_RANK,
        rank: rank++
      });
    }
    for (const command of [CommandIDs.openProgress, CommandIDs.openReview]) {
      launcher.add({
        command,
        args: { isLauncher: true },
        category: CATEGORY,
        categoryRank: KAP_CATEGORY_RANK,
        rank: rank++
      });
    }
  }

  if (palette) {
    palette.addItem({ command: CommandIDs.unlock, category: CATEGORY });
    palette.addItem({ command: CommandIDs.lock, category: CATEGORY });
    for (const form of SESSION_FORMS) {
      palette.addItem({
        command: CommandIDs.openForm,
        category: CATEGORY,
        args: { form }
      });
    }
    palette.addItem({ command: CommandIDs.openProgress, category: CATEGORY });
    palette.addItem({ command: CommandIDs.openReview, category: CATEGORY });
    palette.addItem({ command: CommandIDs.accessRequests, category: CATEGORY });
  }

  if (statusBar) {
    const item = new VaultStatusItem(model, unlocked => {
      void commands.execute(unlocked ? CommandIDs.lock : CommandIDs.unlock);
    });
    statusBar.registerStatusItem('kap-notes:vault-status', {
      item,
      align: 'left',
      rank: 50
    });
    statusBar.registerStatusItem('kap-notes:waiting', {
      item: new WaitingBadge(waiting, () => void commands.execute(CommandIDs.accessRequests)),
      align: 'left',
      rank: 51,
      isActive: () => waiting.count > 0,
      activeStateChanged: waiting.activeChanged
    });
  }

  void settingRegistry
    .load(PLUGIN_ID)
    .then(settings => connectClinicSettings(settings, model))
    .catch(error => console.warn('kap-notes: could not load settings', error));
}

function formLabel(args: ReadonlyPartialJSONObject): string {
  if (!isSessionForm(args.form)) {
    return 'New KAP Form';
  }
  const title = sessionForm(args.form).title;
  return args.isLauncher ? title : `New ${title} Form`;
}

export default plugin;
