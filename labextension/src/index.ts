/**
 * kap-notes JupyterLab plugin: launcher tiles, commands (palette and the KAP menu, which
 * schema/plugin.json declares), the vault status bar item, activity reports for auto-lock,
 * and the settings editor joined to the clinic settings kept in the vault (./clinic).
 */
import {
  ILabShell,
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  InputDialog,
  MainAreaWidget,
  Notification,
  showErrorMessage
} from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { ILauncher } from '@jupyterlab/launcher';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { IStatusBar } from '@jupyterlab/statusbar';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
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
  sessionForm,
  sessionTitle
} from './forms';
import { setTranslator, trans } from './i18n';
import { connectClinicSettings } from './clinic';
import { CommandIDs } from './commands';
import { setUpExportMenu } from './exportmenu';
import { kapIcon } from './icons';
import { FormTabs, offerJupyterLab } from './launch';
import { addOutcomesCommand, OPEN_OUTCOMES } from './outcomes';
import { setUpPanel } from './panel';
import { keepReadOnlyNotebooksClean } from './readonly';
import { requestsCommandLabel } from './requests';
import { VaultStatusItem } from './statusbar';
import { ensureUnlocked, unlockVault } from './unlock';
import { VaultModel, watchActivity } from './vault';

const PLUGIN_ID = 'kap-notes:plugin';
/** Before JupyterLab's Notebook (0), Console (20) and Other (100) launcher sections. */
const KAP_CATEGORY_RANK = -10;

