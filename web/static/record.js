// The inquiry record (询问笔录) of one interview: while the machine draft is being made,
// the transcription job's progress (record-pending.js); then the header, the rights
// notice, the 问/答 turns to correct (record-turns.js), saving each edit as a new
// version, the versions and their differences (record-versions.js), and sending the
// record to a party's phone to confirm (record-send.js). ?version=N shows N read-only.

import { api } from './api.js';
import { initI18n, onLangChange, t, formatDateTime, describeError } from './i18n.js';
import './record-text.js';
import { h, fill, say } from './dom.js';
import { startStaffPage, canChange } from './staff.js';
import { renderPending } from './record-pending.js';
import { TurnList, personText } from './record-turns.js';
import { HeaderForm } from './record-header.js';
import { OfficerSignature } from './record-officer.js';
import { mountVersions, versionHref } from './record-versions.js';
import { mountSend } from './record-send.js';
import { askReason } from './record-reason.js';
import './interview-text.js';

const $ = (id) => document.getElementById(id);
const interviewId = decodeURIComponent(location.pathname.split('/')[3] || '');
const base = `/api/interviews/${encodeURIComponent(interviewId)}`;
const PENDING_POLL_MS = 2000;
const REQUESTS_POLL_MS = 5000;

let user = null;
let interview = null;
let record = null; // the record answer shown
let wanted = null; // the version asked for with ?version=, or null for the latest
let dirty = false; // edits not saved yet
let timer = null;
let kept = null; // what was typed before a reload after someone else's save
let turns = null;
let headerForm = null;
let officer = null;
let versions = null;
let send = null;

function versionQuery() {
  const raw = new URLSearchParams(location.search).get('version');
  return raw && /^\d+$/.test(raw) ? Number(raw) : null;
}

function editable() {
  return canChange(user) && record.version === record.latest_version;
}

/** Run `work` in `ms`, once; a failure is shown and tried again (a bad network passes). */
function poll(ms, work) {
  clearTimeout(timer);
  timer = setTimeout(() => work()
    .then(() => say($('page-message'), ''))
    .catch((err) => {
      say($('page-message'), describeError(err));
      poll(Math.min(ms * 2, 60000), work);
    }), ms);
}

async function fetchRecord() {
  return api(`${base}/record${wanted === null ? '' : `?version=${wanted}`}`);
}

// ---- the record as a whole ------------------------------------------------------------

function renderHead() {
  const title = interview.title || t('iv.untitled', { date: formatDateTime(interview.created_at) });
  document.title = `${title} · ${t('rd.crumb')}`;
  $('rd-heading').textContent = t('rd.heading', { title });
  $('crumb-case').textContent = interview.case_number || t('common.none');
  $('crumb-case').href = `/cases/${encodeURIComponent(interview.case_id)}`;
  $('crumb-console').href = `/console/interviews/${encodeURIComponent(interviewId)}`;
  $('rd-console').href = `/console/interviews/${encodeURIComponent(interviewId)}`;
  $('rd-case').href = `/cases/${encodeURIComponent(interview.case_id)}`;
  const status = record ? record.status : 'pending';
  $('rd-status').textContent = t(`rd.status.${status}`);
  $('rd-status').className = `badge rd-${status}`;
  $('rd-status').dataset.status = status;
}

function renderVersionLine() {
  const drafted = !record.author;
  $('rd-version').textContent = t(drafted ? 'rd.version_line.machine' : 'rd.version_line', {
    n: record.version, time: formatDateTime(record.created_at),
    who: drafted ? '' : record.author.display_name || record.author.username,
  });
  $('rd-version').dataset.version = String(record.version);
  const old = record.version !== record.latest_version;
  const note = $('rd-readonly');
  note.hidden = !old && canChange(user);
  if (old) {
    fill(note, t('rd.readonly.old', { n: record.version, latest: record.latest_version }), ' ',
      h('a', { href: versionHref(record.latest_version, record.latest_version) }, t('rd.readonly.open_latest')));
  } else {
    note.textContent = t('rd.readonly.role');
  }
  $('rd-pdf').href = `${base}/record.pdf?version=${record.version}`;
}

function renderFacts() {
  const head = record.header;
  const fact = (key, value) => [h('dt', {}, t(key)), h('dd', {}, value || t('common.none'))];
  const list = (people) => people.join(t('rd.list_sep'));
  fill($('rd-facts'),
    fact('rd.fact.case_number', head.case_number),
    fact('rd.fact.case_title', head.case_title),
    fact('rd.fact.employer', head.employer),
    fact('rd.fact.time', t('rd.fact.span', { from: formatDateTime(head.started_at), to: formatDateTime(head.ended_at) })),
    fact('rd.fact.place', head.place),
    fact('rd.fact.inspectors', list((head.inspectors || []).map((p) => (p.badge ? t('rd.fact.badge', { name: p.name, badge: p.badge }) : p.name)))),
    fact('rd.fact.recorder', head.recorder),
    fact('rd.fact.interviewees', list((head.interviewees || []).map((p) => personText(p.name, p.role)))),
    fact('rd.fact.zone', head.time_zone || 'Asia/Shanghai'));
  $('rd-notice').textContent = record.notice;
  $('rd-closing').textContent = record.closing;
}

function renderKept() {
  const box = $('rd-kept');
  box.hidden = !kept;
  if (!kept) return;
  fill(box, h('h3', {}, t('rd.kept.title')), h('p', { class: 'muted' }, t('rd.kept.text')),
    h('ol', {}, kept.map((turn) => h('li', { class: 'pre' },
      t('rd.diff.turn', { kind: t(`rd.kind.${turn.kind}`), speaker: turn.speaker, text: turn.text })))));
}

