// The live part of the inspector's console: the tiles of the other participants, the
// events log, own microphone and camera controls, recording health. Wires one RoomClient
// (rtc.js) to the DOM.

import { onLangChange, t, formatDateTime } from './i18n.js';
import { h, fill } from './dom.js';
import { RoomClient } from './rtc.js';
import { AudioMeter, playStream, reopenTrack } from './media.js';
import { ParticipantTile } from './tiles.js';
import { alarmLabel, renderMediaProblem, who } from './room-text.js';
import { RecordingHealth, renderRecordingBadges, renderRecordingSummary } from './console-recording.js';
import { Captions } from './captions.js';
import { ChatPanel } from './chat.js';
import { api } from './api.js';
import './interview-text.js';

const $ = (id) => document.getElementById(id);
const QUALITY_MS = 2000;
const LEVEL_MS = 150;
const AWAY_TO_LEFT_MS = 30000; // gone from the roster this long without coming back: left

function clockTime(iso) {
  return formatDateTime(iso || new Date(), { timeStyle: 'medium' }); // the bureau's time zone
}

export class ConsoleRoom {
  /**
   * onWelcome({interview}) runs on every (re)connection; onClosed({reason, code}) once,
   * when the client stops for good. onTile(tile) runs once for each new tile (the
   * console adds its snapshot button there).
   */
  constructor({ interviewId, stream, onWelcome, onClosed, onTile = () => {} }) {
    this.onTile = onTile;
    this.stream = stream;
    this.tiles = new Map(); // participant id → ParticipantTile, kept after they leave
    this.awayTimers = new Map();
    this.log = []; // {key, participant, at} or {key, at} for this computer's own events;
    // recording alarms add {kind, code, message}
    this.selfMeter = new AudioMeter(stream.getAudioTracks()[0]);
    this.mediaError = null; // {err} while our camera or microphone is lost and will not reopen
    this.recording = new RecordingHealth({ onAlarm: (change) => this.onRecordingAlarm(change) });
    // The camera was opened facing 'user' (openCameraAndMic's default): reopen that one.
    this.client = new RoomClient({ interviewId, stream, reopen: (kind) => reopenTrack(kind, 'user') });
    this.client
      .on('status', (status) => this.onStatus(status))
      .on('welcome', (welcome) => { this.onRoster(welcome.participants); onWelcome(welcome); })
      .on('participants', (list) => this.onRoster(list))
      .on('event', (event) => this.onEvent(event))
      .on('media', (id, mediaStream) => this.tile({ id }).setStream(mediaStream))
      .on('muted', (muted) => this.onSelfMuted(muted))
      .on('recording', (list) => this.onRecording(list))
      .on('caption', (caption) => this.onCaption(caption))
      .on('evidence', (item) => this.addLog({ key: 'console.log.evidence', participant: item.participant, file: item.filename, at: item.at }))
      .on('localtrack', (kind, track) => this.onLocalTrack(kind, track))
      .on('localproblem', (kind, err) => this.showMediaProblem(err))
      .on('closed', (how) => { this.stop(); onClosed(how); });
    this.timers = [
      setInterval(() => this.refreshQuality(), QUALITY_MS),
      setInterval(() => this.refreshLevels(), LEVEL_MS),
    ];
    this.wasConnected = false;
    this.onLang = () => this.renderAll();
    onLangChange(this.onLang);
    this.wireOwnControls();
    playStream($('self-view'), stream);
    this.renderMediaProblem();
    this.renderLog();
    this.captions = new Captions($('captions'));
    this.chat = new ChatPanel({ client: this.client, els: {
      list: $('chat-list'), form: $('chat-form'), input: $('chat-input'), error: $('chat-error'),
      live: $('chat-live'), empty: $('chat-none'),
    } });
    // What was heard before this page opened (a reload mid-interview); live ones follow.
    api(`/api/interviews/${encodeURIComponent(interviewId)}/captions`)
      .then((list) => { for (const caption of list) this.onCaption(caption); })
      .catch(() => {});
    this.client.start();
  }

  onCaption(caption) {
    this.captions.add(caption);
    $('captions-none').hidden = this.captions.lines.length > 0;
  }

