// The correction of a confirmed version: a dialog that asks why (the server keeps the
// reason with the new version, and the party has to confirm again).

import { t } from './i18n.js';
import './record-text.js';
import { say } from './dom.js';

const $ = (id) => document.getElementById(id);

/** Ask for a correction reason; submit(reason) runs once one is given, never on cancel. */
export function askReason(submit) {
  const dialog = $('reason-dialog');
  const input = $('reason-input');
  say($('reason-message'), '');
  $('reason-form').onsubmit = (event) => {
    event.preventDefault();
    const reason = input.value.trim();
    if (!reason) {
      say($('reason-message'), t('rd.reason.missing'));
      input.focus();
      return;
    }
    dialog.close();
    submit(reason);
  };
  $('reason-cancel').onclick = () => dialog.close();
  dialog.showModal();
  input.focus();
}
