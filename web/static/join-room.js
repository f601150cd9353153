// The phone's live view: the others' video large, a small self-view, and two big buttons
// at the bottom (microphone, front/back camera). Wires one RoomClient (rtc.js) to the DOM.

import { onLangChange, t } from './i18n.js';
import { h } from './dom.js';
import { RoomClient } from './rtc.js';
import { cameraCount, openCamera, playStream, reopenTrack } from './media.js';
import { renderMediaProblem, who } from './room-text.js';
import { Captions } from './captions.js';
import { ChatPanel } from './chat.js';
import './join-text.js';

const $ = (id) => document.getElementById(id);

export class PhoneRoom {
  /** token: the invitation token (memory only); onClosed({reason, code}) once, at the end. */
  constructor({ interviewId, token, stream, onClosed }) {
    this.stream = stream;
    this.facing = 'user';
    this.people = new Map(); // participant id → {id, name, role, kind}
    this.remotes = new Map(); // participant id → {figure, video, caption}
    this.mediaError = null; // {err} while the camera or microphone is lost and will not reopen
    this.client = new RoomClient({
      interviewId, token, stream, reopen: (kind) => reopenTrack(kind, this.facing),
    });
    this.client
      .on('status', () => this.renderStatus())
      .on('welcome', ({ participants }) => this.onRoster(participants))
      .on('participants', (list) => this.onRoster(list))
      .on('media', (id, mediaStream) => this.onMedia(id, mediaStream))
      .on('muted', (muted) => { $('room-muted').hidden = !muted; this.chat.setMuted(muted); })
      .on('caption', (caption) => this.captions.add(caption))
      .on('localtrack', (kind) => this.onLocalTrack(kind))
      .on('localproblem', (kind, err) => this.showMediaProblem(err))
      .on('closed', (how) => { this.stop(); onClosed(how); });
    this.onMic = () => this.toggleMic();
    this.chat = new ChatPanel({
      client: this.client,
      els: { list: $('chat-list'), form: $('chat-form'), input: $('chat-input'), error: $('chat-error'),
        live: $('chat-live'), note: $('chat-note') },
      isOpen: () => !$('chat-panel').hidden,
      onUnread: () => this.renderChatButton(),
    });
    this.onChatToggle = () => this.showChat($('chat-panel').hidden);
    this.onChatClose = () => this.showChat(false);
    $('chat-toggle').addEventListener('click', this.onChatToggle);
    $('chat-close').addEventListener('click', this.onChatClose);
    this.onChatKey = (event) => { if (event.key === 'Escape') this.showChat(false); };
    $('chat-panel').addEventListener('keydown', this.onChatKey);
    // Off by default: a small screen is for the faces; a party who hears badly turns them on.
    this.captions = new Captions($('room-captions'), { show: 3 });
    this.onCaptions = () => this.toggleCaptions();
    $('toggle-captions').addEventListener('click', this.onCaptions);
    this.onSwitch = () => this.switchCamera();
    this.onRetryMedia = () => this.client.recoverLocal();
    this.onLang = () => this.renderAll();
    this.onHangUp = () => { if (window.confirm(t('join.hang_up.confirm'))) this.leave(); };
    $('hang-up').addEventListener('click', this.onHangUp);
    this.since = null; // when the call first connected: the timer counts from there
    this.timer = setInterval(() => this.renderTimer(), 1000);
    $('toggle-mic').addEventListener('click', this.onMic);
    $('switch-cam').addEventListener('click', this.onSwitch);
    $('room-media-retry').addEventListener('click', this.onRetryMedia);
    onLangChange(this.onLang);
    this.showSelf();
    this.renderMic();
    this.showChat(false);
    this.renderMediaProblem();
    $('room-muted').hidden = true;
    $('room').hidden = false;
    cameraCount().then((n) => { $('switch-cam').hidden = n < 2; });
    this.client.start();
  }

