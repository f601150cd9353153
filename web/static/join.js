// The invitation landing page. The token lives in the address (/j/<token>) and in this
// script's memory only: it is sent as a bearer to GET /api/invitation and never stored.

import { api } from './api.js';
import { initI18n, onLangChange, setLang, langChosen, t, formatDateTime } from './i18n.js';

const $ = (id) => document.getElementById(id);
const token = tokenFromPath();
let invitation = null;
let problem = null;

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

function renderProblem() {
  const retryable = problem === 'network';
  $('problem-title').textContent = t(retryable ? 'join.neterror.title' : `join.${problem}.title`);
  $('problem-text').textContent = t(retryable ? 'error.network' : `join.${problem}.text`);
  $('retry').hidden = !retryable;
  $('join-ok').hidden = true;
  $('join-problem').hidden = false;
}

function renderInvitation() {
  const inv = invitation;
  $('who-case').textContent = `${inv.case.number} ${inv.case.title}`;
  $('who-person').textContent = t('join.person', { name: inv.name, role: t(`party.${inv.role}`) });
  $('who-state').textContent = t(`join.state.${inv.interview.state}`);
  $('who-expires').textContent = formatDateTime(inv.expires_at);
  $('join-problem').hidden = true;
  $('join-ok').hidden = false;
}

function render() {
  if (problem) renderProblem();
  else if (invitation) renderInvitation();
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
      // Speak the interview's language unless the person already picked one.
      if (!langChosen() && invitation.interview.language === 'en') setLang('en', { remember: false });
    } catch (err) {
      problem = problemFor(err);
    }
  }
  $('join-checking').hidden = true;
  render();
  if (problem) $('problem-title').focus();
}

initI18n();
onLangChange(render);
$('retry').addEventListener('click', check);
check();
