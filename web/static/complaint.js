// One complaint for staff: the facts, the steps (hash chain), and what may be done now:
// claim, transfer or take a transfer, accept, refuse, refer, extend, close with a reply.

import { api } from './api.js';
import { REFERRALS } from './complaint-text.js';
import { formatDateTime, initI18n, onLangChange, t } from './i18n.js';
import { busy, fill, h, say } from './dom.js';
import { startStaffPage } from './staff.js';

const $ = (id) => document.getElementById(id);
const id = location.pathname.split('/')[2];
let me = null;
let c = null;
let unitList = [];
let options = { results: [] };

function fact(key, value, testid) {
  if (value === null || value === undefined || value === '') return [];
  return [h('dt', {}, t(key)), h('dd', testid ? { 'data-testid': testid } : {}, String(value))];
}

function field(label, control) {
  const fieldId = `cp-f-${control.name}`;
  control.id = fieldId;
  return [h('label', { for: fieldId }, t(label)), control];
}

function select(name, values, prefix) {
  return h('select', { name }, values.map((v) => h('option', { value: v }, t(`${prefix}${v}`))));
}

const FORMS = {
  transfer: () => [...field('cp.to_unit', h('select', { name: 'unit' }, unitList.filter((u) => !c.unit || u.code !== c.unit.code)
    .map((u) => h('option', { value: u.code }, u.name)))), ...field('cp.reason', h('textarea', { name: 'reason', required: true }))],
  refuse: () => field('cp.reason', h('textarea', { name: 'reason', required: true })),
  refer: () => [...field('cp.refer_to', select('to', REFERRALS, 'ref.')), ...field('cp.reason', h('textarea', { name: 'reason', required: true }))],
  extend: () => [...field('cp.days', h('input', { name: 'days', type: 'number', min: 1, max: 30, value: 30 })),
    ...field('cp.reason', h('textarea', { name: 'reason', required: true }))],
  ask: () => field('cp.what', h('textarea', { name: 'what', required: true })),
  suspend: () => field('cp.reason', h('textarea', { name: 'reason', required: true })),
  resume: () => field('cp.reason', h('textarea', { name: 'reason', required: true })),
  close: () => [...field('cp.result', h('select', { name: 'result' }, options.results.map((r) =>
    h('option', { value: r.code }, r.label || t(`res.${r.code}`))))), ...field('cp.reply', h('textarea', { name: 'reply', required: true, rows: 4 })),
    ...field('cp.recovered', h('input', { name: 'amount_recovered', type: 'number', min: 0 })),
    ...field('cp.covered', h('input', { name: 'workers_covered', type: 'number', min: 0 }))],
};

