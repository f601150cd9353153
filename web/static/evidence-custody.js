// The custody log of a case (or of one item): its events as a table and the state of its
// hash chain, as `GET /api/cases/{id}/custody` reports them.

import { api } from './api.js';
import { t, formatDateTime } from './i18n.js';
import { h } from './dom.js';
import { actionLabel, fieldLabel, kindOne, personLabel } from './evidence-text.js';
import { valueNode } from './evidence-values.js';

/** The log, checked by the server; `itemId` narrows it to one item's events. */
export function loadCustody(caseId, itemId = null) {
  const query = itemId ? `?item=${encodeURIComponent(itemId)}` : '';
  return api(`/api/cases/${encodeURIComponent(caseId)}/custody${query}`);
}

/** "哈希链完整，已签名检查点 N 个", or the problems in red. */
export function chainState(log) {
  if (log.ok) {
    return h('p', { class: 'alert ok', 'data-testid': 'chain-state', 'data-ok': 'true' },
      t('ev.custody.ok', { n: (log.checkpoints || []).length }));
  }
  return h('div', { class: 'alert error', 'data-testid': 'chain-state', 'data-ok': 'false' },
    h('p', {}, t('ev.custody.bad')),
    h('ul', {}, (log.problems || []).map((problem) => h('li', {}, String(problem)))));
}

function itemCell(event, itemsById) {
  if (!event.item_id) return t('common.none');
  const item = itemsById.get(event.item_id);
  const label = item ? kindOne(item.kind) : event.item_id.slice(0, 8);
  return h('a', { href: `#item-${event.item_id}` }, label);
}

// The detail is what the server wrote down at the time: shown compactly, its keys in the
// reader's words, its values as written (a nested object in brackets, never as JSON).
function compact(key, value) {
  if (Array.isArray(value)) return value.map((v) => compact(key, v)).join(t('ev.v.sep'));
  if (value && typeof value === 'object') {
    return 'name' in value || 'username' in value ? personLabel(value) : `（${detailText(value)}）`;
  }
  if (key === 'kind') return kindOne(value);
  const node = valueNode(key, value);
  return typeof node === 'string' ? node : node.textContent;
}

function detailText(detail) {
  if (!detail || typeof detail !== 'object') return '';
  return Object.entries(detail)
    .filter(([, value]) => value !== null && value !== undefined && value !== '')
    .map(([key, value]) => `${fieldLabel(key)}: ${compact(key, value)}`)
    .join(' · ');
}

/** The events as a table (`withItem`: a column naming the item each is about). */
export function eventTable(events, itemsById, { withItem = true } = {}) {
  if (!events.length) return h('p', { class: 'muted' }, t('ev.custody.empty'));
  const head = ['ev.col.seq', 'ev.col.at', 'ev.col.action', 'ev.col.actor']
    .concat(withItem ? ['ev.col.item'] : [], ['ev.col.detail']);
  return h('div', { class: 'ev-scroll' }, h('table', { class: 'list ev-log' },
    h('thead', {}, h('tr', {}, head.map((key) => h('th', { scope: 'col' }, t(key))))),
    h('tbody', {}, events.map((event) => h('tr', { 'data-testid': 'custody-event', 'data-action': event.action },
      h('td', {}, String(event.seq)),
      h('td', {}, formatDateTime(event.at)),
      h('td', {}, actionLabel(event.action)),
      h('td', {}, personLabel(event.actor)),
      withItem ? h('td', {}, itemCell(event, itemsById)) : null,
      h('td', { class: 'ev-detail' }, detailText(event.detail)))))));
}
