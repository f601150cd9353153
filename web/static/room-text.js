// Words shared by the console, the join page and the playback page: who someone is, what
// went wrong with the camera or the browser, and how a recording is doing, in the
// reader's language.

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
 * `err` (the browser's exception) fills in the detail of an unexpected failure; `button`
 * is the label of the button the help says to press again (a page's own).
 */
export function problemMessage(code, err = null, button = t('join.retry')) {
  if (code === 'unsupported' && inWeChat()) {
    return { title: t('media.unsupported.title'), text: t('media.wechat.text') };
  }
  const known = ['denied', 'nodevice', 'busy', 'insecure', 'unsupported'];
  const key = known.includes(code) ? code : 'failed';
  const detail = err ? `${err.name || 'Error'}${err.message ? `: ${err.message}` : ''}` : '';
  // `button`: the one the help tells the person to press, as this page words it.
  return { title: t(`media.${key}.title`), text: t(`media.${key}.text`, { detail, button }) };
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

// A segment is handed to the store as soon as it closes (every ~2 s): one waiting is the
// normal one in flight, and would otherwise turn a healthy indicator amber every other
// report. Two or more is a backlog.
const WAITING_BACKLOG = 2;

// The server's alarm codes (its messages are English detail, shown as a tooltip).
const ALARMS = new Set(['upload', 'database', 'spool', 'write', 'no_frames', 'codec', 'tap', 'worker']);

/** "上传失败，正在重试" for an alarm code of a recording's health. */
export function alarmLabel(code) {
  return t(ALARMS.has(code) ? `rec.alarm.${code}` : 'rec.alarm.other');
}

/**
 * How one live recording is doing, from its health (see rtc.js, `recording`):
 * {state: 'ok'|'waiting'|'alarm', text, title}; title holds the server's own words.
 */
export function recordingStatus(health) {
  const alarms = Array.isArray(health.alarms) ? health.alarms : [];
  if (alarms.length) {
    return {
      state: 'alarm',
      text: t('rec.alarm', { what: alarms.map((a) => alarmLabel(a.code)).join(t('rec.alarm.sep')) }),
      title: alarms.map((a) => a.message).join('\n'),
    };
  }
  if (health.waiting >= WAITING_BACKLOG) {
    const mb = ((Number(health.waiting_bytes) || 0) / 1e6).toFixed(1);
    return { state: 'waiting', text: t('rec.waiting', { n: health.waiting, mb }), title: '' };
  }
  // A party who left (or is reconnecting) is not being recorded: never say 录制中 for them.
  if (health.state === 'paused') return { state: 'paused', text: t('rec.state.paused'), title: '' };
  const state = t(`rec.state.${health.state}`);
  return { state: 'ok', text: t('rec.ok', { state, n: health.stored }), title: '' };
}
