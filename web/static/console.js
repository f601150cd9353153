// The inspector's console for one interview: what it is, joining the live room
// (console-room.js), ending the interview, and its invitation links (invites.js).

import { api, goToLogin } from './api.js';
import { initI18n, onLangChange, t, formatDateTime, describeError } from './i18n.js';
import { h, fill, say } from './dom.js';
import { startStaffPage, canChange } from './staff.js';
import { mountInvites } from './invites.js';
import { callProblem, mediaProblem, openCameraAndMic, wakeAudio } from './media.js';
import { problemMessage } from './room-text.js';
import { ConsoleRoom } from './console-room.js';
import { Snapshots } from './console-snapshot.js';
import { SnapshotPreviews } from './console-snapshot-previews.js';
import { Stage } from './console-stage.js';
import './interview-text.js';

const $ = (id) => document.getElementById(id);
const interviewId = decodeURIComponent(location.pathname.split('/')[3] || '');

let interview = null;
let editable = false;
let invites = null;
let room = null; // the ConsoleRoom while joined
let stage = null; // its Stage (one party enlarged)
let previews = null; // the snapshots stored, kept across leaving and joining again
let joinProblem = null; // {code, err} of the last failed join, re-rendered on a language switch

function render() {
  const iv = interview;
  const title = iv.title || t('iv.untitled', { date: formatDateTime(iv.created_at) });
  document.title = `${title} · ${t('console.crumb')}`;
  $('iv-heading').textContent = title;
  const shown = iv.cancelled_at ? 'cancelled' : iv.state;
  $('iv-state').textContent = t(`state.${shown}`);
  $('iv-state').className = `badge s-${iv.state}`;
  const crumb = $('crumb-case');
  crumb.textContent = iv.case_number || t('common.none');
  crumb.href = `/cases/${encodeURIComponent(iv.case_id)}`;
  const fact = (key, value) => [h('dt', {}, t(key)), h('dd', {}, value)];
  fill($('iv-facts'),
    fact('console.case', iv.case_number || t('common.none')),
    fact('console.state', t(`state.${iv.state}`)));
  const ended = iv.state === 'ended';
  $('join').hidden = ended || room !== null;
  $('join').disabled = ended || !editable;
  $('leave').hidden = room === null;
  // Nobody has joined a scheduled interview (joining makes it live): nothing to end, an
  // empty record would follow; it can be called off instead.
  $('end').hidden = iv.state !== 'live' || !editable;
  $('cancel').hidden = iv.state !== 'scheduled' || !editable || room !== null;
  $('playback').hidden = iv.state === 'scheduled'; // nothing is recorded before it goes live
  $('playback').href = `/console/interviews/${encodeURIComponent(iv.id)}/playback`;
  $('record').hidden = !ended; // the record is made once the interview has ended
  $('record').href = `/console/interviews/${encodeURIComponent(iv.id)}/record`;
  renderJoinProblem();
  renderWaiting();
}

function renderJoinProblem() {
  const box = $('join-message');
  if (interview && interview.state === 'ended') {
    box.className = 'alert warn';
    $('join-message-title').textContent = t('console.ended');
    $('join-message-text').textContent = '';
    box.hidden = false;
    return;
  }
  box.hidden = !joinProblem;
  if (!joinProblem) return;
  box.className = 'alert error';
  const { title, text } = joinProblem.message();
  $('join-message-title').textContent = title;
  $('join-message-text').textContent = text;
}

function showProblem(message) {
  joinProblem = message ? { message } : null;
  renderJoinProblem();
}

async function join() {
  const button = $('join');
  wakeAudio(); // inside the click: lets the speaking indicators and the sound start
  showProblem(null);
  const problem = callProblem();
  if (problem) {
    showProblem(() => problemMessage(problem, null, t('console.join')));
    return;
  }
  button.disabled = true;
  let stream;
  try {
    $('room-status').hidden = false;
    $('room-status').textContent = t('room.opening');
    stream = await openCameraAndMic({ width: 640, height: 480 });
  } catch (err) {
    $('room-status').hidden = true;
    showProblem(() => problemMessage(mediaProblem(err), err, t('console.join')));
    button.disabled = false;
    return;
  }
  $('room').hidden = false;
  const snapshots = new Snapshots({ interviewId,
    onStored: (item, tile) => previews.add(item, tile.participant.name) });
  stage = new Stage($('tiles'));
  room = new ConsoleRoom({ interviewId, stream, onWelcome, onClosed,
    onTile: (tile) => { stage.attach(tile); snapshots.attach(tile); } });
  render();
}