  onRoster(list) {
    for (const participant of list) this.people.set(participant.id, participant);
    for (const [id, remote] of this.remotes) remote.caption.textContent = who(this.people.get(id) || { id });
  }

  onMedia(id, stream) {
    let remote = this.remotes.get(id);
    if (!stream) {
      if (remote) remote.figure.remove();
      this.remotes.delete(id);
      this.renderStatus();
      return;
    }
    if (!remote) {
      const video = h('video', { autoplay: true, playsinline: true });
      const caption = h('figcaption', {}, who(this.people.get(id) || { id }));
      const sound = h('button', { type: 'button', class: 'tile-sound', hidden: true }, t('room.sound'));
      sound.addEventListener('click', () => { video.muted = false; video.play().catch(() => {}); sound.hidden = true; });
      remote = { figure: h('figure', { class: 'remote' }, video, caption, sound), video, caption, sound };
      this.remotes.set(id, remote);
      $('remotes').append(remote.figure);
    }
    playStream(remote.video, stream, () => { remote.sound.hidden = false; });
    this.renderStatus();
  }

  /** While connected the server records everything: say so, and how long it has run. */
  renderTimer() {
    const connected = this.client.status === 'connected';
    if (connected && this.since === null) this.since = Date.now();
    $('room-rec').hidden = !connected;
    $('room-timer').hidden = this.since === null;
    if (this.since === null) return;
    const s = Math.floor((Date.now() - this.since) / 1000);
    const two = (n) => String(n).padStart(2, '0');
    $('room-timer').textContent = s >= 3600 ? `${Math.floor(s / 3600)}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}`
      : `${two(Math.floor(s / 60))}:${two(s % 60)}`;
  }

  renderStatus() {
    this.renderTimer();
    const status = this.client.status;
    const el = $('room-status');
    let key = status === 'idle' || status === 'connected' ? null : `room.${status}`;
    if (status === 'connected' && this.remotes.size === 0) key = 'join.waiting';
    el.hidden = !key;
    if (key) el.textContent = t(key);
    el.classList.toggle('warn', status === 'reconnecting');
  }

  showSelf() {
    const track = this.stream.getVideoTracks()[0];
    const view = $('self-view');
    view.classList.toggle('mirror', this.facing === 'user');
    playStream(view, track ? new MediaStream([track]) : null);
  }

  /** The system ended our camera or microphone and it was reopened: show the new one. */
  onLocalTrack(kind) {
    if (kind === 'video') this.showSelf();
    this.renderMic();
    if (!this.stream.getTracks().some((track) => track.readyState === 'ended')) this.showMediaProblem(null);
  }

  /** The camera-problem message (with "try again") over the call, or none: err null. */
  showMediaProblem(err) {
    this.mediaError = err ? { err } : null;
    this.renderMediaProblem();
  }

  renderMediaProblem() {
    renderMediaProblem('room-media-problem', this.mediaError ? this.mediaError.err : null);
  }

  /** The chat panel over the lower part of the videos (open), or the button that opens it. */
  showChat(open) {
    $('chat-panel').hidden = !open;
    $('chat-toggle').hidden = open;
    if (open) {
      this.chat.seen();
      $('chat-title').focus(); // into the panel, without raising the keyboard over it
    } else if (document.activeElement && $('chat-panel').contains(document.activeElement)) {
      $('chat-toggle').focus();
    }
    this.renderChatButton();
  }

  renderChatButton() {
    const n = this.chat.unread;
    const button = $('chat-toggle');
    button.setAttribute('aria-expanded', String(!$('chat-panel').hidden));
    button.setAttribute('aria-label', n ? t('chat.open_label_unread', { n }) : t('chat.open_label'));
    button.classList.toggle('has-unread', n > 0);
    $('chat-count').hidden = n === 0;
    $('chat-count').textContent = n > 99 ? '99+' : String(n);
  }

