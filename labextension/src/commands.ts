/**
 * The ids of the commands the plugin registers (./index). Pure module: schema/plugin.json's
 * menu and shortcuts name these ids, and a node test checks they match.
 */
export namespace CommandIDs {
  export const unlock = 'kap-notes:unlock';
  export const lock = 'kap-notes:lock';
  export const openForm = 'kap-notes:open-form';
  export const newNote = 'kap-notes:new-note';
  export const openNote = 'kap-notes:open-note';
  export const openProgress = 'kap-notes:open-progress';
  export const openReview = 'kap-notes:open-review';
  export const accessRequests = 'kap-notes:access-requests';
}