/** The server says what state the interview is in now (joining makes it live). */
function onWelcome({ interview: live }) {
  if (live && live.state && live.state !== interview.state) {
    interview = { ...interview, state: live.state };
    render();
  }
}

function onClosed({ reason, code }) {
  room = null;
  if (stage) stage.stop();
  stage = null;
  $('room').hidden = true;
  if (reason === 'ended' || code === 'interview_ended') {
    interview = { ...interview, state: 'ended' };
    if (invites) invites.setOpen(false);
  } else if (code === 'account_disabled') {
    showProblem(() => ({ title: t('room.closed'), text: t('console.disabled') }));
  } else if (code === 'unauthenticated') {
    goToLogin();
    return;
  } else if (reason === 'replaced') {
    showProblem(() => ({ title: t('room.closed'), text: t('console.replaced') }));
  } else if (reason === 'fatal') {
    showProblem(() => ({ title: t('room.closed'), text: describeError({ status: code === 'not_found' ? 404 : 403, code, message: code }) }));
  }
  $('room-status').hidden = true; // the ended note or the problem says it all
  render();
}

function leave() {
  if (room) room.leave();
}

async function end(event) {
  if (!window.confirm(t('iv.confirm.end'))) return;
  const button = event.currentTarget;
  button.disabled = true;
  try {
    const updated = await api(`/api/interviews/${encodeURIComponent(interviewId)}/end`, { method: 'POST' });
    interview = { ...interview, ...updated };
    if (invites) invites.setOpen(false);
    // The server also says `ended` to everyone connected, us included; leave anyway in
    // case our socket is between reconnects and never hears it.
    if (room) room.leave();
    render();
    $('iv-heading').focus();
  } catch (err) {
    say($('page-message'), describeError(err));
  } finally {
    button.disabled = false;
  }
}

async function cancel() {
  const reason = window.prompt(t('iv.cancel.prompt'));
  if (!reason || !reason.trim()) return;
  try {
    const updated = await api(`/api/interviews/${encodeURIComponent(interviewId)}/cancel`, { method: 'POST', body: { reason: reason.trim() } });
    interview = { ...interview, ...updated };
    if (invites) invites.setOpen(false);
    render();
  } catch (err) {
    say($('page-message'), describeError(err));
  }
}

// Before the inspector joins: who is already connected and waiting (asked every few seconds).
const WAITING_POLL_MS = 4000;

function renderWaiting() {
  const box = $('waiting');
  const waiting = room === null && interview.state !== 'ended'
    ? (interview.participants || []).filter((p) => p.kind === 'party' && p.connected) : [];
  box.hidden = waiting.length === 0;
  if (waiting.length) {
    box.textContent = t('console.waiting', { who: waiting.map((p) => `${p.name}（${t(`party.${p.role}`)}）`).join('、') });
  }
}

async function watchWaiting() {
  if (room === null && interview.state !== 'ended' && document.visibilityState === 'visible') {
    try {
      const fresh = await api(`/api/interviews/${encodeURIComponent(interviewId)}`);
      interview = { ...interview, participants: fresh.participants, state: fresh.state };
    } catch (err) {
      // the next look tries again; the page's other parts say what is wrong
    }
    render();
  }
  setTimeout(watchWaiting, WAITING_POLL_MS);
}

async function main() {
  initI18n();
  const user = await startStaffPage();
  editable = canChange(user);
  interview = await api(`/api/interviews/${encodeURIComponent(interviewId)}`);
  render();
  $('join').addEventListener('click', join);
  $('leave').addEventListener('click', leave);
  $('end').addEventListener('click', end);
  $('cancel').addEventListener('click', cancel);
  invites = mountInvites($('invites'), interviewId, { editable, open: interview.state !== 'ended' });
  previews = new SnapshotPreviews();
  // The earlier snapshots are a help, not the page: without them it works as before.
  previews.load(interview.case_id, interviewId).catch(() => {});
  $('console-view').hidden = false;
  onLangChange(render);
  // Closing the tab is leaving: say so at once rather than letting the server time out.
  window.addEventListener('pagehide', leave);
  setTimeout(watchWaiting, WAITING_POLL_MS);
}

main()
  .catch((err) => say($('page-message'), describeError(err)))
  .finally(() => { $('loading').hidden = true; });
