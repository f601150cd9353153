// The case list, and the "new case" form for inspectors.

import { api } from './api.js';
import { initI18n, onLangChange, t, formatDateTime, describeError } from './i18n.js';
import { h, fill, say, busy } from './dom.js';
import { startStaffPage, canChange } from './staff.js';

const $ = (id) => document.getElementById(id);
let cases = [];

function caseRow(c) {
  const cell = (labelKey, ...content) => h('td', { 'data-label': t(labelKey) }, ...content);
  return h('tr', {},
    cell('cases.col.number', h('a', { href: `/cases/${encodeURIComponent(c.id)}` }, c.number)),
    cell('cases.col.title', c.title),
    cell('cases.col.employer', c.employer || t('common.none')),
    cell('cases.col.status', h('span', { class: `badge s-${c.status}` }, t(`status.${c.status}`))),
    cell('cases.col.updated', formatDateTime(c.updated_at || c.created_at)),
  );
}

function render() {
  const sorted = [...cases].sort((a, b) => String(b.updated_at).localeCompare(String(a.updated_at)));
  fill($('cases-body'), sorted.map(caseRow));
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
  try {
    cases = await api('/api/cases');
    render();
    onLangChange(render);
  } catch (err) {
    say($('cases-message'), describeError(err));
  } finally {
    $('cases-loading').hidden = true;
  }
}

main().catch((err) => say($('cases-message'), describeError(err)));
