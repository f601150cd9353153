// The console's snapshots as the store holds them: a small picture of each, with whom and
// when, read back from the evidence item (the thumbnail the server derived from the
// stored original, or the original where it made none), never a copy this page drew. A
// click shows the stored original large; it is read once per page, so looking again does
// not count as another download in the item's custody log.

import { onLangChange, t, describeError, formatDateTime } from './i18n.js';
import { api, ApiError } from './api.js';
import { h, fill } from './dom.js';
import './console-text.js';

const $ = (id) => document.getElementById(id);
const content = (id) => `/api/evidence/${encodeURIComponent(id)}/content`;

function clockTime(iso) {
  return formatDateTime(iso || new Date(), { timeStyle: 'medium' }); // the bureau's time zone
}

/** When the picture was seen: the server's time of the frame, else of the item. */
function takenAt(item) {
  const frame = item.observed && item.observed.frame;
  return (frame && frame.received_at) || item.created_at;
}

export class SnapshotPreviews {
  constructor() {
    this.shots = []; // {item, name, el, img, caption, button}, oldest first
    this.originals = new Map(); // item id → Promise of an object URL of the stored bytes
    this.shown = null; // the shot open in the dialog
    this.note = null; // what the dialog says about reading the original: {key, err?} or null
    this.dialog = $('snapshot-dialog');
    $('snapshot-dialog-close').addEventListener('click', () => this.dialog.close());
    // A click on the backdrop lands on the dialog itself, outside its content.
    this.dialog.addEventListener('click', (event) => { if (event.target === this.dialog) this.dialog.close(); });
    this.dialog.addEventListener('close', () => this.onClose());
    onLangChange(() => this.render());
  }

  /** The snapshots this interview already has (a reload mid-interview). */
  async load(caseId, interviewId) {
    const items = await api(`/api/cases/${encodeURIComponent(caseId)}/evidence`);
    const known = new Set(this.shots.map((shot) => shot.item.id));
    const earlier = items.filter((item) => item.kind === 'snapshot' && item.interview_id === interviewId
      && !known.has(item.id));
    earlier.sort((a, b) => a.created_at.localeCompare(b.created_at));
    this.shots.unshift(...earlier.map((item) => this.build(item, (item.observed.participant || {}).name)));
    this.render();
  }

  /** A snapshot just stored: `item` is the server's answer. */
  add(item, name) {
    this.shots.push(this.build(item, name));
    this.render();
  }

  build(item, name) {
    const thumb = item.observed && item.observed.thumbnail;
    const img = h('img', {
      src: content(thumb ? thumb.id : item.id), 'data-testid': 'snapshot-preview', decoding: 'async',
      width: thumb ? thumb.width : null, height: thumb ? thumb.height : null,
    });
    const caption = h('time', { class: 'snapshot-caption', datetime: takenAt(item) });
    const shot = { item, name, img, caption };
    shot.button = h('button', { type: 'button', class: 'snapshot-open', onclick: () => this.open(shot) }, img, caption);
    shot.el = h('li', { 'data-item': item.id }, shot.button);
    return shot;
  }

  render() {
    $('snapshots-card').hidden = this.shots.length === 0;
    for (const shot of this.shots) {
      const vars = { name: shot.name || t('console.someone'), time: clockTime(takenAt(shot.item)) };
      shot.img.alt = t('snap.preview_alt', vars);
      shot.caption.textContent = t('snap.caption', vars);
      shot.button.setAttribute('aria-label', t('snap.open_label', vars));
    }
    fill($('snapshots'), this.shots.map((shot) => shot.el).reverse()); // the newest first
    if (this.shown) this.renderDialog();
  }

  async open(shot) {
    this.shown = shot;
    this.note = { key: 'snap.loading' };
    $('snapshot-dialog-img').removeAttribute('src');
    this.renderDialog();
    this.dialog.showModal();
    let note = null;
    try {
      $('snapshot-dialog-img').src = await this.original(shot.item);
    } catch (err) {
      note = { key: 'snap.load_failed', err };
    }
    if (this.shown !== shot) return;
    this.note = note;
    this.renderDialog();
  }

  renderDialog() {
    const { item, name } = this.shown;
    const vars = { name: name || t('console.someone'), time: clockTime(takenAt(item)) };
    $('snapshot-dialog-title').textContent = t('snap.dialog_title', vars);
    $('snapshot-dialog-img').alt = t('snap.preview_alt', vars);
    $('snapshot-dialog-sha').textContent = t('snap.fingerprint', { sha256: item.sha256 });
    const note = this.note;
    $('snapshot-dialog-status').hidden = !note;
    $('snapshot-dialog-status').textContent = note
      ? t(note.key, { detail: note.err ? describeError(note.err) : '' }) : '';
  }

  original(item) {
    if (!this.originals.has(item.id)) {
      const url = fetchObjectUrl(content(item.id));
      url.catch(() => this.originals.delete(item.id)); // the next look tries again
      this.originals.set(item.id, url);
    }
    return this.originals.get(item.id);
  }

  onClose() {
    const shot = this.shown;
    this.shown = null;
    if (shot && shot.el.isConnected) shot.button.focus();
  }
}

/** The bytes at `path` (an image) as an object URL; an ApiError when they cannot be read. */
async function fetchObjectUrl(path) {
  let res;
  try {
    res = await fetch(path, { credentials: 'same-origin', cache: 'no-store' });
  } catch (err) {
    throw new ApiError(0, 'network', String(err));
  }
  if (!res.ok) {
    const body = await res.json().catch(() => null);
    throw new ApiError(res.status, (body && body.error) || `http_${res.status}`, (body && body.message) || '');
  }
  return URL.createObjectURL(await res.blob());
}
