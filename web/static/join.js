// The invitation landing page. The token lives in the address (/j/<token>) and in this
// script's memory only: it is sent as a bearer to GET /api/invitation, in the `hello` of
// the interview's WebSocket, and never stored. One tap on "join" starts the call
// (join-room.js). A record sent to the party to confirm shows as a card (join-record.js).

import { api } from './api.js';
import { initI18n, onLangChange, setLang, langChosen, t, formatDateTime, setTimeZone } from './i18n.js';
import { callProblem, mediaProblem, openCameraAndMic } from './media.js';
import { problemMessage } from './room-text.js';
import { PhoneRoom } from './join-room.js';
import { PartyRecord } from './join-record.js';
import { PartyUploads } from './join-upload.js';
import './join-text.js';

const $ = (id) => document.getElementById(id);
const token = tokenFromPath();
let invitation = null;
let problem = null; // invalid | expired | revoked | network | ended | cancelled | replaced
let note = null; // () => {title, text}: why joining failed (camera, browser), shown by the button
let room = null;
const record = new PartyRecord(token);
const uploads = new PartyUploads(token);

function tokenFromPath() {
  const match = location.pathname.match(/^\/j\/([^/]+)\/?$/);
  if (!match) return '';
  try {
    return decodeURIComponent(match[1]);
  } catch (_) {
    return '';
  }
}

function problemFor(err) {
  if (err.code === 'invitation_expired') return 'expired';
  if (err.code === 'invitation_revoked') return 'revoked';
  if (err.status === 401 || err.status === 404 || err.status === 410) return 'invalid';
  return 'network';
}

/** What a refusal on the WebSocket means for the person holding the phone. */
function problemForCode(code) {
  if (code === 'invitation_expired') return 'expired';
  if (code === 'invitation_revoked') return 'revoked';
  if (code === 'interview_ended') return 'ended';
  return 'invalid';
}

function renderProblem() {
  const network = problem === 'network';
  $('join-problem').classList.toggle('is-done', problem === 'ended' || problem === 'cancelled');
  $('problem-title').textContent = t(network ? 'join.neterror.title' : `join.${problem}.title`);
  const reason = invitation && invitation.interview.cancel_reason;
  $('problem-text').textContent = t(network ? 'error.network' : `join.${problem}.text`, { reason: reason || '' });
  const retry = $('retry');
  retry.hidden = !network && problem !== 'replaced';
  retry.dataset.i18n = problem === 'replaced' ? 'join.rejoin' : 'join.retry';
  retry.textContent = t(retry.dataset.i18n);
  $('join-ok').hidden = true;
  $('join-problem').hidden = false;
}

function renderInvitation() {
  const inv = invitation;
  const ended = inv.interview.state === 'ended';
  const iv = inv.interview;
  $('who-bureau').textContent = inv.bureau.name;
  $('who-inspectors').textContent = inv.inspectors.join('、') || t('common.none');
  $('who-purpose').textContent = iv.purpose || t('join.purpose.none');
  $('who-when').textContent = iv.scheduled_for ? formatDateTime(iv.scheduled_for) : t('join.when.none');
  $('who-phone').textContent = inv.bureau.phone;
  $('who-phone').href = `tel:${inv.bureau.phone.replace(/[^0-9+]/g, '')}`;
  $('who-case').textContent = inv.case.number;
  $('who-person').textContent = t('join.person', { name: inv.name, role: t(`party.${inv.role}`) });
  $('who-state').textContent = t(iv.cancelled ? 'join.state.cancelled' : `join.state.${iv.state}`);
  $('who-expires').textContent = formatDateTime(inv.expires_at);
  const button = $('join');
  button.disabled = ended || room !== null || callProblem() !== null;
  button.dataset.i18n = ended ? 'join.button.ended' : 'join.button';
  button.textContent = t(button.dataset.i18n);
  const shown = note && note();
  $('join-note').hidden = !shown;
  if (shown) {
    $('join-note-title').textContent = shown.title;
    $('join-note-text').textContent = shown.text;
  }
  $('join-problem').hidden = true;
  $('join-ok').hidden = false;
}