export { CommandIDs };

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'KAP session forms, vault lock and clinic settings for kap-notes.',
  autoStart: true,
  requires: [IDocumentManager, ISettingRegistry, IRenderMimeRegistry],
  optional: [
    ILauncher,
    ICommandPalette,
    IStatusBar,
    ILayoutRestorer,
    ITranslator,
    ILabShell,
    INotebookTracker
  ],
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
  restorer: ILayoutRestorer | null,
  translator: ITranslator | null,
  labShell: ILabShell | null,
  notebooks: INotebookTracker | null
): void {
  // Every string from here on (and in the modules) goes through trans.__ (./i18n).
  setTranslator(translator ?? nullTranslator);
  if (notebooks) {
    keepReadOnlyNotebooksClean(notebooks); // a compiled notebook closes without "Save your work"
  }
  const CATEGORY = trans.__('KAP notes');
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
      trans.__(
        'The KAP vault is locked (no activity for %1 min, or it was locked elsewhere). ' +
          'Unlock to keep working.',
        status.auto_lock_minutes
      ),
      {
        autoClose: false,
        actions: [
          {
            label: trans.__('Unlock'),
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
  // The clinic outcomes notebook (de-identified cohort), for supervisors and admins.
  addOutcomesCommand(app, model, () => ensureUnlocked(model));
  // Signing, addenda, co-signing and returning from a kernel are confirmed here, with the
  // passphrase sent to the server directly (it never enters a kernel).
  new ConfirmationWatcher(model);
  // Access requests and proposed supervisors: nothing is granted until the therapist answers.
  const waiting = new WaitingWatcher(model);
  waiting.changed.connect(() => commands.notifyCommandChanged(CommandIDs.accessRequests));
  notifyWhenWaiting(waiting, () => void commands.execute(CommandIDs.accessRequests));
  let accessPanel: MainAreaWidget<AccessRequestsPanel> | null = null;

  const open = async (item: ILaunchable): Promise<void> => {
    if (!labShell) {
      return offerJupyterLab(item.title); // Notebook 7: no form tabs (README)
    }
    try {
      if (!(await ensureUnlocked(model))) {
        return;
      }
      await forms.open(item.spec);
    } catch (error) {
      await showErrorMessage(trans.__('Could not open %1', item.title), error as Error);
    }
  };

  commands.addCommand(CommandIDs.unlock, {
    label: trans.__('Unlock the KAP Vault…'),
    caption: trans.__('Enter your user name and passphrase to open notes in this session'),
    execute: () => unlockVault(model)
  });

  commands.addCommand(CommandIDs.lock, {
    label: trans.__('Lock the KAP Vault'),
    caption: trans.__('Forget the vault keys now; unlock again to keep working'),
    isEnabled: () => model.unlocked,
    execute: async () => {
      try {
        await model.lock();
        Notification.info(trans.__('The KAP vault is locked.'), { autoClose: 3000 });
      } catch (error) {
        await showErrorMessage(trans.__('Could not lock the KAP vault'), error as Error);
      }
    }
  });

  commands.addCommand(CommandIDs.openForm, {
    label: args => formLabel(args),
    caption: args =>
      isSessionForm(args.form)
        ? sessionForm(args.form).caption
        : trans.__('Open a KAP session form'),
    icon: args => (args.isLauncher ? kapIcon : undefined),
    execute: async args => {
      if (!isSessionForm(args.form)) {
        await showErrorMessage(
          trans.__('Unknown KAP form'),
          trans.__(
            '"%1" is not a session form; use one of: %2.',
            String(args.form),
            SESSION_FORMS.join(', ')
          )
        );
        return;
      }
      const patient = typeof args.patientId === 'string' ? args.patientId : null;
      await open(sessionForm(args.form, patient));
    }
  });

  // The keyboard's way to a new note (Accel Alt N, schema/plugin.json): which form?
  commands.addCommand(CommandIDs.newNote, {
    label: trans.__('New KAP Note…'),
    caption: trans.__('Choose a session form (Preparation, Intention, Dosing, Integration)'),
    execute: async () => {
      const titles = SESSION_FORMS.map(sessionTitle);
      const choice = await InputDialog.getItem({
        title: trans.__('New KAP note'),
        label: trans.__('Session form'),
        items: titles,
        okLabel: trans.__('Open')
      });
      const index =
        choice.button.accept && choice.value !== null ? titles.indexOf(choice.value) : -1;
      if (index >= 0) {
        await commands.execute(CommandIDs.openForm, { form: SESSION_FORMS[index] });
      }
    }
  });

  commands.addCommand(CommandIDs.openNote, {
    label: trans.__('Open KAP Note'),
    caption: trans.__(
      'Continue a draft, revise a returned note, or add an addendum to a signed note'
    ),
    execute: async args => {
      if (typeof args.noteId !== 'string' || !args.noteId) {
        await showErrorMessage(
          trans.__('Open KAP Note'),
          trans.__('Which note? (noteId is missing)')
        );
        return;
      }
      const spec = { kind: 'note' as const, note: args.noteId };
      await open({ title: trans.__('KAP note'), caption: '', spec });
    }
  });

  commands.addCommand(CommandIDs.openProgress, {
    label: args => (args.isLauncher ? PROGRESS.title : trans.__('Open Patient Progress…')),
    caption: PROGRESS.caption,
    icon: args => (args.isLauncher ? kapIcon : undefined),
    execute: () => open(PROGRESS)
  });

  commands.addCommand(CommandIDs.openReview, {
    label: args => (args.isLauncher ? REVIEW_QUEUE.title : trans.__('Open Review Queue')),
    caption: REVIEW_QUEUE.caption,
    icon: args => (args.isLauncher ? kapIcon : undefined),
    // The queue tab of the KAP panel (./panel): no kernel, preview beside the rows.
    execute: () =>
      labShell ? commands.execute('kap-notes:review-queue') : offerJupyterLab(REVIEW_QUEUE.title)
  });

  commands.addCommand(CommandIDs.accessRequests, {
    label: () => requestsCommandLabel(waiting.count),
    caption: trans.__(
      'Approve or deny requests for access to your patients; accept proposed supervisors'
    ),
    execute: async () => {
      if (!labShell) {
        return offerJupyterLab(trans.__('Access requests'));
      }
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
    palette.addItem({ command: CommandIDs.newNote, category: CATEGORY });
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
    palette.addItem({ command: OPEN_OUTCOMES, category: CATEGORY });
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
    return trans.__('New KAP Form');
  }
  const title = sessionForm(args.form).title;
  return args.isLauncher ? title : trans.__('New %1 Form', title);
}

export default plugin;
