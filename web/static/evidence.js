// A case's evidence, for legal staff and inspectors: every item in a table filtered by kind
// and text (evidence-table.js), each row opening into its details, hash and verification
// (evidence-items.js); the custody log (evidence-custody.js) and the export of a bundle
// that can be checked offline (evidence-export.js).

import { api } from './api.js';
import { initI18n, onLangChange, t, formatDateTime, describeError } from './i18n.js';
import { h, fill, say } from './dom.js';
import { startStaffPage } from './staff.js';
import { humanSize } from './evidence-text.js';
import { makeState } from './evidence-items.js';
import { renderTable, redrawItem, kindOptions } from './evidence-table.js';
import { verifyAll } from './evidence-verify.js';
import { loadCustody, chainState, eventTable } from './evidence-custody.js';
import { startDownload, followDownload } from './evidence-export.js';

const $ = (id) => document.getElementById(id);
const caseId = decodeURIComponent(location.pathname.split('/')[2] || '');

let theCase = null;
let state = null;
let custody = null;
let custodyError = '';
let exported = null; // {state, ...} of the last export, re-rendered on a language switch
let verifyProgress = null;

function renderCase() {
  const c = theCase;
  document.title = `${t('ev.crumb')} · ${c.number} · ${t('app.name')}`;
  const caseLink = $('crumb-case');
  caseLink.textContent = c.number;
  caseLink.href = `/cases/${encodeURIComponent(c.id)}`;
  fill($('case-heading'), h('span', { class: 'muted' }, c.number), ' ', c.title);
  const fact = (key, ...value) => [h('dt', {}, t(key)), h('dd', {}, ...value)];
  fill($('case-facts'),
    fact('case.employer', c.employer || t('common.none')),
    fact('case.status', h('span', { class: `badge s-${c.status}` }, t(`status.${c.status}`))),
    fact('case.created', formatDateTime(c.created_at)));
}

function renderList() {
  const shown = renderTable($('item-list'), state);
  const filtered = Boolean(state.filter.kind || state.filter.text);
  $('items-count').textContent = filtered
    ? t('ev.filter.shown', { shown: shown.length, total: state.items.length })
    : t('ev.count', { n: state.items.length });
  $('items-empty').hidden = state.items.length > 0;
  $('item-filters').hidden = state.items.length === 0;
  $('filter-clear').hidden = !filtered;
  kindOptions($('filter-kind'), state);
  $('verify-all').disabled = state.items.length === 0 || Boolean(verifyProgress && verifyProgress.running);
  renderVerifyProgress();
}

function setFilter(change) {
  Object.assign(state.filter, change);
  renderList();
}

/** `#item-<id>` (a custody row's or a derived item's link): that item's details, shown. */
function openFromHash() {
  if (!location.hash.startsWith('#item-')) return;
  const item = state.byId.get(location.hash.slice(6));
  if (!item) return;
  state.open.add(item.id);
  if (!document.getElementById(`row-${item.id}`)) state.filter = { kind: '', text: '' };
  $('filter-text').value = state.filter.text;
  renderList();
  const target = document.getElementById(`item-${item.id}`);
  if (target) {
    target.scrollIntoView();
    target.focus({ preventScroll: true });
  }
}

function renderCustody() {
  if (custodyError) {
    fill($('custody-state'), h('p', { class: 'alert error' }, custodyError));
    fill($('custody-log'));
    return;
  }
  if (!custody) return;
  $('custody-count').textContent = t('ev.custody.count', { n: custody.count });
  fill($('custody-state'), chainState(custody));
  fill($('custody-log'), eventTable(custody.events || [], state.byId));
}

async function refreshCustody() {
  try {
    custody = await loadCustody(caseId);
    custodyError = '';
  } catch (err) {
    custodyError = describeError(err);
  }
  renderCustody();
}

