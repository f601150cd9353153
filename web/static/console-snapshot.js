// A 截图 button on each party's tile in the console: the party's current video frame at
// the full resolution it arrives in (videoWidth × videoHeight, not the tile's size),
// saved as a PNG evidence item of kind `snapshot` naming the participant.

import { t, describeError, onLangChange } from './i18n.js';
import './upload-text.js';
import { h } from './dom.js';
import { uploadEvidence } from './upload.js';

const SHOW_RESULT_MS = 4000;

export class Snapshots {
  constructor({ caseId, interviewId }) {
    this.caseId = caseId;
    this.interviewId = interviewId;
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
    label();
    onLangChange(label);
    tile.el.querySelector('.tile-actions').append(button, result);
  }

  async take(tile, button, result) {
    const video = tile.video;
    if (!video.videoWidth || !video.videoHeight) {
      show(result, t('snap.no_video'));
      return;
    }
    button.disabled = true;
    show(result, t('snap.sending'), 0);
    try {
      const blob = await frameOf(video);
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      await uploadEvidence(this.caseId, blob, {
        name: `snapshot-${stamp}.png`,
        fields: { kind: 'snapshot', interview_id: this.interviewId, participant: tile.id },
      });
      show(result, t('snap.done'));
    } catch (err) {
      show(result, t('snap.failed', { detail: err.status !== undefined ? describeError(err) : String(err) }), 0);
    } finally {
      button.disabled = false;
    }
  }
}

function frameOf(video) {
  const canvas = document.createElement('canvas');
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext('2d').drawImage(video, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('no image'))), 'image/png');
  });
}

function show(el, text, hideAfterMs = SHOW_RESULT_MS) {
  el.textContent = text;
  clearTimeout(el.hideTimer);
  if (hideAfterMs) el.hideTimer = setTimeout(() => { el.textContent = ''; }, hideAfterMs);
}
