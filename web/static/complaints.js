// A unit's complaints queue: state, age, deadline colour, category, owner; overdue view.

import { api } from './api.js';
import './complaint-text.js';
import { formatDateTime, initI18n, onLangChange, t } from './i18n.js';
import { fill, h, say } from './dom.js';
import { startStaffPage } from './staff.js';

const $ = (id) => document.getElementById(id);
let rows = [];
let overdue = false;

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
    rows = await api(`/api/complaints${overdue ? '?overdue=1' : ''}`);
  } catch (err) {
    say($('cq-message'), err.message);
    return;
  }
  render();
}

function choose(late) {
  overdue = late;
  $('show-all').setAttribute('aria-pressed', String(!late));
  $('show-overdue').setAttribute('aria-pressed', String(late));
  load();
}

initI18n();
onLangChange(render);
$('show-all').addEventListener('click', () => choose(false));
$('show-overdue').addEventListener('click', () => choose(true));
startStaffPage().then(load);
