// Words shared by the console and the join page: who someone is, and what went wrong
// with the camera or the browser, in the reader's language.

import { t } from './i18n.js';
import { inWeChat, mediaProblem } from './media.js';

const PARTY_ROLES = new Set(['worker', 'employer', 'witness']);

/** 劳动者 / 用人单位代表 / 证人 / 监察员 for a participant of the signalling protocol. */
export function roleLabel(participant) {
  const role = participant && participant.role;
  if (PARTY_ROLES.has(role)) return t(`party.${role}`);
  if (role === 'inspector' || role === 'legal' || role === 'admin') return t(`role.${role}`);
  return participant && participant.kind === 'staff' ? t('role.inspector') : t('console.someone');
}

/** "张三（劳动者）" */
export function who(participant) {
  const name = (participant && participant.name) || t('console.someone');
  return t('room.who', { name, role: roleLabel(participant) });
}

/**
 * {title, text} for a problem code from media.js (callProblem or mediaProblem).
 * `err` (the browser's exception) fills in the detail of an unexpected failure.
 */
export function problemMessage(code, err = null) {
  if (code === 'unsupported' && inWeChat()) {
    return { title: t('media.unsupported.title'), text: t('media.wechat.text') };
  }
  const known = ['denied', 'nodevice', 'busy', 'insecure', 'unsupported'];
  const key = known.includes(code) ? code : 'failed';
  const detail = err ? `${err.name || 'Error'}${err.message ? `: ${err.message}` : ''}` : '';
  return { title: t(`media.${key}.title`), text: t(`media.${key}.text`, { detail }) };
}

/**
 * Show a camera/microphone problem in the box with id `prefix` (its title and text in
 * `prefix-title` and `prefix-text`), or hide the box when `err` is null.
 */
export function renderMediaProblem(prefix, err) {
  const box = document.getElementById(prefix);
  box.hidden = !err;
  if (!err) return;
  const { title, text } = problemMessage(mediaProblem(err), err);
  document.getElementById(`${prefix}-title`).textContent = title;
  document.getElementById(`${prefix}-text`).textContent = text;
}
