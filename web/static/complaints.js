// A unit's complaints queue: state, age, deadline colour, category, owner; overdue view.
// Below it: filing a complaint for a caller or a visitor (12333, the window), and counts.

import { api } from './api.js';
import { CATEGORIES } from './complaint-text.js';
import { formatDateTime, initI18n, onLangChange, t } from './i18n.js';
import { fill, h, say } from './dom.js';
import { startStaffPage } from './staff.js';

const $ = (id) => document.getElementById(id);
let rows = [];
let view = 'all';  // all, overdue (and alerts), at_risk (due within 2 working days)

function dueCell(c) {
  const open = c.deadlines.filter((d) => !d.met_at);
  if (!open.length) return h('td', {}, t('common.none'));
  const d = open[0];
  const soon = !d.overdue && (new Date(d.due) - Date.now()) < 3 * 86400e3;
  return h('td', {}, h('span', { class: d.overdue ? 'due-overdue' : (soon ? 'due-soon' : ''), 'data-testid': 'due' },
    `${t(`dl.${d.kind}`)} ${d.due}`));
}

function render() {
  $('cq-table').hidden = !rows.length;
  $('cq-empty').hidden = rows.length > 0;
  fill($('cq-rows'), rows.map((c) => h('tr', { 'data-testid': 'complaint-row' },
    h('td', {}, h('a', { href: `/complaints/${c.id}` }, c.number)),
    h('td', {}, formatDateTime(c.received_at)),
    h('td', {}, c.category ? t(`cat.${c.category}`) : t('common.none')),
    h('td', {}, c.employer || t('common.none')),
    h('td', {}, t(`state.${c.state}`), c.alert ? h('span', { class: 'due-overdue' }, ` ${t('cp.alert')}`) : ''),
    h('td', {}, c.owner ? c.owner.display_name : t('common.none')),
    dueCell(c))));
}

async function load() {
  try {
    rows = await api(`/api/complaints${view === 'all' ? '' : `?${view}=1`}`);
  } catch (err) {
    say($('cq-message'), err.message);
    return;
  }
  render();
}

let counted = null;

function renderCounts() {
  if (!counted) return;
  const by = counted.by;
  const label = (r) => (by === 'category' ? (r.key ? t(`cat.${r.key}`) : t('common.none')) : r.label || r.key);
  const cell = (v) => h('td', {}, v === null || v === undefined ? t('common.none') : String(v));
  fill($('cc-rows'), counted.rows.map((r) => h('tr', { 'data-testid': 'count-row' },
    h('th', { scope: 'row' }, label(r)), cell(r.received), cell(r.accepted), cell(r.closed),
    cell(r.overdue), cell(r.median_days_to_contact), cell(r.median_days_to_close))));
}

async function loadCounts() {
  try {
    counted = await api(`/api/complaint-counts?by=${$('cc-by').value}`);
  } catch (err) {
    say($('cq-message'), err.message);
    return;
  }
  renderCounts();
}

function coComplainants(text) {
  // One worker a line: a name, and a phone number as its last word if it has one.
  return text.split('\n').map((line) => line.trim()).filter(Boolean).map((line) => {
    const words = line.split(/\s+/);
    const last = words[words.length - 1];
    if (words.length > 1 && /^\+?[0-9-]{5,}$/.test(last)) return { name: words.slice(0, -1).join(' '), phone: last };
    return { name: line };
  });
}

async function fileForCaller(event) {
  event.preventDefault();
  const form = $('cf-form');
  const body = { confidential: $('cf-confidential').checked };
  for (const el of form.elements) {
    if (!el.name || el.type === 'checkbox' || el.value.trim() === '') continue;
    if (el.name === 'co_complainants') body.co_complainants = coComplainants(el.value);
    else body[el.name] = el.type === 'number' ? Number(el.value) : el.value.trim();
  }
  try {
    const filed = await api('/api/complaints', { method: 'POST', body });
    const link = `${location.origin}${filed.status_url}`;
    say($('cf-message'), t('cf.filed', { number: filed.number, link }), 'ok');
    $('cf-message').dataset.number = filed.number;
    form.reset();
    await Promise.all([load(), loadCounts()]);
  } catch (err) {
    say($('cf-message'), err.message);
  }
}

async function startFiling() {
  let channels = [];
  try {
    channels = (await api('/api/complaint-channels')).filter((c) => c.medium === 'phone' || c.medium === 'window');
  } catch (err) {
    return;
  }
  if (!channels.length) return;  // this unit takes no calls or visits
  fill($('cf-channel'), channels.map((c) => h('option', { value: c.channel }, c.name)));
  fill($('cf-category'), ['', ...CATEGORIES].map((c) => h('option', { value: c }, t(`cat.${c}`))));
  $('cf').hidden = false;
}

function choose(which) {
  view = which;
  for (const name of ['all', 'overdue', 'at_risk']) $(`show-${name}`).setAttribute('aria-pressed', String(name === which));
  load();
}

initI18n();
onLangChange(() => { render(); renderCounts(); });
for (const name of ['all', 'overdue', 'at_risk']) $(`show-${name}`).addEventListener('click', () => choose(name));
$('cc-by').addEventListener('change', loadCounts);
$('cf-form').addEventListener('submit', fileForCaller);
startStaffPage().then(() => Promise.all([load(), loadCounts(), startFiling()]));
