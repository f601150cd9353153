// The interviews of one case: the "schedule interview" form and one card per interview
// (state, language, console, playback and record links, "end interview", and its invitations
// from invites.js).

import { api } from './api.js';
import { onLangChange, t, formatDateTime, describeError } from './i18n.js';
import { h, fill, say, busy } from './dom.js';
import { mountInvites } from './invites.js';
import './interview-text.js';

const $ = (id) => document.getElementById(id);

function interviewTitle(iv) {
  return iv.title || t('iv.untitled', { date: formatDateTime(iv.created_at) });
}

/** One interview's card. Its invitation section keeps its own state across re-renders. */
function interviewCard(interview, editable) {
  let iv = interview;
  const headingId = `iv-${iv.id}-heading`;
  const top = h('div');
  const message = h('p', { class: 'alert error', role: 'alert', hidden: true });
  const invites = h('section', { class: 'invites' });
  const card = h('article', { class: 'card interview', 'aria-labelledby': headingId }, top, message, invites);

  async function end(button) {
    if (!window.confirm(t('iv.confirm.end'))) return;
    button.disabled = true;
    say(message, '');
    try {
      iv = { ...iv, ...(await api(`/api/interviews/${encodeURIComponent(iv.id)}/end`, { method: 'POST' })) };
      render();
      invitesPart.setOpen(false);
      top.querySelector('h3').focus();
    } catch (err) {
      say(message, describeError(err));
      button.disabled = false;
    }
  }

  async function cancel(button) {
    const reason = window.prompt(t('iv.cancel.prompt'));
    if (!reason || !reason.trim()) return;
    button.disabled = true;
    say(message, '');
    try {
      iv = { ...iv, ...(await api(`/api/interviews/${encodeURIComponent(iv.id)}/cancel`, { method: 'POST', body: { reason: reason.trim() } })) };
      render();
      invitesPart.setOpen(false);
    } catch (err) {
      say(message, describeError(err));
      button.disabled = false;
    }
  }

  function rescheduleForm() {
    const when = h('input', { type: 'datetime-local', name: 'scheduled_for', 'aria-label': t('iv.new.when') });
    const purpose = h('input', { name: 'purpose', maxlength: 500, value: iv.purpose || '', 'aria-label': t('iv.purpose') });
    const form = h('form', { class: 'inline', 'data-testid': 'reschedule-form' }, when, purpose,
      h('button', { type: 'submit', class: 'primary' }, t('iv.reschedule.save')));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const body = { purpose: purpose.value.trim() };
      if (when.value) body.scheduled_for = new Date(when.value).toISOString();
      try {
        iv = { ...iv, ...(await busy(form, () => api(`/api/interviews/${encodeURIComponent(iv.id)}/reschedule`, { method: 'POST', body }))) };
        render();
      } catch (err) {
        say(message, describeError(err));
      }
    });
    return form;
  }

  function render() {
    const fact = (key, value) => (value ? [h('dt', {}, t(key)), h('dd', {}, value)] : []);
    fill(top,
      h('div', { class: 'interview-head' },
        h('h3', { id: headingId, tabindex: '-1' }, interviewTitle(iv)),
        h('span', { class: `badge s-${iv.state}` }, t(`state.${iv.cancelled_at ? 'cancelled' : iv.state}`))),
      h('dl', { class: 'facts' },
        fact('iv.language', t(`language.${iv.language || 'zh'}`)),
        fact('iv.scheduled_for', iv.scheduled_for && formatDateTime(iv.scheduled_for)),
        fact('iv.purpose', iv.purpose),
        fact('state.cancelled', iv.cancelled_at && t('iv.cancelled', { reason: iv.cancel_reason || '' })),
        fact('iv.started', iv.started_at && formatDateTime(iv.started_at)),
        fact('iv.ended', iv.ended_at && formatDateTime(iv.ended_at))),
      h('div', { class: 'actions' },
        h('a', { class: 'button', href: `/console/interviews/${encodeURIComponent(iv.id)}` }, t('iv.console')),
        iv.state !== 'scheduled'
          ? h('a', { class: 'button', href: `/console/interviews/${encodeURIComponent(iv.id)}/playback` }, t('iv.playback'))
          : null,
        iv.state === 'ended'
          ? h('a', { class: 'button', href: `/console/interviews/${encodeURIComponent(iv.id)}/record` }, t('iv.record'))
          : null,
        // Nobody has joined a scheduled one: there is nothing to end, only to move or call off.
        editable && iv.state === 'live'
          ? h('button', { type: 'button', class: 'danger', onclick: (e) => end(e.currentTarget) }, t('iv.end'))
          : null,
        editable && iv.state === 'scheduled'
          ? h('button', { type: 'button', 'data-testid': 'reschedule', onclick: (e) => { e.currentTarget.replaceWith(rescheduleForm()); } }, t('iv.reschedule'))
          : null,
        editable && iv.state === 'scheduled'
          ? h('button', { type: 'button', class: 'danger', 'data-testid': 'cancel-interview', onclick: (e) => cancel(e.currentTarget) }, t('iv.cancel'))
          : null));
  }

  render();
  const invitesPart = mountInvites(invites, iv.id, { editable, open: iv.state !== 'ended' });
  onLangChange(render);
  return card;
}

function byNewest(a, b) {
  return String(b.created_at).localeCompare(String(a.created_at));
}

async function schedule(event, caseId, editable) {
  event.preventDefault();
  const form = event.currentTarget;
  const message = $('schedule-message');
  const body = { language: form.language.value };
  const title = form.title.value.trim();
  if (title) body.title = title;
  const purpose = form.purpose.value.trim();
  if (purpose) body.purpose = purpose;
  if (form.scheduled_for.value) {
    const when = new Date(form.scheduled_for.value); // datetime-local is the reader's local time
    if (!Number.isNaN(when.getTime())) body.scheduled_for = when.toISOString();
  }
  say(message, '');
  try {
    const created = await busy(form, () => api(`/api/cases/${encodeURIComponent(caseId)}/interviews`, {
      method: 'POST',
      body,
    }));
    form.reset();
    $('interviews-empty').hidden = true;
    $('interview-list').prepend(interviewCard(created, editable));
    document.getElementById(`iv-${created.id}-heading`).focus();
  } catch (err) {
    say(message, describeError(err));
  }
}

/** Render the case's interviews into #interview-list and wire #schedule-form. */
export function mountInterviews({ caseId, interviews, editable }) {
  fill($('interview-list'), [...interviews].sort(byNewest).map((iv) => interviewCard(iv, editable)));
  $('interviews-empty').hidden = interviews.length > 0;
  if (editable) {
    $('schedule-form').addEventListener('submit', (event) => schedule(event, caseId, editable));
  }
}
