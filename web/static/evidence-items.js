// The evidence items of a case, grouped by kind, one card each: hash, size, times, source,
// what the server observed kept apart from what the client claimed, preview and playback
// links, re-verification and the item's own custody history.

import { t, formatDateTime, describeError } from './i18n.js';
import { h, fill } from './dom.js';
import { KINDS, kindLabel, personLabel, humanSize, fieldLabel } from './evidence-text.js';
import { verifyItem, verifyState } from './evidence-verify.js';
import { loadCustody, eventTable } from './evidence-custody.js';

const IMAGE_KINDS = new Set(['upload', 'snapshot']);
// Shown among the main facts already.
const SKIP_OBSERVED = new Set(['sha256', 'size', 'thumbnail']);
const enc = encodeURIComponent;

/**
 * The page's evidence state: `items`, `byId`, `thumbOf` (original id → its thumbnail item),
 * `results` (item id → last verification) and `custody` (item id → {open, log, error}).
 */
export function makeState(caseId, items) {
  const byId = new Map(items.map((item) => [item.id, item]));
  const thumbOf = new Map(items.filter((i) => i.kind === 'thumbnail' && i.derived_from)
    .map((thumb) => [thumb.derived_from, thumb]));
  return { caseId, items, byId, thumbOf, results: new Map(), custody: new Map() };
}

async function copyHash(code, status) {
  try {
    await navigator.clipboard.writeText(code.textContent);
    status.textContent = t('ev.copied');
    return;
  } catch (_) {
    // No clipboard API (plain http on a LAN address): select the text instead.
  }
  const range = document.createRange();
  range.selectNodeContents(code);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  status.textContent = t('ev.copy_manual');
}

function hashRow(item) {
  const code = h('code', { class: 'hash', 'data-testid': 'sha256' }, item.sha256);
  const status = h('span', { class: 'muted', role: 'status' });
  return h('div', { class: 'ev-hash' }, code,
    h('button', { type: 'button', class: 'small', 'aria-label': t('ev.copy_label'),
      onclick: () => copyHash(code, status) }, t('ev.copy')), status);
}

function valueText(key, value, observed) {
  if (value && typeof value === 'object') {
    if ('name' in value || 'username' in value) return personLabel(value);
    if (key === 'image' && 'width' in value) return `${value.width} × ${value.height}`;
    return JSON.stringify(value);
  }
  // Times the server took are shown in the reader's zone; a claimed time exactly as sent.
  if (observed && typeof value === 'string' && /(^|_)at$/.test(key)) return formatDateTime(value);
  return String(value);
}

function factList(data, observed) {
  const entries = Object.entries(data || {})
    .filter(([key, value]) => value !== null && value !== '' && !(observed && SKIP_OBSERVED.has(key)));
  if (!entries.length) return h('p', { class: 'muted' }, t(observed ? 'common.none' : 'ev.claimed.none'));
  return h('dl', { class: 'facts ev-facts' }, entries.flatMap(([key, value]) => [
    h('dt', {}, fieldLabel(key)), h('dd', {}, valueText(key, value, observed))]));
}

function sourceOf(item) {
  const seen = item.observed || {};
  const people = [seen.uploader, seen.participant].filter(Boolean);
  return people.length ? people.map(personLabel).join(' → ') : null;
}

function mainFacts(item, state) {
  const seen = item.observed || {};
  const claimed = item.claimed || {};
  const fact = (key, value, extra = {}) => [h('dt', extra, t(key)), h('dd', extra, value)];
  const original = item.derived_from && state.byId.get(item.derived_from);
  const source = sourceOf(item);
  return h('dl', { class: 'facts' },
    fact('ev.sha256', hashRow(item)),
    fact('ev.size', humanSize(item.size)),
    fact('ev.type', item.content_type || t('common.none')),
    fact('ev.created', formatDateTime(item.created_at)),
    seen.received_at ? fact('ev.received', formatDateTime(seen.received_at)) : null,
    claimed.device_time ? fact('ev.device_time', String(claimed.device_time), { class: 'claimed' }) : null,
    source ? fact('ev.source', source) : null,
    item.derived_from ? fact('ev.derived_from', h('a', { href: `#item-${item.derived_from}`, 'data-testid': 'derived-from' },
      original ? `${kindLabel(original.kind)} ${original.sha256.slice(0, 12)}…` : item.derived_from)) : null);
}

