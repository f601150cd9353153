// Sending a record to a party's phone for confirmation: the party is picked from the
// interview's active invitations; below, every request sent with its state, and every
// answer (confirmed with a signature, or refused with a reason).

import { api } from './api.js';
import { t, formatDateTime, describeError } from './i18n.js';
import './record-text.js';
import { h, fill, say, busy } from './dom.js';
import { personText } from './record-turns.js';

const HASH_SHOWN = 12;

function shortHash(hex) {
  return hex ? h('code', { title: hex }, `${hex.slice(0, HASH_SHOWN)}…`) : t('common.none');
}

function table(el, heads, rows, empty) {
  if (!rows.length) {
    fill(el, h('tbody', {}, h('tr', {}, h('td', { class: 'muted' }, t(empty)))));
    return;
  }
  fill(el,
    h('thead', {}, h('tr', {}, heads.map((key) => h('th', { scope: 'col' }, t(key))))),
    h('tbody', {}, rows));
}

function requestRow(request) {
  const cell = (key, ...content) => h('td', { 'data-label': t(key) }, ...content);
  return h('tr', { 'data-request': request.id },
    cell('rd.col.party', personText(request.name || t('console.someone'), request.role)),
    cell('rd.col.version', t('rd.version_n', { n: request.version })),
    cell('rd.col.sent', formatDateTime(request.sent_at)),
    cell('rd.col.state', h('span', { class: `badge req-${request.state}`, 'data-testid': 'request-state', 'data-state': request.state },
      t(`rd.req.${request.state}`))));
}

function answerRow(answer) {
  const cell = (key, ...content) => h('td', { 'data-label': t(key) }, ...content);
  return h('tr', { 'data-answer': answer.id },
    cell('rd.col.party', personText(answer.name, answer.role)),
    cell('rd.col.version', t('rd.version_n', { n: answer.version })),
    cell('rd.col.decision', h('span', { class: `badge req-${answer.decision}`, 'data-testid': 'answer-decision' },
      t(`rd.req.${answer.decision}`))),
    cell('rd.col.at', formatDateTime(answer.at)),
    cell('rd.col.refusal', answer.reason || t('common.none')),
    cell('rd.col.signature', shortHash(answer.signature_sha256)));
}

/**
 * Mount the send form and the two tables. editable: an inspector may send.
 * unsaved() says whether the editor holds edits not saved yet (they must be saved first:
 * the party reads a saved version). onSent() runs after a request was sent.
 * Returns {render(record)}.
 */
export function mountSend({ form, note, message, requests, answers, interviewId, editable, unsaved, onSent }) {
  const base = `/api/interviews/${encodeURIComponent(interviewId)}`;
  let record = null;
  let invites = null; // the interview's invitations, once loaded

  function renderForm() {
    const active = (invites || []).filter((inv) => inv.state === 'active');
    const latestConfirmed = record.versions.some((v) => v.version === record.latest_version && v.confirmed);
    let why = null;
    if (record.version !== record.latest_version) why = 'rd.send.only_latest';
    else if (latestConfirmed) why = 'rd.send.confirmed';
    else if (invites && !active.length) why = 'rd.send.no_invites';
    form.hidden = !editable || why !== null || invites === null;
    note.hidden = !editable || why === null;
    note.textContent = why ? t(why) : '';
    const chosen = form.invitation.value;
    fill(form.invitation, active.map((inv) => h('option', { value: inv.id, selected: inv.id === chosen },
      personText(inv.name, inv.role))));
  }

  function render(next) {
    if (next) record = next;
    if (editable) renderForm();
    table(requests, ['rd.col.party', 'rd.col.version', 'rd.col.sent', 'rd.col.state'],
      record.requests.map(requestRow), 'rd.requests.none');
    table(answers, ['rd.col.party', 'rd.col.version', 'rd.col.decision', 'rd.col.at', 'rd.col.refusal', 'rd.col.signature'],
      record.confirmations.map(answerRow), 'rd.answers.none');
  }

  async function loadInvites() {
    try {
      invites = await api(`${base}/invites`);
    } catch (err) {
      say(message, describeError(err));
      invites = [];
    }
    if (record) render();
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    say(message, '');
    if (!form.invitation.value) return;
    if (unsaved()) {
      say(message, t('rd.send.save_first'));
      return;
    }
    try {
      await busy(form, () => api(`${base}/record/send`, {
        method: 'POST', body: { invitation_id: form.invitation.value, version: record.version },
      }));
      say(message, t('rd.send.sent'), 'ok');
      await onSent();
    } catch (err) {
      say(message, describeError(err));
    }
  });

  if (editable) loadInvites();
  return { render };
}
