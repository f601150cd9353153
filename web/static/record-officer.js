// The officer's own signature beside the interviewee's (询问人签名): the same pad as the
// party's, for the version on screen. POST …/record/sign; the server keeps the drawn
// signature as evidence and a statement it signs, and prints it on the record's PDF.

import { api } from './api.js';
import { t, describeError, formatDateTime } from './i18n.js';
import { h, fill } from './dom.js';
import './record-text.js';
import { SignaturePad } from './signature-pad.js';

const $ = (id) => document.getElementById(id);

export class OfficerSignature {
  constructor({ interviewId, user, onSigned }) {
    this.interviewId = interviewId;
    this.user = user;
    this.onSigned = onSigned;
    this.record = null;
    this.pad = new SignaturePad($('officer-pad'), { onChange: () => this.renderButton() });
    $('officer-clear').addEventListener('click', () => this.pad.clear());
    $('officer-submit').addEventListener('click', () => this.submit());
  }

  /** `record`: the record answer shown; `editable`: this user may sign it. */
  render(record = this.record, editable = this.editable) {
    this.record = record;
    this.editable = editable;
    const signed = (record.officer_signatures || []).filter((s) => s.version === record.version);
    fill($('officer-signed'), signed.map((s) => h('li', { 'data-testid': 'officer-signature' },
      t('os.signed', { name: s.name, badge: s.badge || '—', time: formatDateTime(s.at) }))));
    const mine = signed.some((s) => s.username === this.user.username);
    $('officer-sign').hidden = !editable || mine;
    this.renderButton();
  }

  renderButton() {
    $('officer-submit').disabled = !this.pad.hasInk();
  }

  async submit() {
    const message = $('officer-message');
    $('officer-submit').disabled = true;
    try {
      await api(`/api/interviews/${encodeURIComponent(this.interviewId)}/record/sign`, {
        method: 'POST',
        body: { version: this.record.version, text_sha256: this.record.text_sha256, signature: this.pad.toDataURL() },
      });
      this.pad.clear();
      message.className = 'alert ok';
      message.textContent = t('os.done');
      message.hidden = false;
      await this.onSigned();
    } catch (err) {
      message.className = 'alert error';
      message.textContent = describeError(err);
      message.hidden = false;
      this.renderButton();
    }
  }
}
