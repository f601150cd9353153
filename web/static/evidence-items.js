// One evidence item's details, opened from its row of the table (evidence-table.js): hash,
// size, times, source, what the server observed kept apart from what the client claimed
// (in words, evidence-values.js; the JSON only on request), a preview or — for a
// recording — a player and its playable file, re-verification and the item's own custody
// history.

import { t, formatDateTime, describeError } from './i18n.js';
import { h } from './dom.js';
import { kindOne, personLabel, humanSize } from './evidence-text.js';
import { facts, rawJson } from './evidence-values.js';
import { verifyItem, verifyState } from './evidence-verify.js';
import { loadCustody, eventTable } from './evidence-custody.js';

const IMAGE_KINDS = new Set(['upload', 'snapshot']);
const VERSIONED = new Set(['record', 'record-text', 'record-pdf', 'confirmation']);
// Shown among the main facts already.
const SKIP_OBSERVED = new Set(['sha256', 'size', 'thumbnail', 'received_at']);
const enc = encodeURIComponent;

/**
 * The page's evidence state: `items`, `byId`, `thumbOf` (original id → its thumbnail item),
 * `results` (item id → last verification), `custody` (item id → {open, log, error}),
 * `open` (ids whose details are shown), `raw` (ids whose JSON is shown), `players` (item
 * id → its media element, kept across redraws so that playback goes on) and `filter`.
 */
export function makeState(caseId, items) {
  const byId = new Map(items.map((item) => [item.id, item]));
  const thumbOf = new Map(items.filter((i) => i.kind === 'thumbnail' && i.derived_from)
    .map((thumb) => [thumb.derived_from, thumb]));
  return { caseId, items, byId, thumbOf, results: new Map(), custody: new Map(), open: new Set(),
    raw: new Set(), players: new Map(), filter: { kind: '', text: '' }, redraw: () => {} };
}

/** What the item is, in a few words: its file name, whose recording, which version. */
export function itemTitle(item) {
  const seen = item.observed || {};
  if (item.claimed && item.claimed.filename) return item.claimed.filename;
  if (item.kind === 'recording' && seen.participant) {
    return t(seen.media === 'audio' ? 'ev.title.audio' : 'ev.title.video', { name: seen.participant.name || '' });
  }
  if (VERSIONED.has(item.kind) && seen.version) return t('ev.title.version', { n: seen.version });
  return `${kindOne(item.kind)} ${item.id.slice(0, 8)}`;
}