function preview(item, state) {
  const thumb = state.thumbOf.get(item.id);
  if (!IMAGE_KINDS.has(item.kind) || !thumb) return null;
  const name = (item.claimed && item.claimed.filename) || kindLabel(item.kind);
  return h('a', { class: 'ev-preview', href: `/api/evidence/${enc(item.id)}/content`, target: '_blank', rel: 'noopener' },
    h('img', { src: `/api/evidence/${enc(thumb.id)}/content`, alt: t('ev.preview', { name }),
      loading: 'lazy', 'data-testid': 'thumbnail' }));
}

function links(item) {
  const content = `/api/evidence/${enc(item.id)}/content`;
  const a = (href, key, extra = {}) => h('a', { class: 'button small', href, ...extra }, t(key));
  const out = [];
  if (item.kind === 'recording' && item.interview_id) {
    out.push(a(`/console/interviews/${enc(item.interview_id)}/playback`, 'ev.open_playback'));
  }
  if (item.kind === 'record' && item.interview_id) {
    out.push(a(`/console/interviews/${enc(item.interview_id)}/record`, 'ev.open_record'));
  }
  const pdf = item.kind === 'record-pdf' || item.content_type === 'application/pdf';
  out.push(a(content, pdf ? 'ev.open_pdf' : 'ev.open_original', { target: '_blank', rel: 'noopener' }));
  return out;
}

function custodyBox(item, state) {
  const entry = state.custody.get(item.id);
  if (!entry || !entry.open) return null;
  let body;
  if (entry.error) body = h('p', { class: 'alert error' }, entry.error);
  else if (!entry.log) body = h('p', { class: 'muted' }, t('common.loading'));
  else body = eventTable(entry.log.events || [], state.byId, { withItem: false });
  return h('div', { class: 'ev-custody', 'data-testid': 'item-custody' }, h('h4', {}, t('ev.custody.item')), body);
}

/** One item's card. */
export function itemCard(item, state) {
  const rerender = () => {
    const old = document.getElementById(`item-${item.id}`);
    if (old) old.replaceWith(itemCard(item, state));
  };
  const verify = async () => {
    state.results.set(item.id, { pending: true });
    rerender();
    state.results.set(item.id, await verifyItem(item));
    rerender();
  };
  const toggleCustody = async () => {
    const entry = state.custody.get(item.id) || { open: false };
    entry.open = !entry.open;
    state.custody.set(item.id, entry);
    rerender();
    if (!entry.open) return;
    try {
      entry.log = await loadCustody(state.caseId, item.id);
      entry.error = null;
    } catch (err) {
      entry.error = describeError(err);
    }
    rerender();
  };
  const result = state.results.get(item.id);
  const open = Boolean((state.custody.get(item.id) || {}).open);
  const title = (item.claimed && item.claimed.filename) || `${kindLabel(item.kind)} ${item.id.slice(0, 8)}`;
  return h('article', { class: 'ev-item', id: `item-${item.id}`, tabindex: '-1',
    'data-testid': 'evidence-item', 'data-kind': item.kind, 'data-id': item.id },
  h('h4', {}, title),
  h('div', { class: 'ev-main' }, preview(item, state), mainFacts(item, state)),
  h('div', { class: 'ev-sides' },
    h('section', { class: 'ev-observed' }, h('h5', {}, t('ev.observed')), factList(item.observed, true)),
    h('section', { class: 'ev-claimed' }, h('h5', {}, t('ev.claimed')), factList(item.claimed, false))),
  h('div', { class: 'actions' },
    h('button', { type: 'button', class: 'small', 'data-testid': 'verify', disabled: Boolean(result && result.pending),
      onclick: verify }, t('ev.verify')),
    links(item),
    h('button', { type: 'button', class: 'small', 'aria-expanded': String(open), 'data-testid': 'custody-toggle',
      onclick: toggleCustody }, t(open ? 'ev.custody.hide' : 'ev.custody.item'))),
  verifyState(result),
  custodyBox(item, state));
}

/** Every item, grouped by kind in a fixed order (unknown kinds last). */
export function renderItems(container, state) {
  const order = KINDS.concat([...new Set(state.items.map((i) => i.kind))].filter((k) => !KINDS.includes(k)));
  fill(container, order.map((kind) => {
    const group = state.items.filter((item) => item.kind === kind);
    if (!group.length) return null;
    return h('section', { class: 'ev-group', 'data-kind': kind },
      h('h3', {}, t('ev.group', { kind: kindLabel(kind), n: group.length })),
      group.map((item) => itemCard(item, state)));
  }));
}
