// A case's evidence as one compact table — kind, source, time, size, state — filtered by
// kind and by text; a row opens into the item's details (evidence-items.js).

import { t, formatDateTime } from './i18n.js';
import { h, fill } from './dom.js';
import { KINDS, kindLabel, kindOne, humanSize } from './evidence-text.js';
import { itemCard, itemTitle, sourceOf } from './evidence-items.js';

const COLUMNS = ['ev.t.kind', 'ev.t.source', 'ev.t.time', 'ev.t.size', 'ev.t.state'];

/** The kinds present, in the fixed order (unknown kinds last). */
export function kindsOf(items) {
  const present = new Set(items.map((i) => i.kind));
  return KINDS.filter((k) => present.has(k)).concat([...present].filter((k) => !KINDS.includes(k)));
}

function haystack(item, state) {
  return [kindLabel(item.kind), kindOne(item.kind), itemTitle(item), sourceOf(item, state), item.sha256, item.id,
    item.content_type, formatDateTime(item.created_at), JSON.stringify(item.observed || {}),
    JSON.stringify(item.claimed || {})].join('\n').toLowerCase();
}

export function shownItems(state) {
  const { kind, text } = state.filter;
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  return state.items.filter((item) => (!kind || item.kind === kind)
    && words.every((word) => haystack(item, state).includes(word)));
}

/** A recording's size is its media's (its item is the manifest naming the segments). */
function sizeOf(item) {
  const media = item.kind === 'recording' && (item.observed || {}).media_bytes;
  return typeof media === 'number' ? media : item.size;
}

/** ✓ 已核验 / ✗ 有问题 / 未核验, as this page has checked it. */
function stateBadge(result) {
  let state = 'none';
  if (result && result.pending) state = 'pending';
  else if (result) state = result.ok ? 'ok' : 'bad';
  return h('span', { class: `badge ev-state ev-state-${state}`, 'data-state': state }, t(`ev.state.${state}`));
}

function row(item, state) {
  const open = state.open.has(item.id);
  const toggle = () => {
    if (open) state.open.delete(item.id);
    else state.open.add(item.id);
    state.redraw(item);
  };
  const cell = (key, ...value) => h('td', { 'data-label': t(key) }, ...value);
  return h('tr', { id: `row-${item.id}`, class: open ? 'ev-row open' : 'ev-row', 'data-testid': 'evidence-row',
    'data-kind': item.kind, 'data-id': item.id },
  cell('ev.t.kind', h('button', { type: 'button', class: 'link-button ev-expand', 'data-testid': 'expand',
    'aria-expanded': String(open), 'aria-controls': `item-${item.id}`, onclick: toggle },
  h('span', { 'aria-hidden': 'true', class: 'ev-caret' }, open ? '▾' : '▸'), ' ', kindOne(item.kind)),
  h('div', { class: 'muted ev-title' }, itemTitle(item))),
  cell('ev.t.source', sourceOf(item, state)),
  cell('ev.t.time', formatDateTime(item.created_at)),
  h('td', { 'data-label': t('ev.t.size'), class: 'ev-num' }, humanSize(sizeOf(item))),
  h('td', { 'data-label': t('ev.t.state'), 'data-testid': 'row-state' }, stateBadge(state.results.get(item.id))));
}

function details(item, state) {
  if (!state.open.has(item.id)) return null;
  return h('tr', { id: `details-${item.id}`, class: 'ev-details' },
    h('td', { colspan: String(COLUMNS.length) }, itemCard(item, state)));
}

/** The table, as filtered now. */
export function renderTable(container, state) {
  const shown = shownItems(state);
  if (!shown.length) {
    fill(container, state.items.length ? h('p', { class: 'muted', 'data-testid': 'no-match' }, t('ev.filter.none')) : null);
    return shown;
  }
  fill(container, h('table', { class: 'list ev-table', 'data-testid': 'evidence-table' },
    h('thead', {}, h('tr', {}, COLUMNS.map((key) => h('th', { scope: 'col' }, t(key))))),
    h('tbody', {}, shown.flatMap((item) => [row(item, state), details(item, state)]))));
  return shown;
}

/** Put the item's row (and its details, if open) in place again, nothing else. */
export function redrawItem(item, state) {
  const old = document.getElementById(`row-${item.id}`);
  if (!old) return;
  const oldDetails = document.getElementById(`details-${item.id}`);
  const fresh = details(item, state);
  old.replaceWith(row(item, state));
  if (oldDetails && fresh) oldDetails.replaceWith(fresh);
  else if (oldDetails) oldDetails.remove();
  else if (fresh) document.getElementById(`row-${item.id}`).after(fresh);
}

/** The kind filter's options: every kind present, with how many items it has. */
export function kindOptions(select, state) {
  const chosen = state.filter.kind;
  fill(select, h('option', { value: '' }, t('ev.filter.all', { n: state.items.length })),
    kindsOf(state.items).map((kind) => h('option', { value: kind, selected: kind === chosen },
      t('ev.group', { kind: kindLabel(kind), n: state.items.filter((i) => i.kind === kind).length }))));
  select.value = chosen;
}