function renderVerifyProgress() {
  const el = $('verify-all-status');
  const p = verifyProgress;
  if (!p) {
    el.textContent = '';
    return;
  }
  let text = t('ev.verify.progress', { done: p.done, total: p.total });
  if (!p.running) {
    text = p.bad ? t('ev.verify.summary_bad', { bad: p.bad, total: p.total })
      : t('ev.verify.summary_ok', { total: p.total });
  }
  el.textContent = text;
  el.dataset.state = p.running ? 'running' : (p.bad ? 'bad' : 'ok');
}

async function verifyEverything() {
  const button = $('verify-all');
  button.disabled = true;
  verifyProgress = { running: true, done: 0, total: state.items.length, bad: 0 };
  const bad = await verifyAll(state.items, (item, result) => {
    state.results.set(item.id, result);
    redrawItem(item, state);
  }, (done, total) => {
    verifyProgress.done = done;
    verifyProgress.total = total;
    renderVerifyProgress();
  });
  verifyProgress = { ...verifyProgress, running: false, bad };
  renderVerifyProgress();
  button.disabled = false;
}

function renderExport() {
  const status = $('export-status');
  const bar = $('export-progress');
  const e = exported;
  if (!e) return;
  status.dataset.state = e.state;
  bar.hidden = e.state !== 'running';
  if (e.state === 'running') {
    const got = humanSize(e.received);
    if (e.total > 0) {
      // The ZIP is a little larger than the evidence in it: never claim 100% before the end.
      const pct = Math.min(99, Math.floor((e.received / e.total) * 100));
      bar.value = pct;
      say(status, t('ev.export.progress', { pct, got, total: humanSize(e.total) }), 'muted');
    } else {
      bar.removeAttribute('value');
      say(status, t('ev.export.progress_unknown', { got }), 'muted');
    }
  } else if (e.state === 'done') {
    status.dataset.bytes = String(e.size);
    status.dataset.name = e.name;
    say(status, t('ev.export.done', { name: e.name, size: humanSize(e.size) }), 'ok');
  } else if (e.state === 'handed') {
    say(status, t('ev.export.handed'), 'muted');
  } else {
    say(status, t('ev.export.failed', { detail: exportError(e.error) }), 'error');
  }
}

function exportError(err) {
  if (err.code === 'export_unseen') return t('ev.export.unseen');
  if (err.code === 'export_failed') return t('ev.export.broke', { detail: err.message });
  return describeError(err);
}

async function exportBundle() {
  const button = $('export');
  button.disabled = true;
  exported = { state: 'running', received: 0, total: 0 };
  renderExport();
  try {
    const ticket = await startDownload(caseId);
    const { name, size } = await followDownload(ticket, (received, total) => {
      exported = { state: 'running', received, total };
      renderExport();
    });
    exported = { state: 'done', name, size };
  } catch (err) {
    exported = err.code === 'export_elsewhere' ? { state: 'handed' } : { state: 'failed', error: err };
  }
  renderExport();
  button.disabled = false;
  await refreshCustody(); // the export is itself a custody event
}

async function main() {
  initI18n();
  await startStaffPage();
  const base = `/api/cases/${encodeURIComponent(caseId)}`;
  const [c, items] = await Promise.all([api(base), api(`${base}/evidence`)]);
  theCase = c;
  state = makeState(caseId, items || []);
  state.redraw = (item) => redrawItem(item, state);
  renderCase();
  renderList();
  $('evidence-view').hidden = false;
  $('verify-all').addEventListener('click', verifyEverything);
  $('export').addEventListener('click', exportBundle);
  $('item-filters').addEventListener('submit', (e) => e.preventDefault());
  $('filter-kind').addEventListener('change', (e) => setFilter({ kind: e.target.value }));
  $('filter-text').addEventListener('input', (e) => setFilter({ text: e.target.value }));
  $('filter-clear').addEventListener('click', () => {
    $('filter-text').value = '';
    setFilter({ kind: '', text: '' });
  });
  window.addEventListener('hashchange', openFromHash);
  onLangChange(() => { renderCase(); renderList(); renderCustody(); renderExport(); });
  await refreshCustody();
  openFromHash();
}

main()
  .catch((err) => say($('page-message'), describeError(err)))
  .finally(() => { $('loading').hidden = true; });
