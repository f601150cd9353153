// The playback page's list of recordings: one row per recorded track with its state,
// segment count, duration and SHA-256 chain head, and a button that has the server
// re-read and re-check every stored segment, the chain and the seal.

import { api } from './api.js';
import { t, describeError } from './i18n.js';
import { h, fill } from './dom.js';
import { who } from './room-text.js';

const HEAD_SHOWN = 16; // hex digits of the chain head shown; the rest is in the tooltip

function duration(seconds) {
  return t('pb.seconds', { s: (Number(seconds) || 0).toFixed(1) });
}

/** Fill `table` (a <table class="list">) with `recordings`; returns {render} for a language switch. */
export function mountRecordingList(table, recordings) {
  const results = new Map(); // recording id → 'busy' | {ok, problems, segments} | {error}

  async function verify(recording) {
    results.set(recording.id, 'busy');
    render();
    try {
      const answer = await api(`/api/recordings/${encodeURIComponent(recording.id)}/verify`, { method: 'POST' });
      results.set(recording.id, answer);
    } catch (err) {
      results.set(recording.id, { error: describeError(err) });
    }
    render();
    // The row was drawn anew: keep the keyboard where it was.
    const again = table.querySelector(`[data-recording="${CSS.escape(recording.id)}"] button`);
    if (again) again.focus();
  }

  function result(recording) {
    const found = results.get(recording.id);
    const attrs = (state) => ({ class: `pb-verify pb-verify-${state}`, 'data-testid': `verify-result-${recording.id}`, 'data-state': state, role: 'status' });
    if (found === undefined) return h('span', attrs('none'));
    if (found === 'busy') return h('span', attrs('busy'), t('pb.verifying'));
    if (found.error) return h('span', attrs('error'), found.error);
    if (found.ok) return h('span', attrs('ok'), t('pb.verify.ok', { n: found.segments }));
    return h('div', attrs('bad'),
      t('pb.verify.bad', { n: found.problems.length }),
      h('ul', {}, found.problems.map((problem) => h('li', { lang: 'en' }, problem))));
  }

  function row(recording) {
    const kind = t(`rec.kind.${recording.kind}`);
    const person = who(recording.participant);
    const head = recording.head || '';
    const cell = (key, ...content) => h('td', { 'data-label': t(key) }, ...content);
    return h('tr', { 'data-recording': recording.id },
      cell('pb.col.who', person),
      cell('pb.col.kind', kind),
      cell('pb.col.state', h('span', { class: `badge rec-state-${recording.state}` }, t(`rec.state.${recording.state}`))),
      cell('pb.col.segments', String(recording.segments)),
      cell('pb.col.duration', duration(recording.duration)),
      cell('pb.col.head', head
        ? h('code', { title: head }, head.length > HEAD_SHOWN ? `${head.slice(0, HEAD_SHOWN)}…` : head)
        : t('common.none')),
      cell('pb.col.verify',
        h('button', {
          type: 'button',
          class: 'small',
          'data-testid': `verify-${recording.id}`,
          'aria-label': t('pb.verify_label', { who: person, kind }),
          disabled: results.get(recording.id) === 'busy' || !recording.segments,
          onclick: () => verify(recording),
        }, t('pb.verify')),
        ' ', result(recording)));
  }

  function render() {
    const heads = ['pb.col.who', 'pb.col.kind', 'pb.col.state', 'pb.col.segments', 'pb.col.duration',
      'pb.col.head', 'pb.col.verify'];
    fill(table,
      h('thead', {}, h('tr', {}, heads.map((key) => h('th', { scope: 'col' }, t(key))))),
      h('tbody', {}, recordings.map(row)));
  }

  render();
  return { render };
}
