// The interview's text chat, for when audio fails, on the console and on the phone: the
// messages as the server stamped and relayed them (it keeps each as evidence), a line to
// write one, and each new message from someone else announced to screen readers. A
// message shows once the server has it: ours comes back as its confirmation.

import { formatDateTime, onLangChange, t } from './i18n.js';
import { h } from './dom.js';
import { who } from './room-text.js';
import './chat-text.js';

const KEEP = 500;
const REFUSALS = new Set(['chat_too_long', 'chat_control', 'chat_empty', 'chat_unavailable']);

function clockTime(iso) {
  return formatDateTime(iso, { timeStyle: 'short' }); // the bureau's time zone
}

export class ChatPanel {
  /**
   * client: the RoomClient; els: {list, form, input, error, live, empty?, note?} (the
   * elements of the page's chat). isOpen(): whether the messages are in view now;
   * onUnread(n): how many messages from others arrived while they were not.
   */
  constructor({ client, els, isOpen = () => true, onUnread = () => {} }) {
    this.client = client;
    this.els = els;
    this.isOpen = isOpen;
    this.onUnread = onUnread;
    this.messages = []; // as the server sent them, by seq
    this.pending = null; // the text sent and not yet confirmed: back in the line if refused
    this.problem = null; // the key of what is wrong with the last send, or null
    this.unread = 0;
    this.connections = 0;
    this.muted = false;
    client
      .on('welcome', () => { this.connections += 1; })
      // A reconnection's history is news to announce; the first one is the past (unread
      // on a phone that joined after it was written, all the same).
      .on('chathistory', (list) => { for (const m of list) this.add(m, this.connections > 1); })
      .on('chat', (m) => this.add(m, true))
      .on('refused', (code) => this.onRefused(code));
    this.onSubmit = (event) => { event.preventDefault(); this.send(); };
    els.form.addEventListener('submit', this.onSubmit);
    this.onLang = () => this.render();
    onLangChange(this.onLang);
    this.render();
  }

  /** One message from the server, new to this page; `announce`: tell screen readers. */
  add(message, announce) {
    if (!message || typeof message.text !== 'string' || !message.from) return;
    if (this.messages.some((m) => m.seq === message.seq)) return;
    this.messages.push(message);
    this.messages.sort((a, b) => a.seq - b.seq);
    if (this.messages.length > KEEP) this.messages.splice(0, this.messages.length - KEEP);
    const mine = message.from.id === this.client.you;
    if (mine && this.pending === message.text) {
      this.pending = null;
      this.problem = null;
    }
    if (!mine && announce) this.els.live.textContent = t('chat.announce', { who: who(message.from), text: message.text });
    if (!mine && !this.isOpen()) this.setUnread(this.unread + 1);
    this.render();
  }

  send() {
    const text = this.els.input.value.trim();
    if (!text) return;
    if (!this.client.chat(text)) {
      this.problem = 'chat.error.offline';
    } else {
      this.pending = text;
      this.problem = null;
      this.els.input.value = '';
    }
    this.renderProblem();
  }

  onRefused(code) {
    if (!REFUSALS.has(code)) return;
    if (this.pending !== null && !this.els.input.value) this.els.input.value = this.pending;
    this.pending = null;
    this.problem = `chat.error.${code}`;
    this.renderProblem();
  }

  /** The panel came into view: everything in it is read. */
  seen() {
    this.setUnread(0);
    this.scrollToEnd();
  }

  setUnread(n) {
    this.unread = n;
    this.onUnread(n);
  }

  setMuted(muted) {
    this.muted = muted;
    this.render();
  }

  render() {
    const list = this.els.list;
    const following = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.replaceChildren(...this.messages.map((m) => this.item(m)));
    if (this.els.empty) this.els.empty.hidden = this.messages.length > 0;
    if (this.els.note) {
      this.els.note.hidden = !this.muted;
      this.els.note.textContent = t('chat.muted_note');
    }
    this.renderProblem();
    if (following) this.scrollToEnd();
  }

  item(m) {
    const mine = m.from.id === this.client.you;
    const classes = ['chat-msg', `role-${m.from.role}`, mine ? 'is-mine' : '', m.to === 'staff' ? 'to-staff' : ''];
    return h('li', { class: classes.filter(Boolean).join(' '), 'data-testid': 'chat-message' },
      h('span', { class: 'chat-meta' },
        h('time', { datetime: m.at }, clockTime(m.at)), ' ',
        h('span', { class: 'chat-who' }, mine ? t('chat.me') : who(m.from)),
        m.to === 'staff' ? h('span', { class: 'badge chat-only' }, t('chat.staff_only')) : null),
      h('span', { class: 'chat-text' }, m.text));
  }

  renderProblem() {
    const error = this.els.error;
    error.hidden = !this.problem;
    error.textContent = this.problem ? t(this.problem) : '';
  }

  scrollToEnd() {
    this.els.list.scrollTop = this.els.list.scrollHeight;
  }

  stop() {
    this.els.form.removeEventListener('submit', this.onSubmit);
    document.removeEventListener('zm:langchange', this.onLang);
  }
}
