// The invitations of one interview: the list (with revoke), the "new invitation" form,
// and the just-created link, which the server shows once and never again.

import { api } from './api.js';
import { onLangChange, t, formatDateTime, describeError } from './i18n.js';
import './invites-text.js';
import { h, tx, fill, say, busy } from './dom.js';

const PARTY_ROLES = ['worker', 'employer', 'witness'];

async function copyLink(input, status) {
  try {
    await navigator.clipboard.writeText(input.value);
    say(status, t('inv.copied'), 'ok');
    return;
  } catch (_) {
    // No clipboard API (plain http on a LAN address) or no permission: select instead.
  }
  input.focus();
  input.select();
  let copied = false;
  try {
    copied = document.execCommand('copy');
  } catch (_) { /* fall through to the manual hint */ }
  say(status, copied ? t('inv.copied') : t('inv.copy_manual'), copied ? 'ok' : 'warn');
}

function inviteForm(ivId, onSubmit) {
  const nameId = `inv-${ivId}-name`;
  const roleId = `inv-${ivId}-role`;
  const phoneId = `inv-${ivId}-phone`;
  const form = h('form', { class: 'inline', novalidate: true },
    h('div', { class: 'field' },
      tx('label', 'inv.new.name', { for: nameId }),
      h('input', { id: nameId, name: 'name', required: true, maxlength: '100', autocomplete: 'off' })),
    h('div', { class: 'field' },
      tx('label', 'inv.new.role', { for: roleId }),
      h('select', { id: roleId, name: 'role' },
        PARTY_ROLES.map((role) => tx('option', `party.${role}`, { value: role })))),
    h('div', { class: 'field' },
      tx('label', 'inv.new.phone', { for: phoneId }),
      h('input', { id: phoneId, name: 'phone', type: 'tel', inputmode: 'tel', maxlength: '20', autocomplete: 'off' })),
    tx('button', 'inv.new.submit', { type: 'submit', class: 'primary' }));
  form.addEventListener('submit', onSubmit);
  return form;
}

// Whether the text message with the link went (only for an invitation with a phone number).
function notifiedLine(inv) {
  const sent = inv.notified || {};
  const phone = inv.phone_masked;
  if (!phone || !['sent', 'failed', 'off'].includes(sent.state)) return null;
  const kind = sent.state === 'sent' ? 'ok' : 'warn';
  return h('p', { class: `alert ${kind}`, role: 'status', 'data-testid': 'invite-sms' },
    t(`inv.sms.${sent.state}`, { phone, reason: sent.reason || '' }));
}

/**
 * Mount the invitation section of interview `ivId` into `section`.
 * editable: may revoke and create; open: the interview still takes new invitations.
 * Returns { setOpen(open) } so the card can close the form when the interview ends.
 */
