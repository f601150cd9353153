// The versions of a record: one row each (number, time, author or "machine draft",
// confirmed mark, correction reason, a link that shows it read-only), and "show changes"
// between two of them, drawn from the server's diff as removed and added turn text.

import { api } from './api.js';
import { t, formatDateTime, describeError } from './i18n.js';
import './record-text.js';
import { h, fill, say } from './dom.js';

function author(version) {
  if (!version.author) return t('rd.machine');
  return version.author.display_name || version.author.username;
}

/** The link that opens version `number` of this page (the latest has no query). */
export function versionHref(number, latest) {
  return number === latest ? location.pathname : `${location.pathname}?version=${number}`;
}

function versionRow(version, shown, latest) {
  const cell = (key, ...content) => h('td', { 'data-label': t(key) }, ...content);
  const here = version.version === shown;
  return h('tr', { class: here ? 'is-shown' : null, 'data-version': version.version },
    cell('rd.col.version', t('rd.version_n', { n: version.version })),
    cell('rd.col.time', formatDateTime(version.created_at)),
    cell('rd.col.author', author(version)),
    cell('rd.col.confirmed', version.confirmed
      ? h('span', { class: 'badge s-confirmed' }, t('rd.confirmed'))
      : t('common.none')),
    cell('rd.col.reason', version.correction_reason || t('common.none')),
    cell('rd.col.view', here
      ? h('span', { class: 'muted', 'aria-current': 'page' }, t('rd.shown'))
      : h('a', { href: versionHref(version.version, latest) }, t('rd.view'))));
}

function turnLine(turn) {
  return t('rd.diff.turn', { kind: t(`rd.kind.${turn.kind}`), speaker: turn.speaker, text: turn.text });
}

function fieldName(field) {
  return t(field === 'notice' ? 'rd.notice' : 'rd.closing');
}

/** One change of the diff: what went (struck through) above what came (underlined). */
function changeBlock(change) {
  const line = (value) => (typeof value === 'string' ? value : turnLine(value));
  const label = change.field ? h('p', { class: 'diff-field' }, fieldName(change.field)) : null;
  return h('div', { class: `diff-change op-${change.op}` }, label,
    change.before.map((value) => h('p', { class: 'diff-line' },
      h('span', { class: 'visually-hidden' }, t('rd.diff.removed')), h('del', {}, line(value)))),
    change.after.map((value) => h('p', { class: 'diff-line' },
      h('span', { class: 'visually-hidden' }, t('rd.diff.added')), h('ins', {}, line(value)))));
}

export function renderDiff(el, answer) {
  const changes = answer.changes.filter((c) => c.op !== 'equal');
  const unchanged = answer.changes.filter((c) => c.op === 'equal').reduce((n, c) => n + c.before.length, 0);
  fill(el,
    h('p', { class: 'muted' }, t('rd.diff.summary', { from: answer.from, to: answer.to, n: changes.length, same: unchanged })),
    changes.length ? changes.map(changeBlock) : h('p', {}, t('rd.diff.none')));
}

/**
 * The versions table and the diff form. Returns {render(record)} to redraw on a new
 * answer or a language switch.
 */
export function mountVersions({ table, form, output, interviewId }) {
  let record = null;
  let lastDiff = null; // the diff answer shown, redrawn on a language switch
  const message = h('p', { class: 'alert error', role: 'alert', hidden: true });
  form.after(message);

  function options(select, chosen) {
    fill(select, record.versions.map((v) => h('option', { value: v.version, selected: v.version === chosen },
      t('rd.version_n', { n: v.version }))));
  }

  function render(next) {
    const fresh = next && (!record || record.versions.length !== next.versions.length);
    if (next) record = next;
    // Default: what the shown version changed from the one before it.
    const to = fresh ? record.version : Number(form.to.value);
    const from = fresh ? Math.max(1, record.version - 1) : Number(form.from.value);
    options(form.from, from);
    options(form.to, to);
    const heads = ['rd.col.version', 'rd.col.time', 'rd.col.author', 'rd.col.confirmed', 'rd.col.reason', 'rd.col.view'];
    fill(table,
      h('thead', {}, h('tr', {}, heads.map((key) => h('th', { scope: 'col' }, t(key))))),
      h('tbody', {}, record.versions.map((v) => versionRow(v, record.version, record.latest_version))));
    form.hidden = record.versions.length < 2;
    if (lastDiff) renderDiff(output, lastDiff);
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    say(message, '');
    const path = `/api/interviews/${encodeURIComponent(interviewId)}/record/diff`;
    try {
      lastDiff = await api(`${path}?from=${form.from.value}&to=${form.to.value}`);
      renderDiff(output, lastDiff);
    } catch (err) {
      say(message, describeError(err));
    }
  });

  return { render };
}
