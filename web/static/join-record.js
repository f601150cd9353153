// The party's side of the inquiry record on the join page: a card that says a record is
// waiting to be read (or how it was answered), and a full-screen reading view with the
// record's exact text — the text whose SHA-256 the answer binds, shown verbatim — then
// "以上笔录与您说的相符吗？" with two choices: sign (signature-pad.js) and confirm, or
// refuse with a reason. The invitation token is the bearer, as everywhere on this page.

import { api } from './api.js';
import { h } from './dom.js';
import { t, formatDateTime, describeError } from './i18n.js';
import './join-record-text.js';
import { SignaturePad } from './signature-pad.js';

const $ = (id) => document.getElementById(id);
const HTML_LANG = { zh: 'zh-CN', en: 'en' };

/** What went wrong with an answer, in the party's words. */
function answerProblem(err) {
  if (err.code === 'network') return t('jr.error.network');
  if (err.code === 'empty_signature') return t('jr.error.empty_signature');
  if (err.code === 'invalid_signature' || err.status === 413) return t('jr.error.bad_signature');
  if (err.code === 'missing_field') return t('jr.refuse.missing');
  if (err.code === 'invitation_expired') return t('join.expired.text');
  if (err.code === 'invitation_revoked') return t('join.revoked.text');
  if (err.status === 401) return t('join.invalid.text');
  return describeError(err);
}

export class PartyRecord {
  constructor(token) {
    this.token = token;
    this.record = null; // GET /api/invitation/record, or null when none was sent
    this.choice = null; // 'confirm' | 'refuse' while the party is answering
    this.closed = false; // the server said this request can no longer be answered
    this.retry = null; // what the "try again" button does after a network error
    this.pad = new SignaturePad($('signature'), { onChange: () => this.renderButtons() });
    $('record-open').addEventListener('click', () => this.open());
    $('reader-close').addEventListener('click', () => this.close());
    $('choose-confirm').addEventListener('click', () => this.choose('confirm'));
    $('choose-refuse').addEventListener('click', () => this.choose('refuse'));
    $('sign-clear').addEventListener('click', () => this.pad.clear());
    $('confirm').addEventListener('click', () => this.confirm());
    $('refuse-box').addEventListener('submit', (event) => { event.preventDefault(); this.refuse(); });
    $('answer-retry').addEventListener('click', () => { if (this.retry) this.retry(); });
    $('record-copy').addEventListener('click', () => this.downloadCopy());
    // The phone's back button closes the reading view instead of leaving the page.
    window.addEventListener('popstate', () => { if (!$('reader').hidden) this.hide(); });
  }

  call(path, options = {}) {
    return api(path, { ...options, bearer: this.token, redirectOn401: false });
  }

  /** Ask whether a record waits for this party; a 404 (none sent) changes nothing. */
  async load() {
    try {
      const record = await this.call('/api/invitation/record');
      if (!this.record || record.version !== this.record.version) this.closed = false;
      this.record = record;
    } catch (err) {
      if (err.status === 404 || err.status === 401 || err.status === 410) this.record = null;
      // A network error keeps what is shown; the next visit to the page asks again.
    }
    this.render();
  }

  /** Above everything once the interview has ended; below the call's page while it is on. */
  place(ended) {
    const card = $('record-card');
    const main = $('main');
    main.insertBefore(card, ended ? $('join-problem') : null);
  }

  answered() {
    return this.record.state !== 'awaiting' || this.closed;
  }

  render() {
    $('record-card').hidden = !this.record;
    if (!this.record) return;
    this.renderCard();
    this.renderReader();
  }

  renderCard() {
    const { state, confirmation } = this.record;
    let text = t('jr.card.awaiting');
    if (state === 'confirmed' && confirmation) text = t('jr.card.confirmed', { time: formatDateTime(confirmation.at) });
    if (state === 'refused' && confirmation) text = t('jr.card.refused', { reason: confirmation.reason });
    if (state === 'superseded') text = t('jr.card.superseded');
    $('record-card-text').textContent = text;
    $('record-card').dataset.state = state;
    $('record-open').textContent = t(this.answered() ? 'jr.card.view' : 'jr.card.open');
  }

  renderReader() {
    const block = $('record-text');
    if (block.textContent !== this.record.text) block.textContent = this.record.text; // verbatim
    block.lang = HTML_LANG[this.record.language] || 'zh-CN';
    const answered = this.answered();
    $('answer-choices').hidden = answered;
    // The question is for a party still answering; once refused, nothing on the page may
    // read as "I have read it and it matches" (that formula is only beside the signature).
    $('statement').hidden = answered;
    $('sign-box').hidden = answered || this.choice !== 'confirm';
    $('refuse-box').hidden = answered || this.choice !== 'refuse';
    $('choose-confirm').setAttribute('aria-pressed', String(this.choice === 'confirm'));
    $('choose-refuse').setAttribute('aria-pressed', String(this.choice === 'refuse'));
    this.renderDone();
    this.renderButtons();
  }