  tile(participant) {
    let tile = this.tiles.get(participant.id);
    if (!tile) {
      tile = new ParticipantTile(participant, { onMute: (id, muted) => this.client.mute(id, muted) });
      this.tiles.set(participant.id, tile);
      tile.setRecording(this.recording.of(participant.id));
      this.onTile(tile);
      $('tiles').append(tile.el);
      $('nobody').hidden = true;
    }
    return tile;
  }

  onStatus(status) {
    const el = $('room-status');
    el.hidden = false;
    el.textContent = t(`room.${status}`);
    el.className = `room-status status-${status}`;
    if (status === 'reconnecting' && this.wasConnected) this.addLog({ key: 'console.log.self_lost' });
    if (status === 'connected' && this.wasConnected === 'lost') this.addLog({ key: 'console.log.self_back' });
    if (status === 'connected') this.wasConnected = true;
    if (status === 'reconnecting' && this.wasConnected) this.wasConnected = 'lost';
  }

  /** The server's roster lists who is connected now; everyone else we knew is away. */
  onRoster(list) {
    const present = new Set();
    for (const participant of list) {
      present.add(participant.id);
      const tile = this.tile(participant);
      tile.update(participant);
      tile.setState('connected');
      clearTimeout(this.awayTimers.get(participant.id));
    }
    for (const tile of this.tiles.values()) {
      if (present.has(tile.id) || tile.state !== 'connected') continue;
      if (tile.endedAs) { // put out by the server (a withdrawn link): never "reconnecting"
        tile.setState(tile.endedAs);
        continue;
      }
      tile.setState(tile.leftOnPurpose ? 'left' : 'reconnecting');
      this.awayTimers.set(tile.id, setTimeout(() => tile.setState('left'), AWAY_TO_LEFT_MS));
    }
    this.renderLog(); // events arrive before the roster that names their role
  }

  onEvent(event) {
    if (!['joined', 'left', 'rejoined'].includes(event.event)) return;
    if (event.participant === this.client.you) {
      this.addLog({ key: `console.log.${event.event}`, self: true, at: event.at });
      return;
    }
    const tile = this.tile({ id: event.participant, name: event.name });
    if (event.name && !tile.participant.name) tile.update({ name: event.name });
    // A reason, when the server gives one, tells a closed page from a lost network, and a
    // withdrawn link from both.
    tile.leftOnPurpose = event.event === 'left' && ['left', 'ended'].includes(event.reason);
    tile.endedAs = event.event === 'left' && event.reason === 'revoked' ? 'revoked' : null;
    if (event.event === 'joined' || event.event === 'rejoined') tile.endedAs = null;
    // A second device took the link over: the old one is out, the new one comes in.
    let key = event.event;
    if (event.event === 'left' && event.reason === 'revoked') key = 'revoked';
    if (event.event === 'rejoined' && event.reason === 'takeover') key = 'replaced';
    this.addLog({ key: `console.log.${key}`, participant: event.participant, at: event.at });
  }

  /** The server's recording health (every ~2 s): each tile, the self-view, the header. */
  onRecording(list) {
    this.recording.update(list);
    this.renderRecording();
  }

  renderRecording() {
    for (const tile of this.tiles.values()) tile.setRecording(this.recording.of(tile.id));
    renderRecordingBadges($('self-rec'), this.client.you, this.recording.of(this.client.you));
    renderRecordingSummary($('rec-overall'), this.recording);
  }

  onRecordingAlarm({ raised, participant, kind, code, message }) {
    const self = participant === this.client.you;
    this.addLog({
      key: raised ? 'console.log.rec_alarm' : 'console.log.rec_ok', participant, self, kind, code, message,
    });
  }

  /** The system ended our camera or microphone and it was reopened: show and meter the new one. */
  onLocalTrack(kind, track) {
    if (kind === 'audio') {
      this.selfMeter.stop();
      this.selfMeter = new AudioMeter(track);
    } else {
      // A fresh stream: a <video> does not always notice a track swapped inside its own.
      playStream($('self-view'), new MediaStream(this.stream.getVideoTracks()));
    }
    this.renderOwnControls();
    if (!this.stream.getTracks().some((tr) => tr.readyState === 'ended')) this.showMediaProblem(null);
  }

