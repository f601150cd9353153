// A party sends photos and documents (工资条, 考勤记录, 欠条, 合同) from the join page, before,
// during or after the call, while the invitation link is valid. Each chosen file gets a
// line with its progress and then its result; files go one at a time, so a phone on a
// weak network spends its bandwidth on one file and the call. A file that failed for
// want of a network (or a server that could not take it just then) can be sent again
// with one tap: the phone keeps it until then.

import { t, describeError } from './i18n.js';
import './upload-text.js';
import { h, fill } from './dom.js';
import { uploadEvidence } from './upload.js';
import { api } from './api.js';

const $ = (id) => document.getElementById(id);

export class PartyUploads {
  constructor(token) {
    this.token = token;
    this.caseId = null;
    this.lines = []; // {name, file, state: waiting|sending|done|failed, progress, error}
    this.queue = Promise.resolve();
    for (const id of ['upload-file', 'upload-camera']) {
      $(id).addEventListener('change', (event) => this.chosen(event.target));
    }
    $('room-upload').addEventListener('click', () => $('upload-file').click());
  }

  /** caseId: the invitation's case, or null while the link is not (or no longer) usable. */
  setCase(caseId) {
    const first = caseId && !this.caseId && !this.loaded;
    this.caseId = caseId;
    $('upload-card').hidden = !caseId;
    $('room-upload').hidden = !caseId;
    this.render();
    if (first) this.loadSent();
  }

  /** What this party sent before (a reload, another visit): listed again, as sent. */
  async loadSent() {
    this.loaded = true;
    let sent;
    try {
      sent = await api('/api/invitation/evidence', { bearer: this.token, redirectOn401: false });
    } catch (err) {
      return; // the list only lacks the earlier ones; sending still works
    }
    const known = new Set(this.lines.map((line) => line.sha256).filter(Boolean));
    for (const item of sent) {
      if (!known.has(item.sha256)) {
        this.lines.push({ name: item.filename || t('up.unnamed'), file: null, state: 'done', progress: 1, error: null, sha256: item.sha256 });
      }
    }
    this.render();
  }

  chosen(input) {
    const files = Array.from(input.files || []);
    input.value = ''; // choosing the same photo again must fire `change` again
    for (const file of files) {
      const line = { name: file.name || t('up.unnamed'), file, state: 'waiting', progress: 0, error: null };
      this.lines.unshift(line);
      this.enqueue(line);
    }
    this.render();
  }

  enqueue(line) {
    line.state = 'waiting';
    line.progress = 0;
    line.error = null;
    this.queue = this.queue.then(() => this.send(line.file, line));
  }

  retry(line) {
    this.enqueue(line);
    this.render();
  }

  async send(file, line) {
    if (!this.caseId) {
      line.state = 'failed';
      this.render();
      return;
    }
    line.state = 'sending';
    this.render();
    try {
      const item = await uploadEvidence(this.caseId, file, {
        bearer: this.token,
        onProgress: (fraction) => { line.progress = fraction; this.render(); },
      });
      line.state = 'done';
      line.sha256 = item && item.sha256;
      line.file = null; // sent: the phone need not keep it
    } catch (err) {
      line.state = 'failed';
      line.error = err;
    }
    this.render();
  }

  render() {
    const list = $('upload-list');
    fill(list, this.lines.map((line) => lineEl(line, () => this.retry(line))));
    list.hidden = this.lines.length === 0;
    const last = this.lines[0];
    const status = $('room-upload-status');
    status.hidden = !last;
    if (last) status.textContent = `${last.name}: ${stateText(last)}`;
  }
}

function messageFor(err) {
  if (err.status === 413) return t('up.error.too_large');
  if (err.status === 415) return t('up.error.type');
  if (err.status === 410 || err.status === 401) return t('up.error.link');
  if (err.status === 0) return t('up.error.network');
  if (err.status === 429 || err.status >= 500) return t('up.error.busy');
  return describeError(err);
}

function stateText(line) {
  if (line.state === 'sending') return t('up.sending', { percent: Math.round(line.progress * 100) });
  if (line.state === 'done') return t('up.done');
  if (line.state === 'failed') return line.error ? messageFor(line.error) : t('up.error.link');
  return t('up.waiting');
}

/** Worth sending again: no answer, or a server that could not take it then (not a refusal). */
function retryable(line) {
  const status = line.error ? line.error.status : undefined;
  return line.state === 'failed' && line.file && (status === 0 || status === 429 || status >= 500);
}

function lineEl(line, onRetry) {
  const bar = line.state === 'sending'
    ? h('progress', { max: 100, value: Math.round(line.progress * 100) })
    : null;
  const again = retryable(line)
    ? h('button', { type: 'button', class: 'upload-retry', 'data-testid': 'upload-retry', onclick: onRetry },
      t('up.retry'))
    : null;
  return h('li', { class: `upload-line is-${line.state}`, 'data-state': line.state },
    h('span', { class: 'upload-name' }, line.name), bar,
    h('span', { class: 'upload-state' }, stateText(line)), again);
}
