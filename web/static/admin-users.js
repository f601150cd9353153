// Staff accounts, for administrators: the list, and disable / enable / unlock / reset
// password (the same actions as `zeromeet user …`).

import { api } from './api.js';
import { initI18n, onLangChange, t, formatDateTime, describeError } from './i18n.js';
import { h, fill, say, busy } from './dom.js';
import { startStaffPage } from './staff.js';
import './admin-text.js';

const $ = (id) => document.getElementById(id);
let accounts = [];
let me = null;
let resetting = null; // the username whose password the form sets

const path = (username, action) => `/api/admin/users/${encodeURIComponent(username)}/${action}`;

function stateBadge(a) {
  const cls = a.state === 'active' ? 's-active' : 's-revoked';
  return h('span', { class: `badge ${cls}` }, t(`adm.state.${a.state}`, { n: a.failed_logins }));
}

function actionButton(a, action, key, extra = {}) {
  const name = a.display_name || a.username;
  return h('button', {
    type: 'button', class: `small ${extra.danger ? 'danger' : ''}`.trim(),
    'aria-label': t('adm.action_label', { action: t(key), name }),
    onclick: (event) => act(event.currentTarget, a, action),
  }, t(key));
}

function actions(a) {
  const own = me && a.username === me.username;
  return h('div', { class: 'actions' },
    a.state === 'disabled'
      ? actionButton(a, 'enable', 'adm.enable')
      : !own && actionButton(a, 'disable', 'adm.disable', { danger: true }),
    a.state === 'locked' && actionButton(a, 'unlock', 'adm.unlock'),
    actionButton(a, 'password', 'adm.reset'));
}

function row(a) {
  const cell = (labelKey, ...content) => h('td', { 'data-label': t(labelKey) }, ...content);
  const own = me && a.username === me.username;
  return h('tr', { 'data-username': a.username },
    cell('adm.col.username', a.username, own ? ` ${t('adm.you')}` : ''),
    cell('adm.col.name', a.display_name || t('common.none')),
    cell('adm.col.role', t(`role.${a.role}`)),
    cell('adm.col.state', stateBadge(a)),
    cell('adm.col.last_login', a.last_login_at ? formatDateTime(a.last_login_at) : t('adm.never')),
    cell('adm.col.actions', actions(a)));
}

function render() {
  fill($('accounts-body'), accounts.map(row));
  $('accounts-table').hidden = false;
  $('accounts-count').textContent = t('adm.count', { n: accounts.length });
  if (resetting) {
    const a = accounts.find((x) => x.username === resetting);
    $('reset-heading').textContent = t('adm.reset.heading', { name: a ? a.display_name || a.username : resetting });
  }
}

function replace(updated) {
  accounts = accounts.map((a) => (a.username === updated.username ? updated : a));
  render();
}

function failure(err) {
  return t(`adm.error.${err.code}`) !== `adm.error.${err.code}` ? t(`adm.error.${err.code}`) : describeError(err);
}

async function act(button, a, action) {
  const name = a.display_name || a.username;
  if (action === 'password') {
    openReset(a.username);
    return;
  }
  if (action === 'disable' && !window.confirm(t('adm.confirm.disable', { name }))) return;
  say($('accounts-message'), '');
  say($('accounts-done'), '', 'ok');
  button.disabled = true;
  try {
    replace(await api(path(a.username, action), { method: 'POST' }));
    say($('accounts-done'), t(`adm.done.${action}`, { name }), 'ok');
  } catch (err) {
    button.disabled = false;
    say($('accounts-message'), failure(err));
  }
}

function openReset(username) {
  resetting = username;
  $('reset').hidden = false;
  $('reset-form').reset();
  say($('reset-message'), '');
  render();
  $('reset-password').focus();
}

function closeReset() {
  resetting = null;
  $('reset').hidden = true;
}

async function submitReset(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const password = form.password.value;
  if (password.length < 8) {
    say($('reset-message'), t('adm.reset.short'));
    form.password.focus();
    return;
  }
  const username = resetting;
  const a = accounts.find((x) => x.username === username);
  try {
    const updated = await busy(form, () => api(path(username, 'password'), { method: 'POST', body: { password } }));
    closeReset();
    replace(updated);
    say($('accounts-done'), t('adm.done.password', { name: (a && a.display_name) || username }), 'ok');
  } catch (err) {
    say($('reset-message'), failure(err));
  }
}

async function main() {
  initI18n();
  me = await startStaffPage();
  if (me.role !== 'admin') {
    say($('accounts-message'), t('adm.only_admins'));
    return;
  }
  $('reset-form').addEventListener('submit', submitReset);
  $('reset-cancel').addEventListener('click', closeReset);
  try {
    accounts = await api('/api/admin/users');
    render();
    onLangChange(render);
  } catch (err) {
    say($('accounts-message'), describeError(err));
  } finally {
    $('accounts-loading').hidden = true;
  }
}

main()
  .catch((err) => say($('accounts-message'), describeError(err)))
  .finally(() => { $('accounts-loading').hidden = true; });
