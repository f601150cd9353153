// A 截图 button on each party's tile in the console. The server takes the picture: the
// latest frame of that participant's video as it decoded it, full size, saved as a PNG
// evidence item of kind `snapshot` (POST /api/interviews/{id}/snapshots). The console only
// says whom, so what is stored as observed is what the server saw. Each stored item is
// handed to `onStored` (the console previews it from the store).

import { t, describeError } from './i18n.js';
import './upload-text.js';
import { h } from './dom.js';
import { api } from './api.js';

const SHOW_RESULT_MS = 4000;

export class Snapshots {
  /** onStored(item, tile): the evidence item the server answered with, once stored. */
  constructor({ interviewId, onStored = () => {} }) {
    this.interviewId = interviewId;
    this.onStored = onStored;
  }

  /** Give a ParticipantTile its snapshot button and result line. */
  attach(tile) {
    const result = h('span', { class: 'tile-snap-result muted', role: 'status' });
    const button = h('button', {
      type: 'button', class: 'small', 'data-testid': 'snapshot',
      onclick: () => this.take(tile, button, result),
    });
    const label = () => {
      button.textContent = t('snap.button');
      button.setAttribute('aria-label', t('snap.label', { name: tile.participant.name || '' }));
    };
    tile.onRender(label);
    tile.el.querySelector('.tile-actions').append(button, result);
  }

  async take(tile, button, result) {
    button.disabled = true;
    show(result, t('snap.sending'), 0);
    let item = null;
    try {
      item = await api(`/api/interviews/${encodeURIComponent(this.interviewId)}/snapshots`, {
        method: 'POST', body: { participant: tile.id },
      });
      show(result, t('snap.done'));
    } catch (err) {
      const detail = err.code === 'no_video' ? t('snap.no_video') : describeError(err);
      show(result, t('snap.failed', { detail }), 0);
    } finally {
      button.disabled = false;
    }
    if (item) this.onStored(item, tile);
  }
}

function show(el, text, hideAfterMs = SHOW_RESULT_MS) {
  el.textContent = text;
  clearTimeout(el.hideTimer);
  if (hideAfterMs) el.hideTimer = setTimeout(() => { el.textContent = ''; }, hideAfterMs);
}
