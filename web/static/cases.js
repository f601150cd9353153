// The case list, and the "new case" form for inspectors.

import { api } from './api.js';
import { initI18n, onLangChange, t, formatDateTime, describeError } from './i18n.js';
import { h, fill, say, busy } from './dom.js';
import { startStaffPage, canChange } from './staff.js';
import './cases-text.js';

const $ = (id) => document.getElementById(id);
let cases = [];

function caseRow(c) {
  const cell = (labelKey, ...content) => h('td', { 'data-label': t(labelKey) }, ...content);
  return h('tr', {},
    cell('cases.col.number', h('a', { href: `/cases/${encodeURIComponent(c.id)}` }, c.number)),
    cell('cases.col.title', c.title),
    cell('cases.col.employer', c.employer || t('common.none')),
    cell('cases.col.status', h('span', { class: `badge s-${c.status}` }, t(`status.${c.status}`))),
    cell('cases.col.activity', formatDateTime(c.last_activity_at || c.updated_at || c.created_at)),
  );
}

function render() {
  // The server sends them most recently active first.
  fill($('cases-body'), cases.map(caseRow));
  $('cases-table').hidden = cases.length === 0;
  $('cases-empty').hidden = cases.length !== 0;
  $('cases-count').textContent = t('cases.count', { n: cases.length });
}

async function createCase(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const message = $('new-case-message');
  const title = form.title.value.trim();
  if (!title) {
    say(message, t('cases.new.missing'));
    form.title.focus();
    return;
  }
  const body = { title };
  for (const field of ['employer', 'description']) {
    const value = form[field].value.trim();
    if (value) body[field] = value;
  }
  say(message, '');
  try {
    const created = await busy(form, () => api('/api/cases', { method: 'POST', body }));
    location.assign(`/cases/${encodeURIComponent(created.id)}`);
  } catch (err) {
    say(message, describeError(err));
  }
}

async function main() {
  initI18n();
  const user = await startStaffPage();
  if (canChange(user)) {
    $('new-case').hidden = false;
    $('new-case-form').addEventListener('submit', createCase);
  }
  await load();
  onLangChange(render);
  const form = $('case-filter');
  let typing = null;
  form.addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(load, 250); });
  form.addEventListener('submit', (event) => { event.preventDefault(); load(); });
}

function query() {
  const form = $('case-filter');
  const params = new URLSearchParams();
  if (form.q.value.trim()) params.set('q', form.q.value.trim());
  if (form.status.value) params.set('status', form.status.value);
  if (form.member.value) params.set('member', form.member.value);
  if (form.awaiting_signature.checked) params.set('awaiting_signature', '1');
  const text = params.toString();
  return text ? `?${text}` : '';
}

let members = null;

async function load() {
  try {
    const asked = query();
    const found = await api(`/api/cases${asked}`);
    if (asked !== query()) return; // a newer filter is on its way
    cases = found;
    if (members === null) fillMembers(found);
    render();
  } catch (err) {
    say($('cases-message'), describeError(err));
  } finally {
    $('cases-loading').hidden = true;
  }
}

/** The member filter offers the people on the caller's cases (from the unfiltered list). */
function fillMembers(all) {
  members = new Map();
  for (const c of all) for (const m of c.members) members.set(m.username, m.display_name || m.username);
  const select = $('filter-member');
  for (const [username, name] of [...members].sort((a, b) => a[1].localeCompare(b[1]))) {
    select.append(h('option', { value: username }, name));
  }
}

main().catch((err) => say($('cases-message'), describeError(err)));