export function mountInvites(section, ivId, { editable, open }) {
  const base = `/api/interviews/${encodeURIComponent(ivId)}/invites`;
  const heading = tx('h4', 'inv.title', { tabindex: '-1' });
  const table = h('div', {}, h('p', { class: 'muted' }, t('common.loading')));
  const created = h('div');
  const message = h('p', { class: 'alert error', role: 'alert', hidden: true });
  const form = editable ? inviteForm(ivId, submit) : null;
  const formBox = form ? h('div', { hidden: !open }, tx('h4', 'inv.new'), form) : null;
  let invites = null; // null until loaded; an ApiError when loading failed
  let fresh = null; // the invitation just created, with its url: kept only in memory

  fill(section, heading, table, created, message, formBox);

  function row(inv) {
    const cell = (key, ...content) => h('td', { 'data-label': t(key) }, ...content);
    const canRevoke = editable && inv.state === 'active';
    return h('tr', {},
      cell('inv.col.name', inv.name),
      cell('inv.col.role', t(`party.${inv.role}`)),
      cell('inv.col.phone', inv.phone_masked || t('common.none')),
      cell('inv.col.state', h('span', { class: `badge s-${inv.state}` }, t(`invite.state.${inv.state}`))),
      cell('inv.col.expires', formatDateTime(inv.expires_at)),
      cell('inv.col.used', inv.used_at ? t('inv.used_at', { date: formatDateTime(inv.used_at) }) : t('inv.unused')),
      editable && !canRevoke ? h('td') : null,
      canRevoke ? cell('inv.col.actions', h('button', {
        type: 'button',
        class: 'danger small',
        'aria-label': t('inv.revoke_label', { name: inv.name }),
        onclick: () => revoke(inv),
      }, t('inv.revoke'))) : null);
  }

  function renderTable() {
    if (invites === null) return;
    if (!Array.isArray(invites)) {
      fill(table, h('p', { class: 'muted' }, invites.status === 403 ? t('inv.forbidden') : describeError(invites)));
      return;
    }
    if (invites.length === 0) {
      fill(table, h('p', { class: 'muted' }, t('inv.empty')));
      return;
    }
    const cols = ['name', 'role', 'phone', 'state', 'expires', 'used'].concat(editable ? ['actions'] : []);
    fill(table, h('table', { class: 'list' },
      h('thead', {}, h('tr', {}, cols.map((col) => h('th', { scope: 'col' }, t(`inv.col.${col}`))))),
      h('tbody', {}, invites.map(row))));
  }

  function renderCreated() {
    if (!fresh) {
      fill(created);
      return;
    }
    const inputId = `inv-${ivId}-link`;
    const status = h('p', { class: 'alert', role: 'status', hidden: true });
    const input = h('input', { id: inputId, type: 'text', readonly: true, value: fresh.url });
    fill(created, h('div', { class: 'created-link' },
      h('p', {}, h('strong', {}, t('inv.created', { name: fresh.name, role: t(`party.${fresh.role}`) }))),
      h('p', {}, t(fresh.phone_masked ? 'inv.once_kept' : 'inv.once', { date: formatDateTime(fresh.expires_at) })),
      notifiedLine(fresh),
      h('label', { for: inputId, class: 'visually-hidden' }, t('inv.link')),
      h('div', { class: 'copy-row' },
        input,
        h('button', { type: 'button', class: 'primary', onclick: () => copyLink(input, status) }, t('inv.copy'))),
      status,
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'small', onclick: dismiss }, t('inv.dismiss')))));
  }

  function dismiss() {
    fresh = null;
    renderCreated();
    heading.focus();
  }

  async function load() {
    try {
      invites = await api(base);
    } catch (err) {
      invites = err;
    }
    renderTable();
  }

  async function submit(event) {
    event.preventDefault();
    const name = form.name.value.trim();
    if (!name) {
      form.name.focus();
      return;
    }
    const phone = form.phone.value.trim();
    say(message, '');
    try {
      const body = phone ? { name, role: form.role.value, phone } : { name, role: form.role.value };
      fresh = await busy(form, () => api(base, { method: 'POST', body }));
    } catch (err) {
      say(message, err.code === 'invalid_phone' ? t('inv.bad_phone') : describeError(err));
      if (err.code === 'invalid_phone') form.phone.focus();
      return;
    }
    form.reset();
    renderCreated();
    const input = created.querySelector('input');
    input.focus();
    input.select();
    await load();
  }

  async function revoke(inv) {
    if (!window.confirm(t('inv.confirm.revoke', { name: inv.name }))) return;
    say(message, '');
    try {
      await api(`/api/invites/${encodeURIComponent(inv.id)}/revoke`, { method: 'POST' });
    } catch (err) {
      say(message, describeError(err));
    }
    await load();
    heading.focus();
  }

  onLangChange(() => { renderTable(); renderCreated(); });
  load();
  return {
    setOpen(isOpen) {
      if (formBox) formBox.hidden = !isOpen;
    },
  };
}
