// Re-verification of evidence items against the object store: one at a time, or all of them
// in turn (sequentially, so a large case does not make the server re-hash everything at once).

import { api } from './api.js';
import { t, formatDateTime, describeError } from './i18n.js';
import './evidence-text.js';
import { h } from './dom.js';

/**
 * Ask the server to re-hash the item's stored bytes. Resolves with
 * {ok, problem, checked_at, error}; never rejects (a failed call is a failed check).
 * A recording is checked segment by segment, chain and seal included.
 */
export async function verifyItem(item) {
  try {
    if (item.kind === 'recording' && item.recording_id) {
      const answer = await api(`/api/recordings/${encodeURIComponent(item.recording_id)}/verify`,
        { method: 'POST' });
      return { ok: Boolean(answer.ok), problem: (answer.problems || []).join('; '),
        checked_at: new Date().toISOString(), segments: answer.segments };
    }
    const answer = await api(`/api/evidence/${encodeURIComponent(item.id)}/verify`, { method: 'POST' });
    return { ok: Boolean(answer.ok), problem: answer.problem || '', checked_at: answer.checked_at };
  } catch (err) {
    return { ok: false, error: describeError(err), checked_at: new Date().toISOString() };
  }
}

/** ✓ 一致 / ✗ 不一致 with the problem and the time; "not yet" before the first check. */
export function verifyState(result) {
  if (!result) {
    return h('span', { class: 'ev-verify muted', 'data-testid': 'verify-state', 'data-state': 'none' },
      t('ev.verify.none'));
  }
  if (result.pending) {
    return h('span', { class: 'ev-verify muted', 'data-testid': 'verify-state', 'data-state': 'pending' },
      t('ev.verifying'));
  }
  const time = formatDateTime(result.checked_at);
  let text;
  if (result.ok) text = t('ev.verify.ok', { time });
  else if (result.error) text = t('ev.verify.failed', { problem: result.error });
  else text = t('ev.verify.bad', { time, problem: result.problem || t('common.none') });
  if (result.ok && result.segments !== undefined) text += ` · ${t('ev.verify.segments', { n: result.segments })}`;
  return h('span', { class: `ev-verify ${result.ok ? 'ok' : 'bad'}`, 'data-testid': 'verify-state',
    'data-state': result.ok ? 'ok' : 'bad', role: 'status' }, text);
}

/**
 * Verify `items` one after another; `onResult(item, result)` after each and
 * `onProgress(done, total)` before and after each.
 */
export async function verifyAll(items, onResult, onProgress) {
  let bad = 0;
  onProgress(0, items.length);
  for (let i = 0; i < items.length; i += 1) {
    const result = await verifyItem(items[i]);
    if (!result.ok) bad += 1;
    onResult(items[i], result);
    onProgress(i + 1, items.length);
  }
  return bad;
}