  renderDone() {
    const done = $('answer-done');
    const { state, confirmation } = this.record;
    done.hidden = !this.answered();
    done.dataset.state = this.closed && state === 'awaiting' ? 'closed' : state;
    if (state === 'confirmed') done.textContent = t('jr.done.confirmed', { time: formatDateTime(confirmation && confirmation.at) });
    else if (state === 'refused') done.textContent = t('jr.done.refused', { reason: confirmation ? confirmation.reason : '' });
    else done.textContent = t('jr.done.closed');
    done.className = `answer-done state-${done.dataset.state}`;
    $('record-copy').hidden = state !== 'confirmed';
  }

  /** The party's own copy: the stored PDF of its confirmation, saved by the browser. */
  async downloadCopy() {
    const button = $('record-copy');
    const problem = $('record-copy-problem');
    button.disabled = true;
    problem.hidden = true;
    try {
      const res = await fetch('/api/invitation/record.pdf', {
        headers: { Authorization: `Bearer ${this.token}` }, credentials: 'omit', cache: 'no-store',
      });
      if (!res.ok) throw new Error(String(res.status));
      const url = URL.createObjectURL(await res.blob());
      const link = h('a', { href: url, download: `询问笔录-第${this.record.version}版.pdf` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch {
      problem.textContent = t('jr.copy.failed');
      problem.hidden = false;
    } finally {
      button.disabled = false;
    }
  }

  renderButtons(busy = false) {
    $('confirm').disabled = busy || !this.pad.hasInk();
    $('refuse').disabled = busy;
    $('sign-clear').disabled = busy;
  }

  open() {
    this.render();
    $('reader').hidden = false;
    document.body.classList.add('reading');
    history.pushState({ zmReader: true }, '');
    $('reader-scroll').scrollTop = 0;
    $('reader-title').focus();
  }

  close() {
    if (history.state && history.state.zmReader) history.back(); // popstate hides it
    else this.hide();
  }

  hide() {
    $('reader').hidden = true;
    document.body.classList.remove('reading');
    $('record-open').focus();
  }

  choose(choice) {
    this.choice = choice;
    this.problem(null);
    this.renderReader();
    this.pad.resize(); // the box has a size only now that it shows
    if (choice === 'refuse') $('refuse-reason').focus();
    else $('signature').scrollIntoView({ block: 'center' });
  }

  problem(text, retry = null) {
    this.retry = retry;
    $('answer-problem').hidden = !text;
    $('answer-problem-text').textContent = text || '';
    $('answer-retry').hidden = !retry;
  }

  confirm() {
    if (!this.pad.hasInk()) return;
    this.answer('confirm', { signature: this.pad.toDataURL() }, () => this.confirm());
  }

  refuse() {
    const reason = $('refuse-reason').value.trim();
    if (!reason) {
      this.problem(t('jr.refuse.missing'));
      $('refuse-reason').focus();
      return;
    }
    this.answer('refuse', { reason }, () => this.refuse());
  }

  /** Send the answer bound to the version and text shown; the drawn signature stays on failure. */
  async answer(kind, fields, again) {
    this.problem(null);
    $('reader-note').hidden = true;
    this.renderButtons(true);
    const body = { version: this.record.version, text_sha256: this.record.text_sha256, ...fields };
    try {
      const confirmation = await this.call(`/api/invitation/record/${kind}`, { method: 'POST', body });
      this.record = { ...this.record, state: confirmation.decision, confirmation };
      this.render();
      $('answer-done').scrollIntoView({ block: 'center' });
    } catch (err) {
      await this.failed(err, again);
    } finally {
      this.renderButtons();
    }
  }

  async failed(err, again) {
    if (err.status === 409 && err.code === 'text_changed') {
      await this.load();
      this.problem(t('jr.error.text_changed'));
      $('reader-note').hidden = false;
      $('reader-note').textContent = t('jr.error.text_changed');
      $('reader-scroll').scrollTop = 0;
      return;
    }
    if (err.status === 409 && err.code === 'already_answered') {
      await this.load();
      if (this.record && this.record.state === 'awaiting') this.closed = true;
      this.render();
      return;
    }
    this.problem(answerProblem(err), err.code === 'network' ? again : null);
  }
}