  /** The camera-problem message (with "try again") under the self-view, or none: err null. */
  showMediaProblem(err) {
    this.mediaError = err ? { err } : null;
    this.renderMediaProblem();
  }

  renderMediaProblem() {
    renderMediaProblem('self-media-problem', this.mediaError ? this.mediaError.err : null);
  }

  onSelfMuted(muted) {
    const note = $('self-muted');
    note.textContent = t('join.muted_by');
    note.hidden = !muted;
  }

  addLog(entry) {
    this.log.push({ at: new Date().toISOString(), ...entry });
    this.renderLog();
  }

  renderLog() {
    const items = this.log.map((entry) => {
      const tile = entry.participant && this.tiles.get(entry.participant);
      const text = t(entry.key, {
        who: entry.self ? t('console.you') : who(tile ? tile.participant : {}),
        kind: entry.kind ? t(`rec.kind.${entry.kind}`) : '',
        alarm: entry.code ? alarmLabel(entry.code) : '',
        file: entry.file || '',
      });
      const alarm = entry.key === 'console.log.rec_alarm';
      return h('li', { class: alarm ? 'log-alarm' : null, title: entry.message || null },
        h('time', { datetime: entry.at }, clockTime(entry.at)), ' ', text);
    });
    fill($('event-log'), items.length ? items.reverse() : h('li', { class: 'muted' }, t('console.log.empty')));
  }

  renderAll() {
    for (const tile of this.tiles.values()) tile.render();
    this.renderLog();
    this.renderOwnControls();
    this.renderMediaProblem();
    this.renderRecording();
    this.captions.render();
    if (this.client.status !== 'idle') this.onStatus(this.client.status);
  }

  async refreshQuality() {
    let quality;
    try {
      quality = await this.client.quality();
    } catch (_) {
      return; // the connection was replaced while reading: the next round reads the new one
    }
    for (const [id, q] of quality) {
      const tile = this.tiles.get(id);
      if (tile) tile.setQuality(q);
    }
  }

  refreshLevels() {
    const now = Date.now();
    for (const tile of this.tiles.values()) tile.tick(now);
    $('self-speaking').hidden = !(this.selfMeter.level() > 0.02);
  }

  wireOwnControls() {
    this.onMic = () => this.toggle('audio');
    this.onCam = () => this.toggle('video');
    this.onRetryMedia = () => this.client.recoverLocal();
    $('toggle-mic').addEventListener('click', this.onMic);
    $('toggle-cam').addEventListener('click', this.onCam);
    $('self-media-retry').addEventListener('click', this.onRetryMedia);
    this.renderOwnControls();
  }

  toggle(kind) {
    for (const track of this.stream.getTracks()) {
      if (track.kind === kind) track.enabled = !track.enabled;
    }
    this.renderOwnControls();
  }

  renderOwnControls() {
    const off = (kind) => this.stream.getTracks().some((tr) => tr.kind === kind && !tr.enabled);
    const mic = $('toggle-mic');
    const cam = $('toggle-cam');
    mic.textContent = t(off('audio') ? 'room.mic.on' : 'room.mic.off');
    mic.setAttribute('aria-pressed', String(off('audio')));
    cam.textContent = t(off('video') ? 'room.cam.on' : 'room.cam.off');
    cam.setAttribute('aria-pressed', String(off('video')));
  }

  leave() {
    this.client.leave();
  }

  stop() {
    this.timers.forEach(clearInterval);
    this.chat.stop();
    this.awayTimers.forEach(clearTimeout);
    document.removeEventListener('zm:langchange', this.onLang);
    $('toggle-mic').removeEventListener('click', this.onMic);
    $('toggle-cam').removeEventListener('click', this.onCam);
    $('self-media-retry').removeEventListener('click', this.onRetryMedia);
    this.mediaError = null;
    $('self-media-problem').hidden = true;
    $('self-rec').hidden = true;
    $('rec-overall').hidden = true;
    this.selfMeter.stop();
    for (const tile of this.tiles.values()) tile.destroy();
    this.tiles.clear();
    this.stream.getTracks().forEach((track) => track.stop());
    $('self-view').srcObject = null;
  }
}