function openForm(action) {
  const form = $('cp-form');
  form.hidden = false;
  fill(form, FORMS[action](), h('p', { id: 'cp-form-message', class: 'alert error', role: 'alert', hidden: true }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', 'data-testid': `confirm-${action}` }, t('cp.go'))));
  form.onsubmit = async (event) => {
    event.preventDefault();
    const body = {};
    for (const el of form.elements) {
      if (!el.name || el.value === '') continue;
      body[el.name] = el.type === 'number' ? Number(el.value) : el.value;
    }
    await act(action, body, form);
  };
  form.querySelector('select, textarea, input').focus();
}

async function act(action, body, form) {
  try {
    const send = () => api(`/api/complaints/${id}/${action}`, { method: 'POST', body });
    if (form) {
      c = await busy(form, send);
    } else {
      $('cp-actions').querySelectorAll('button').forEach((b) => { b.disabled = true; });
      c = await send();
    }
  } catch (err) {
    say(form ? $('cp-form-message') : $('cp-message'), err.message);
    $('cp-actions').querySelectorAll('button').forEach((b) => { b.disabled = false; });
    return;
  }
  $('cp-form').hidden = true;
  render();
}

function actions() {
  const mine = c.owner && me && c.owner.username === me.username;
  const out = [];
  const button = (action, direct) => h('button', {
    type: 'button', 'data-testid': action, class: direct ? 'primary' : '',
    onclick: () => (direct ? act(action, {}) : openForm(action)),
  }, t(`cp.${action}`));
  const running = !c.paused;
  if (c.state === 'received') out.push(button('claim', true));
  if (c.state === 'claimed' && mine && !c.transfer) {
    out.push(button('accept', true), button('refuse'), button('refer'));
    if (running) out.push(button('ask'), button('transfer'));
  }
  if (c.transfer && !mine) out.push(button('take', true));
  if (c.state === 'accepted' && mine && running) out.push(button('close'), button('suspend'));
  if (c.paused && mine) out.push(button('resume'));
  if (c.state === 'accepted' && me && me.role === 'supervisor') out.push(button('extend'));
  return out;
}

// What each step of the log reads as; a step this page does not know shows its code.
const STEP_KEYS = {
  complaint_received: 'step.received', complaint_claimed: 'step.claimed', complaint_accepted: 'step.accepted',
  complaint_refused: 'step.refused', complaint_referred: 'step.referred', complaint_closed: 'step.closed',
  complaint_file_added: 'step.file_added', material_requested: 'step.material_requested',
  complaint_suspended: 'step.suspended', complaint_resumed: 'step.resumed',
  complaint_transferred: 'cp.step.transferred', transfer_taken: 'cp.step.taken', transfer_returned: 'cp.step.returned',
};

function stepLabel(e) {
  const d = e.detail || {};
  if (e.action === 'deadline_set') return t('step.deadline', { kind: t(`dl.${d.kind}`), due: d.due });
  const key = STEP_KEYS[e.action];
  let text = key ? t(key, { unit: d.to || d.unit || '' }) : e.action;
  if (d.reason || d.why) text += `：${d.reason || d.why}`;
  return text;
}

function resultLabel(code) {
  const own = options.results.find((r) => r.code === code);
  return (own && own.label) || t(`res.${code}`);
}

function render() {
  if (!c) return;
  $('cp').hidden = false;
  $('cp-title').textContent = t('cp.title', { number: c.number });
  $('cp-alert').hidden = !c.alert;
  $('cp-alert').textContent = c.alert || '';
  const due = c.deadlines.filter((d) => !d.met_at).map((d) => `${t(`dl.${d.kind}`)} ${d.due}${d.reason ? `（${d.reason}）` : ''}`).join('；');
  fill($('cp-facts'),
    fact('cq.col.state', t(`state.${c.state}`), 'complaint-state'),
    fact('cq.unit', c.unit && c.unit.name),
    c.transfer ? fact('cp.transfer', t('cp.transfer_waiting', { unit: c.transfer.unit.name, reason: c.transfer.reason })) : [],
    fact('cq.col.due', due),
    c.paused ? fact('cp.paused', t(`cp.paused.${c.paused.kind}`, { since: formatDateTime(c.paused.since), reason: c.paused.reason }), 'complaint-paused') : [],
    fact('cp.complainant', c.name), fact('cp.phone', c.phone),
    c.confidential ? fact('cp.confidential', '✓') : [],
    fact('cq.col.category', c.category && t(`cat.${c.category}`)), fact('cq.col.employer', c.employer),
    fact('cp.workers', c.workers), fact('cp.amount', c.amount),
    c.co_complainants.length ? fact('cp.co', t('cp.co', { n: c.co_complainants.length })) : [],
    fact('rp.description', c.description),
    fact('cp.first_responder', c.first_responder && c.first_responder.display_name),
    fact('cp.owner', c.owner && c.owner.display_name),
    fact('cp.result', c.result && resultLabel(c.result)), fact('cp.reply', c.reply), fact('cp.reason', c.reason));
  if (c.case_id) {
    $('cp-facts').append(h('dt', {}, t('cp.case')), h('dd', {}, h('a', { href: `/cases/${c.case_id}`, 'data-testid': 'complaint-case' }, c.case_id)));
  }
  fill($('cp-actions'), actions());
  fill($('cp-files'), c.files.map((f) => h('li', {}, `${f.kind} · ${f.content_type} · ${f.size} B · SHA-256 ${f.sha256.slice(0, 16)}…`)));
  fill($('cp-history'), c.history.map((e) => h('li', {}, h('time', { datetime: e.at }, formatDateTime(e.at)), ` ${stepLabel(e)} `,
    h('code', { class: 'muted' }, e.hash.slice(0, 12)))));
}

async function load() {
  try {
    [c, unitList, options] = await Promise.all([api(`/api/complaints/${id}`), api('/api/units'),
      api('/api/complaint-options')]);
  } catch (err) {
    say($('cp-message'), err.message);
    return;
  }
  render();
}

initI18n();
onLangChange(render);
startStaffPage().then((user) => { me = user; load(); });