  toggleCaptions() {
    $('room-captions').hidden = !$('room-captions').hidden;
    $('room').classList.toggle('with-captions', !$('room-captions').hidden);
    this.renderCaptionsButton();
  }

  renderCaptionsButton() {
    const on = !$('room-captions').hidden;
    const button = $('toggle-captions');
    button.textContent = t(on ? 'cap.off' : 'cap.on');
    button.setAttribute('aria-pressed', String(on));
  }

  toggleMic() {
    for (const track of this.stream.getAudioTracks()) track.enabled = !track.enabled;
    this.renderMic();
  }

  renderMic() {
    const off = this.stream.getAudioTracks().some((track) => !track.enabled);
    const button = $('toggle-mic');
    button.textContent = t(off ? 'room.mic.on' : 'room.mic.off');
    button.setAttribute('aria-pressed', String(off));
    button.classList.toggle('is-off', off);
  }

  /** Front ↔ back: a new camera track swapped into the same sender, no renegotiation. */
  async switchCamera() {
    const button = $('switch-cam');
    button.disabled = true;
    await this.client.localSettled('video'); // a lost camera being reopened: not both at once
    const old = this.stream.getVideoTracks()[0];
    const enabled = old ? old.enabled : true;
    const next = this.facing === 'user' ? 'environment' : 'user';
    // Many phones cannot open a second camera while the first is still open.
    if (old) old.stop();
    let track = null;
    let failure = null;
    try {
      track = await openCamera(next);
      this.facing = next;
    } catch (_) {
      track = await reopenTrack('video', this.facing).catch((err) => { failure = err; return null; });
    }
    if (this.client.finished) {
      if (track) track.stop(); // the call ended meanwhile: do not keep the camera on
      return;
    }
    if (track) {
      // Reopened meanwhile (the page came back into view with the old one stopped)?
      const current = this.stream.getVideoTracks()[0];
      if (current && current !== old) current.stop();
      track.enabled = enabled;
      await this.client.replaceTrack(track).catch(() => {});
      if (!this.stream.getTracks().some((tr) => tr.readyState === 'ended')) this.showMediaProblem(null);
    } else {
      // No camera now: say so; "try again" (or coming back to the page) reopens it.
      this.showMediaProblem(failure);
    }
    this.showSelf();
    button.disabled = false;
  }

  renderAll() {
    this.renderStatus();
    this.renderMic();
    this.renderCaptionsButton();
    this.captions.render();
    this.renderChatButton();
    this.renderMediaProblem();
    for (const [id, remote] of this.remotes) {
      remote.caption.textContent = who(this.people.get(id) || { id });
      remote.sound.textContent = t('room.sound');
    }
  }

  leave() {
    this.client.leave();
  }

  stop() {
    clearInterval(this.timer);
    $('hang-up').removeEventListener('click', this.onHangUp);
    $('room-rec').hidden = true;
    $('room-timer').hidden = true;
    $('toggle-mic').removeEventListener('click', this.onMic);
    $('toggle-captions').removeEventListener('click', this.onCaptions);
    $('chat-toggle').removeEventListener('click', this.onChatToggle);
    $('chat-close').removeEventListener('click', this.onChatClose);
    $('chat-panel').removeEventListener('keydown', this.onChatKey);
    this.chat.stop();
    $('chat-panel').hidden = true;
    $('room-captions').hidden = true;
    $('room').classList.remove('with-captions');
    $('switch-cam').removeEventListener('click', this.onSwitch);
    $('room-media-retry').removeEventListener('click', this.onRetryMedia);
    document.removeEventListener('zm:langchange', this.onLang);
    this.mediaError = null;
    $('room-media-problem').hidden = true;
    this.stream.getTracks().forEach((track) => track.stop());
    for (const remote of this.remotes.values()) remote.figure.remove();
    this.remotes.clear();
    $('self-view').srcObject = null;
    $('room').hidden = true;
  }
}
