// The interviews of one case: the "schedule interview" form and one card per interview
// (state, language, console, playback and record links, "end interview", and its invitations
// from invites.js).

import { api } from './api.js';
import { onLangChange, t, formatDateTime, describeError } from './i18n.js';
import { h, fill, say, busy } from './dom.js';
import { mountInvites } from './invites.js';

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

  function render() {
    const fact = (key, value) => (value ? [h('dt', {}, t(key)), h('dd', {}, value)] : []);
    fill(top,
      h('div', { class: 'interview-head' },
        h('h3', { id: headingId, tabindex: '-1' }, interviewTitle(iv)),
        h('span', { class: `badge s-${iv.state}` }, t(`state.${iv.state}`))),
      h('dl', { class: 'facts' },
        fact('iv.language', t(`language.${iv.language || 'zh'}`)),
        fact('iv.scheduled_for', iv.scheduled_for && formatDateTime(iv.scheduled_for)),
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
        editable && iv.state !== 'ended'
          ? h('button', { type: 'button', class: 'danger', onclick: (e) => end(e.currentTarget) }, t('iv.end'))
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