function render() {
  if (problem) renderProblem();
  else if (invitation) renderInvitation();
  if (invitation) record.place(invitation.interview.state === 'ended');
  record.render();
  // Uploads go on after the interview has ended, while the link itself is valid.
  const usable = invitation && (!problem || problem === 'ended' || problem === 'network');
  uploads.setCase(usable ? invitation.case.id : null);
}

async function check() {
  $('join-checking').hidden = false;
  $('join-problem').hidden = true;
  problem = null;
  if (!token) {
    problem = 'invalid';
  } else {
    try {
      invitation = await api('/api/invitation', { bearer: token, redirectOn401: false });
      setTimeZone(invitation.time_zone); // the bureau's, as its records write times
      // An interview that is over is not one to join: thank the party, say what comes next.
      if (invitation.interview.cancelled) problem = 'cancelled';
      else if (invitation.interview.state === 'ended') problem = 'ended';
      // Speak the interview's language unless the person already picked one.
      if (!langChosen() && invitation.interview.language === 'en') setLang('en', { remember: false });
    } catch (err) {
      problem = problemFor(err);
    }
  }
  $('join-checking').hidden = true;
  const blocker = callProblem();
  if (blocker) note = () => problemMessage(blocker, null, t('join.button'));
  render();
  if (problem && problem !== 'ended' && problem !== 'cancelled') $('problem-title').focus();
  else if (problem !== 'cancelled') record.load();
  watchForRecord();
}

// After the end the record is on its way: look for it now and then while the page is in
// view, so that a party who keeps the page open sees it within seconds of it being sent.
const RECORD_POLL_MS = 5000;
let recordTimer = null;

function watchForRecord() {
  // Until one waits for an answer: a poll must never redraw a record being read and signed.
  const pending = !record.record || record.record.state !== 'awaiting';
  const waiting = invitation && problem === 'ended' && pending && document.visibilityState === 'visible';
  if (waiting && recordTimer === null) {
    recordTimer = setInterval(() => { record.load().then(watchForRecord); }, RECORD_POLL_MS);
  } else if (!waiting && recordTimer !== null) {
    clearInterval(recordTimer);
    recordTimer = null;
  }
}

async function join() {
  const button = $('join');
  if (callProblem()) return;
  button.disabled = true;
  note = null;
  render();
  let stream;
  try {
    button.textContent = t('room.opening');
    stream = await openCameraAndMic({ facingMode: 'user', width: 640, height: 480 });
  } catch (err) {
    const code = mediaProblem(err);
    note = () => problemMessage(code, err, t('join.button'));
    render();
    $('join-note').scrollIntoView({ block: 'nearest' });
    return;
  }
  $('main').hidden = true;
  room = new PhoneRoom({ interviewId: invitation.interview.id, token, stream, onClosed });
}

function onClosed({ reason, code }) {
  room = null;
  $('main').hidden = false;
  if (reason === 'left') { // hung up: the invitation again, with the join button to come back
    render();
    return;
  }
  if (reason === 'ended' || reason === 'replaced') problem = reason;
  else problem = problemForCode(code);
  if (problem === 'ended') invitation.interview.state = 'ended';
  render();
  $('problem-title').focus();
  watchForRecord();
}

function retry() {
  if (problem === 'replaced') {
    problem = null;
    render();
    join();
  } else {
    check();
  }
}

initI18n();
onLangChange(render);
$('retry').addEventListener('click', retry);
$('join').addEventListener('click', join);
window.addEventListener('pagehide', () => { if (room) room.leave(); });
// Back from the SMS or WeChat that said a record is ready: look again.
document.addEventListener('visibilitychange', () => {
  const usable = !problem || problem === 'ended';
  if (document.visibilityState === 'visible' && invitation && usable) record.load();
  watchForRecord();
});
check();
window.__zmReady = true; // legacy.js: the modules ran, no "use another browser" note