/** Draw a record answer (turns included: the editor starts again from it). */
function show(next) {
  record = next;
  renderHead();
  $('pending').hidden = record.status !== 'pending';
  $('draft').hidden = record.status === 'pending';
  $('rd-pdf').hidden = record.status === 'pending';
  $('rd-verify').hidden = record.status === 'pending';
  if (record.status === 'pending') {
    renderPending(record.job, canChange(user));
    if (!record.job || record.job.state !== 'failed') poll(PENDING_POLL_MS, refreshPending);
    return;
  }
  renderVersionLine();
  renderFacts();
  turns.load(record, editable());
  headerForm.load(record.header, editable());
  officer.render(record, editable());
  dirty = false;
  $('save-bar').hidden = !editable();
  $('reload').hidden = true;
  renderKept();
  versions.render(record);
  send.render(record);
  pollRequests();
}

async function refreshPending() {
  show(await fetchRecord());
}

/** The states of versions, requests and answers anew; the turns (and any edits) stay. */
async function refreshState() {
  const fresh = await fetchRecord();
  for (const name of ['status', 'versions', 'requests', 'confirmations', 'latest_version']) record[name] = fresh[name];
  renderHead();
  versions.render(record);
  send.render(record);
  pollRequests();
}

/** Keep the request states fresh while a party has yet to answer. */
function pollRequests() {
  if (record.requests.some((r) => r.state === 'awaiting')) poll(REQUESTS_POLL_MS, refreshState);
}

// ---- saving ---------------------------------------------------------------------------

async function save(reason = '') {
  const body = { based_on: record.version, turns: turns.turns(), header: headerForm.value() };
  if (reason) body.correction_reason = reason;
  say($('save-message'), '');
  $('save').disabled = true;
  try {
    const saved = await api(`${base}/record/versions`, { method: 'POST', body });
    kept = null;
    show(saved);
    say($('save-message'), t('rd.saved', { n: saved.version }), 'ok');
  } catch (err) {
    onSaveError(err);
  } finally {
    $('save').disabled = false;
  }
}

function onSaveError(err) {
  if (err.status === 409 && err.code === 'record_confirmed') {
    askReason((reason) => save(reason));
  } else if (err.status === 409 && err.code === 'stale_version') {
    say($('save-message'), t('rd.stale'), 'warn');
    $('reload').hidden = false;
  } else {
    say($('save-message'), describeError(err));
  }
}

/** After someone else's save: the latest version in the editor, what was typed kept in sight. */
async function reloadLatest() {
  const before = new Set(record.turns.map((turn) => turn.text));
  const typed = turns.texts().filter((turn) => !before.has(turn.text));
  kept = typed.length ? typed : turns.texts();
  wanted = null;
  history.replaceState(history.state, '', location.pathname);
  show(await fetchRecord());
  say($('save-message'), '');
  $('rd-kept').scrollIntoView({ block: 'nearest' });
}

// ---- the rest -------------------------------------------------------------------------

async function verify() {
  const out = $('rd-verify-result');
  out.hidden = false;
  out.className = 'rd-verify';
  out.textContent = t('pb.verifying');
  try {
    const answer = await api(`${base}/record/verify`, { method: 'POST' });
    out.dataset.state = answer.ok ? 'ok' : 'bad';
    if (answer.ok) {
      out.className = 'alert ok';
      out.textContent = t('rd.verify.ok', { versions: answer.versions, answers: answer.confirmations });
    } else {
      out.className = 'alert error';
      fill(out, t('pb.verify.bad', { n: answer.problems.length }),
        h('ul', {}, answer.problems.map((problem) => h('li', { lang: 'en' }, problem))));
    }
  } catch (err) {
    out.dataset.state = 'error';
    out.className = 'alert error';
    out.textContent = describeError(err);
  }
}

async function retryJob(event) {
  event.currentTarget.disabled = true;
  try {
    await api(`${base}/record/retry`, { method: 'POST' });
    await refreshPending();
  } catch (err) {
    say($('page-message'), describeError(err));
  } finally {
    $('job-retry').disabled = false;
  }
}

function redraw() {
  renderHead();
  if (record.status === 'pending') {
    renderPending(record.job, canChange(user));
    return;
  }
  renderVersionLine();
  renderFacts();
  headerForm.render();
  officer.render();
  turns.render();
  renderKept();
  versions.render();
  send.render();
}

function wire() {
  turns = new TurnList($('turns'), { onChange: () => { dirty = true; } });
  headerForm = new HeaderForm($('rd-header-form'), { onChange: () => { dirty = true; } });
  officer = new OfficerSignature({ interviewId, user, onSigned: async () => show(await fetchRecord()) });
  versions = mountVersions({ table: $('versions'), form: $('diff-form'), output: $('diff'), interviewId });
  send = mountSend({
    form: $('send-form'), note: $('send-note'), message: $('send-message'), requests: $('requests'),
    answers: $('answers'), interviewId, editable: canChange(user),
    unsaved: () => dirty,
    onSent: refreshState,
  });
  $('save').addEventListener('click', () => save());
  $('reload').addEventListener('click', () => reloadLatest().catch((err) => say($('save-message'), describeError(err))));
  $('rd-verify').addEventListener('click', verify);
  $('job-retry').addEventListener('click', retryJob);
  window.addEventListener('beforeunload', (event) => {
    if (!dirty) return;
    event.preventDefault();
    event.returnValue = ''; // Chrome asks only when this is set
  });
  onLangChange(redraw);
}

async function main() {
  initI18n();
  user = await startStaffPage();
  wanted = versionQuery();
  interview = await api(base);
  wire();
  const first = await fetchRecord();
  $('record-view').hidden = false;
  show(first);
}

main()
  .catch((err) => say($('page-message'), describeError(err)))
  .finally(() => { $('loading').hidden = true; });
