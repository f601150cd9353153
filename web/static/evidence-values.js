// What the server observed and the client claimed of an item, in words: every key a
// label in the reader's language, every value as a person reads it (a time in their zone,
// a size in KB, 是/否, a party as "张三（劳动者）", a nested object as a nested list). The
// JSON itself only on request (`rawJson`).

import { t, formatDateTime } from './i18n.js';
import { h } from './dom.js';
import { fieldLabel, humanSize, personLabel, roleName } from './evidence-text.js';

const LIST_LIMIT = 20; // entries of a list shown; the rest are counted
const DEPTH_LIMIT = 3;
const BYTE_KEYS = new Set(['size', 'media_bytes']);
const SECOND_KEYS = new Set(['duration', 'start', 'end']);
const PIXEL_KEYS = new Set(['width', 'height']);
// Values that are words from a fixed set, each with its label (`ev.v.<key>.<value>`).
const ENUM_KEYS = new Set(['media', 'status', 'decision', 'reason']);
// Sentences the server writes in English, worded for the reader.
const SENTENCES = [
  [/^when the version was saved$/, 'ev.v.rendered.saved'],
  [/^afterwards, at (\S+): /, 'ev.v.rendered.later', (m) => ({ at: formatDateTime(m[1]) })],
  [/^decoded by the server from the participant's video$/, 'ev.v.frame.server'],
  [/^HEIC\/HEIF is not decoded on this server$/, 'ev.v.note.heic'],
  [/^the image could not be decoded$/, 'ev.v.note.undecodable'],
  [/^too large to decode for a thumbnail$/, 'ev.v.note.too_large'],
  [/^the server was too busy/, 'ev.v.note.busy'],
  [/^OpenCV INTER_AREA to at most (\d+) px a side, JPEG quality (\d+)$/, 'ev.v.method.thumbnail',
    (m) => ({ side: m[1], quality: m[2] })],
];

function sentence(text) {
  for (const [pattern, key, vars] of SENTENCES) {
    const match = pattern.exec(text);
    if (match) return t(key, vars ? vars(match) : {});
  }
  return null;
}

function enumLabel(key, value) {
  if (key === 'role') return roleName(value);
  const label = `ev.v.${key}.${value}`;
  const text = t(label);
  return text === label ? null : text;
}

function isPerson(value) {
  return ('name' in value || 'username' in value) && !Array.isArray(value);
}

/** One value as words (a string) or as a node (a nested list, a hash). */
export function valueNode(key, value, { observed = true, depth = 0 } = {}) {
  if (value === null || value === undefined || value === '') return t('common.none');
  if (typeof value === 'boolean') return t(value ? 'ev.v.yes' : 'ev.v.no');
  if (typeof value === 'number') {
    if (BYTE_KEYS.has(key)) return t('ev.v.bytes', { size: humanSize(value), n: value });
    if (SECOND_KEYS.has(key)) return t('ev.v.seconds', { n: value });
    if (PIXEL_KEYS.has(key)) return t('ev.v.px', { n: value });
    return String(value);
  }
  if (Array.isArray(value)) return listNode(key, value, observed, depth);
  if (typeof value === 'object') {
    if (isPerson(value)) return personLabel(value);
    if ('width' in value && 'height' in value && Object.keys(value).length <= 3 && !('received_at' in value)) {
      return `${value.width} × ${value.height}`;
    }
    if (depth >= DEPTH_LIMIT) return t('ev.v.items', { n: Object.keys(value).length });
    return facts(value, { observed, depth: depth + 1 });
  }
  const text = String(value);
  if (/^[0-9a-f]{64}$/.test(text)) return h('code', { class: 'hash' }, text);
  // Times the server took are shown in the reader's zone; a claimed time exactly as sent.
  if (observed && /(^|_)at$/.test(key) && !Number.isNaN(Date.parse(text))) return formatDateTime(text);
  return ((ENUM_KEYS.has(key) || key === 'role') && enumLabel(key, text)) || sentence(text) || text;
}

function listNode(key, values, observed, depth) {
  if (!values.length) return t('common.none');
  if (values.every((v) => v === null || typeof v !== 'object')) {
    return values.map((v) => {
      const node = valueNode(key, v, { observed, depth });
      return typeof node === 'string' ? node : String(v);
    }).join(t('ev.v.sep'));
  }
  if (depth >= DEPTH_LIMIT) return t('ev.v.items', { n: values.length });
  const shown = values.slice(0, LIST_LIMIT);
  return h('div', { class: 'ev-list' },
    h('span', { class: 'muted' }, t('ev.v.items', { n: values.length })),
    h('ol', {}, shown.map((v) => h('li', {}, valueNode(key, v, { observed, depth: depth + 1 })))),
    values.length > shown.length ? h('p', { class: 'muted' }, t('ev.v.more', { n: values.length - shown.length })) : null);
}

/**
 * `data` (an item's `observed` or `claimed`) as a definition list, keys translated;
 * `skip`: keys shown elsewhere already. Null when nothing is left to show.
 */
export function facts(data, { observed = true, depth = 0, skip = new Set() } = {}) {
  const entries = Object.entries(data || {})
    .filter(([key, value]) => value !== null && value !== undefined && value !== '' && !skip.has(key));
  if (!entries.length) return null;
  return h('dl', { class: 'facts ev-facts' }, entries.flatMap(([key, value]) => [
    h('dt', {}, fieldLabel(key)), h('dd', {}, valueNode(key, value, { observed, depth }))]));
}

/** The item as the server answered it, for whoever asks to see the JSON. */
export function rawJson(item) {
  return h('pre', { class: 'ev-raw', 'data-testid': 'raw-json' }, JSON.stringify(item, null, 2));
}