/** Who gave it or where it came from, as the server saw it. */
export function sourceOf(item, state) {
  const seen = item.observed || {};
  const people = [seen.uploader, seen.participant].filter((p) => p && typeof p === 'object');
  if (people.length) return people.map(personLabel).join(' → ');
  if (seen.invitation) return t('ev.src.party');
  const original = item.derived_from && state.byId.get(item.derived_from);
  if (original) return t('ev.src.derived', { kind: kindOne(original.kind) });
  if (seen.complaint || seen.channel) return t('ev.src.complaint');
  return t('ev.src.server');
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

function mainFacts(item, state) {
  const seen = item.observed || {};
  const claimed = item.claimed || {};
  const fact = (key, value, extra = {}) => [h('dt', extra, t(key)), h('dd', extra, value)];
  const original = item.derived_from && state.byId.get(item.derived_from);
  return h('dl', { class: 'facts' },
    fact('ev.sha256', hashRow(item)),
    fact(item.kind === 'recording' ? 'ev.size.manifest' : 'ev.size', t('ev.v.bytes', { size: humanSize(item.size), n: item.size })),
    item.kind === 'recording' ? null : fact('ev.type', item.content_type || t('common.none')),
    fact('ev.created', formatDateTime(item.created_at)),
    seen.received_at ? fact('ev.received', formatDateTime(seen.received_at)) : null,
    claimed.device_time ? fact('ev.device_time', String(claimed.device_time), { class: 'claimed' }) : null,
    fact('ev.source', sourceOf(item, state)),
    item.derived_from ? fact('ev.derived_from', h('a', { href: `#item-${item.derived_from}`, 'data-testid': 'derived-from' },
      original ? `${kindOne(original.kind)} ${original.sha256.slice(0, 12)}…` : item.derived_from)) : null);
}

function preview(item, state) {
  const thumb = state.thumbOf.get(item.id);
  if (!IMAGE_KINDS.has(item.kind) || !thumb) return null;
  const name = (item.claimed && item.claimed.filename) || kindOne(item.kind);
  return h('a', { class: 'ev-preview', href: `/api/evidence/${enc(item.id)}/content`, target: '_blank', rel: 'noopener' },
    h('img', { src: `/api/evidence/${enc(thumb.id)}/content`, alt: t('ev.preview', { name }),
      loading: 'lazy', 'data-testid': 'thumbnail' }));
}

/** A recording as a recording: its segments joined (not transcoded) in a player, and
 *  the same as one file to save. The element is made once, so a redraw keeps it playing. */
function player(item, state) {
  if (item.kind !== 'recording' || !item.recording_id) return null;
  const media = `/api/recordings/${enc(item.recording_id)}/media`;
  if (!state.players.has(item.id)) {
    const audio = (item.observed || {}).media === 'audio';
    state.players.set(item.id, h(audio ? 'audio' : 'video', { controls: true, preload: 'metadata', src: media,
      class: 'ev-player', 'data-testid': 'player', 'aria-label': itemTitle(item) }));
  }
  state.players.get(item.id).setAttribute('aria-label', itemTitle(item));
  return h('figure', { class: 'ev-media' }, state.players.get(item.id),
    h('figcaption', { class: 'muted' }, t('ev.player')),
    h('div', { class: 'actions' },
      h('a', { class: 'button small primary', href: `${media}?download=1`, download: '', 'data-testid': 'download-playable' },
        t('ev.download_playable')),
      item.interview_id ? h('a', { class: 'button small', href: `/console/interviews/${enc(item.interview_id)}/playback` },
        t('ev.open_playback')) : null),
    h('p', { class: 'muted ev-hint' }, t('ev.download_playable.hint')));
}

function links(item) {
  const a = (href, key, extra = {}) => h('a', { class: 'button small', href, ...extra }, t(key));
  if (item.kind === 'recording') return [];
  const out = [];
  if (item.kind === 'record' && item.interview_id) {
    out.push(a(`/console/interviews/${enc(item.interview_id)}/record`, 'ev.open_record'));
  }
  const pdf = item.kind === 'record-pdf' || item.content_type === 'application/pdf';
  out.push(a(`/api/evidence/${enc(item.id)}/content`, pdf ? 'ev.open_pdf' : 'ev.open_original',
    { target: '_blank', rel: 'noopener' }));
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

function rawBox(item, state) {
  if (!state.raw.has(item.id)) return null;
  const manifest = item.kind === 'recording'
    ? h('p', {}, h('a', { href: `/api/evidence/${enc(item.id)}/content`, target: '_blank', rel: 'noopener' },
      t('ev.raw.manifest'))) : null;
  return h('div', { class: 'ev-raw-box' }, manifest, rawJson(item));
}

function sides(item) {
  const observed = facts(item.observed, { observed: true, skip: SKIP_OBSERVED })
    || h('p', { class: 'muted' }, t('common.none'));
  const claimed = facts(item.claimed, { observed: false })
    || h('p', { class: 'muted' }, t('ev.claimed.none'));
  return h('div', { class: 'ev-sides' },
    h('section', { class: 'ev-observed' }, h('h5', {}, t('ev.observed')), observed),
    h('section', { class: 'ev-claimed' }, h('h5', {}, t('ev.claimed')), claimed));
}

/** One item's details. `state.redraw(item)` puts a fresh one (and its row) in its place. */
export function itemCard(item, state) {
  const verify = async () => {
    state.results.set(item.id, { pending: true });
    state.redraw(item);
    state.results.set(item.id, await verifyItem(item));
    state.redraw(item);
  };
  const toggleCustody = async () => {
    const entry = state.custody.get(item.id) || { open: false };
    entry.open = !entry.open;
    state.custody.set(item.id, entry);
    state.redraw(item);
    if (!entry.open) return;
    try {
      entry.log = await loadCustody(state.caseId, item.id);
      entry.error = null;
    } catch (err) {
      entry.error = describeError(err);
    }
    state.redraw(item);
  };
  const toggleRaw = () => {
    if (state.raw.has(item.id)) state.raw.delete(item.id);
    else state.raw.add(item.id);
    state.redraw(item);
  };
  const result = state.results.get(item.id);
  const custodyOpen = Boolean((state.custody.get(item.id) || {}).open);
  const rawOpen = state.raw.has(item.id);
  return h('article', { class: 'ev-item', id: `item-${item.id}`, tabindex: '-1',
    'data-testid': 'evidence-item', 'data-kind': item.kind, 'data-id': item.id },
  h('h4', {}, itemTitle(item)),
  player(item, state),
  h('div', { class: 'ev-main' }, preview(item, state), mainFacts(item, state)),
  sides(item),
  h('div', { class: 'actions' },
    h('button', { type: 'button', class: 'small', 'data-testid': 'verify', disabled: Boolean(result && result.pending),
      onclick: verify }, t('ev.verify')),
    links(item),
    h('button', { type: 'button', class: 'small', 'aria-expanded': String(custodyOpen), 'data-testid': 'custody-toggle',
      onclick: toggleCustody }, t(custodyOpen ? 'ev.custody.hide' : 'ev.custody.item')),
    h('button', { type: 'button', class: 'small', 'aria-expanded': String(rawOpen), 'data-testid': 'raw-toggle',
      onclick: toggleRaw }, t(rawOpen ? 'ev.raw.hide' : 'ev.raw.show'))),
  verifyState(result),
  custodyBox(item, state),
  rawBox(item, state));
}
