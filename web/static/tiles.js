// One tile per other participant in the inspector's console: live video with sound,
// name and role, connection state, network quality, speaking indicator, recording
// health, mute button.

import { t } from './i18n.js';
import { h } from './dom.js';
import { AudioMeter, playStream } from './media.js';
import { roleLabel } from './room-text.js';
import { renderRecordingBadges } from './console-recording.js';

const SPEAKING_LEVEL = 0.02; // RMS; ordinary speech on a phone microphone is well above
const SPEAKING_HOLD_MS = 600; // keeps the indicator from flickering between syllables

export class ParticipantTile {
  /** participant: {id, name, role, kind, muted}; onMute(id, muted) sends the request. */
  constructor(participant, { onMute }) {
    this.participant = { ...participant };
    this.state = 'connected';
    this.quality = null;
    this.meter = null;
    this.loudAt = 0;
    this.speaking = false;
    this.recordings = []; // this participant's entries of the last `recording` message
    this.renderHooks = []; // the console's own additions to the tile, labelled anew each render
    this.video = h('video', { autoplay: true, playsinline: true });
    this.noVideo = h('p', { class: 'tile-novideo' });
    this.soundButton = h('button', { type: 'button', class: 'tile-sound', hidden: true, onclick: () => this.unblockSound() });
    this.nameEl = h('strong', { class: 'tile-name' });
    this.roleEl = h('span', { class: 'badge' });
    this.stateEl = h('span', { class: 'badge' });
    this.mutedEl = h('span', { class: 'badge s-revoked', hidden: true });
    this.speakingEl = h('span', { class: 'badge speaking', hidden: true });
    this.qualityEl = h('span', { class: 'tile-quality muted' });
    this.recEl = h('div', { class: 'rec-list', hidden: true });
    this.muteButton = h('button', { type: 'button', class: 'small', onclick: () => onMute(this.participant.id, !this.participant.muted) });
    this.el = h('article', { class: 'tile', 'data-participant': participant.id },
      h('div', { class: 'tile-video' }, this.video, this.noVideo, this.soundButton),
      h('div', { class: 'tile-info' },
        h('div', { class: 'tile-who' }, this.nameEl, this.roleEl),
        h('div', { class: 'tile-badges' }, this.stateEl, this.mutedEl, this.speakingEl),
        this.qualityEl,
        this.recEl,
        h('div', { class: 'tile-actions' }, this.muteButton)));
    this.render();
  }

  /** Run `fn` now and after every render (a name learnt, a language switched). */
  onRender(fn) {
    this.renderHooks.push(fn);
    fn();
  }

  get id() {
    return this.participant.id;
  }

  update(participant) {
    this.participant = { ...this.participant, ...participant };
    this.render();
  }

  /** connected | reconnecting | left */
  setState(state) {
    this.state = state;
    if (state !== 'connected') this.quality = null;
    this.render();
  }

  setStream(stream) {
    if (this.meter) this.meter.stop();
    this.meter = null;
    this.video.hidden = !stream;
    playStream(this.video, stream, () => { this.soundButton.hidden = false; });
    const audio = stream && stream.getAudioTracks()[0];
    if (audio) this.meter = new AudioMeter(audio);
    this.render();
  }

  unblockSound() {
    this.video.muted = false;
    this.video.play().catch(() => {});
    this.soundButton.hidden = true;
  }

  setQuality(quality) {
    this.quality = quality;
    this.renderQuality();
  }

  /** healths: the server's recording health for this participant's tracks (maybe none). */
  setRecording(healths) {
    this.recordings = healths;
    renderRecordingBadges(this.recEl, this.id, healths);
  }

  /** Called a few times a second: refresh the speaking indicator. */
  tick(now) {
    if (this.meter && this.meter.level() > SPEAKING_LEVEL && !this.participant.muted) this.loudAt = now;
    const speaking = now - this.loudAt < SPEAKING_HOLD_MS;
    if (speaking === this.speaking) return;
    this.speaking = speaking;
    this.el.classList.toggle('is-speaking', speaking);
    this.speakingEl.hidden = !speaking;
  }

  renderQuality() {
    const q = this.quality;
    if (this.state !== 'connected') {
      this.qualityEl.textContent = '';
      this.el.classList.remove('poor');
    } else if (!q || q.loss === null) {
      this.qualityEl.textContent = t('tile.quality.none');
    } else {
      const rtt = q.rtt === null ? '–' : Math.round(q.rtt * 1000);
      this.qualityEl.textContent = t('tile.quality', { rtt, loss: (q.loss * 100).toFixed(1) });
      this.el.classList.toggle('poor', q.loss > 0.05 || (q.rtt !== null && q.rtt > 0.4));
    }
  }

  render() {
    const p = this.participant;
    const name = p.name || t('console.someone');
    this.nameEl.textContent = name;
    this.roleEl.textContent = roleLabel(p);
    this.stateEl.textContent = t(`tile.state.${this.state}`);
    this.stateEl.className = `badge state-${this.state}`;
    this.el.classList.toggle('is-away', this.state !== 'connected');
    this.mutedEl.textContent = t('tile.muted');
    this.mutedEl.hidden = !p.muted;
    this.speakingEl.textContent = t('tile.speaking');
    this.noVideo.textContent = t(this.state === 'connected' ? 'room.no_video' : `tile.state.${this.state}`);
    this.noVideo.hidden = Boolean(this.video.srcObject);
    this.soundButton.textContent = t('room.sound');
    this.muteButton.textContent = t(p.muted ? 'tile.unmute' : 'tile.mute');
    this.muteButton.setAttribute('aria-label', t(p.muted ? 'tile.unmute_label' : 'tile.mute_label', { name }));
    this.muteButton.setAttribute('aria-pressed', String(Boolean(p.muted)));
    this.muteButton.disabled = this.state !== 'connected';
    this.renderQuality();
    renderRecordingBadges(this.recEl, this.id, this.recordings);
    for (const fn of this.renderHooks) fn();
  }

  destroy() {
    if (this.meter) this.meter.stop();
    this.video.srcObject = null;
    this.el.remove();
  }
}
