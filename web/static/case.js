// One case: details and status, who has access, and its interviews (interviews.js).

import { api } from './api.js';
import { initI18n, onLangChange, t, formatDateTime, describeError } from './i18n.js';
import { h, fill, say, busy } from './dom.js';
import { startStaffPage, canChange } from './staff.js';
import { mountInterviews } from './interviews.js';
import './interview-text.js';
import './evidence-text.js'; // the "证据与导出" link's words

const $ = (id) => document.getElementById(id);
const caseId = decodeURIComponent(location.pathname.split('/')[2] || '');
// Allowed moves, as the server enforces them: intake→investigating→closed, intake→closed.
const NEXT_STATUS = { intake: ['investigating', 'closed'], investigating: ['closed'], closed: [] };

let theCase = null;
let editable = false;

function renderDetails() {
  const c = theCase;
  document.title = `${c.number} · ${t('app.name')}`;
  $('crumb').textContent = c.number;
  $('evidence-link').href = `/cases/${encodeURIComponent(c.id)}/evidence`;
  fill($('case-heading'), h('span', { class: 'muted' }, c.number), ' ', c.title);
  const fact = (key, ...value) => [h('dt', {}, t(key)), h('dd', {}, ...value)];
  fill($('case-facts'),
    fact('case.number', c.number),
    fact('case.employer', c.employer || t('common.none')),
    fact('case.status', h('span', { class: `badge s-${c.status}` }, t(`status.${c.status}`))),
    fact('case.description', h('span', { class: 'pre' }, c.description || t('common.none'))),
    fact('case.created', formatDateTime(c.created_at)),
    fact('case.updated', formatDateTime(c.updated_at)),
  );
  const moves = editable ? NEXT_STATUS[c.status] || [] : [];
  fill($('status-actions'), moves.map((status) => h('button', {
    type: 'button',
    class: status === 'closed' ? 'danger' : 'primary',
    onclick: (event) => changeStatus(event.currentTarget, status),
  }, t(`case.to.${status}`))));
}

function renderMembers() {
  const members = theCase.members || [];
  fill($('members-list'), members.length
    ? members.map((m) => h('li', {},
      m.display_name || m.username, ' ',
      h('span', { class: 'muted' }, `(${m.username})`), ' ',
      h('span', { class: 'badge' }, t(`role.${m.role}`))))
    : h('li', { class: 'muted' }, t('members.empty')));
}

async function patchCase(body, messageEl) {
  say(messageEl, '');
  const updated = await api(`/api/cases/${encodeURIComponent(caseId)}`, { method: 'PATCH', body });
  theCase = { ...theCase, ...updated, interviews: theCase.interviews };
  renderDetails();
  renderMembers();
}

async function changeStatus(button, status) {
  if (status === 'closed' && !window.confirm(t('case.confirm.closed'))) return;
  button.disabled = true;
  try {
    await patchCase({ status }, $('status-message'));
    $('case-heading').focus();
  } catch (err) {
    say($('status-message'), describeError(err));
    button.disabled = false;
  }
}

function fillEditForm() {
  const form = $('edit-form');
  form.title.value = theCase.title || '';
  form.employer.value = theCase.employer || '';
  form.description.value = theCase.description || '';
}

async function saveEdit(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const message = $('edit-message');
  const body = {
    title: form.title.value.trim(),
    employer: form.employer.value.trim(),
    description: form.description.value.trim(),
  };
  if (!body.title) {
    say(message, t('cases.new.missing'));
    form.title.focus();
    return;
  }
  try {
    await busy(form, () => patchCase(body, message));
    say(message, t('case.saved'), 'ok');
  } catch (err) {
    say(message, describeError(err));
  }
}

async function grantAccess(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const message = $('grant-message');
  const username = form.username.value.trim();
  if (!username) {
    form.username.focus();
    return;
  }
  say(message, '');
  try {
    const member = await busy(form, () => api(`/api/cases/${encodeURIComponent(caseId)}/members`, {
      method: 'POST',
      body: { username },
    }));
    const others = (theCase.members || []).filter((m) => m.username !== member.username);
    theCase.members = [...others, member];
    renderMembers();
    form.reset();
    say(message, t('members.granted', { name: member.display_name || member.username }), 'ok');
  } catch (err) {
    say(message, describeError(err));
  }
}

function showEditing() {
  $('case-edit').hidden = false;
  $('grant-box').hidden = false;
  $('schedule-box').hidden = false;
  fillEditForm();
  $('edit-form').addEventListener('submit', saveEdit);
  $('grant-form').addEventListener('submit', grantAccess);
}

async function main() {
  initI18n();
  const user = await startStaffPage();
  theCase = await api(`/api/cases/${encodeURIComponent(caseId)}`);
  editable = canChange(user);
  $('case-heading').setAttribute('tabindex', '-1');
  renderDetails();
  renderMembers();
  if (editable) showEditing();
  else $('readonly-note').hidden = false;
  mountInterviews({ caseId, interviews: theCase.interviews || [], editable });
  $('case-view').hidden = false;
  onLangChange(() => { renderDetails(); renderMembers(); });
}

main()
  .catch((err) => say($('page-message'), describeError(err)))
  .finally(() => { $('loading').hidden = true; });
