// The browser side of docs/signalling.md, shared by the console and the join page: one
// WebSocket and one RTCPeerConnection to the server, replaced together whenever either
// breaks, until the interview ends, the link is opened elsewhere or the server refuses.
// No DOM here: pages listen with client.on(type, fn).

import { SdpBindings } from './sdp.js';
import { IncomingTracks } from './rtc-tracks.js';
import { LocalMedia } from './local-media.js';

// Refusals that another try cannot fix. hello_timeout and rate_limited are not among
// them: a fresh connection (after the backoff) is the cure for both.
const FATAL = new Set([
  'unauthenticated', 'account_disabled', 'invitation_invalid', 'invitation_expired', 'invitation_revoked',
  'not_found', 'interview_ended', 'bad_origin', 'forbidden',
]);
const RETRYABLE_REFUSALS = new Set(['hello_timeout', 'rate_limited']);
const BACKOFF_MS = [500, 1000, 2000, 4000, 5000];
const DISCONNECTED_GRACE_MS = 3000; // 'disconnected' often heals by itself within a second
const WELCOME_TIMEOUT_MS = 10000;
const MEDIA_TIMEOUT_MS = 20000; // from welcome to a connected peer connection
const PING_MS = 15000;
const SILENCE_MS = 40000; // no message (not even a pong) for this long: the socket is dead
const GATHER_TIMEOUT_MS = 5000; // an unreachable STUN/TURN server must not stall us forever

/** Resolves when ICE gathering is complete (no trickle: the SDP carries every candidate). */
function gathered(pc) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    let timer = null;
    const finish = () => {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', done);
      resolve();
    };
    const done = () => {
      if (pc.iceGatheringState === 'complete') finish();
    };
    pc.addEventListener('icegatheringstatechange', done);
    timer = setTimeout(finish, GATHER_TIMEOUT_MS);
  });
}

function socketUrl(interviewId) {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/api/interviews/${encodeURIComponent(interviewId)}/ws`;
}

/**
 * Events (client.on): status(state) with state connecting|connected|reconnecting|closed;
 * welcome({you, participants, interview}); participants(list, excluding you);
 * event({event, participant, at, ...}); media(participantId, MediaStream|null), whenever
 * the tracks that arrive for someone change; muted(bool): an inspector muted you;
 * closed({reason: 'replaced'|'ended'|'fatal'|'left', code});
 * recording(list): staff only, every ~2 s: the health of each recording the server holds
 * live for this interview ({id, participant, kind, state, stored, waiting, waiting_bytes,
 * last_frame_age, alarms: [{code, message, since}]}); pages that do not listen ignore it;
 * localtrack(kind, track): a camera or microphone the system had ended was reopened and
 * now replaces the dead track (in the stream and on the air);
 * localproblem(kind, err): reopening it failed (err: getUserMedia's exception). Another
 * try follows when the page becomes visible again, or on recoverLocal();
 * chat(message): a text message as the server stamped and relayed it ({seq, at, from:
 * {id, name, role}, text, to}), ours included (its confirmation); chathistory(list): the
 * latest ones, on each (re)connection; refused(code, message): the server refused a
 * message of ours and the connection goes on (e.g. chat_too_long).
 */
export class RoomClient {
  /**
   * token: an invitation token, or null for a staff page riding on its session cookie.
   * reopen(kind): opens a fresh 'audio' or 'video' track like the one the system ended
   * (same constraints, same camera); without it a lost track stays lost.
   */
  constructor({ interviewId, token = null, stream, reopen = null }) {
    this.interviewId = interviewId;
    this.token = token;
    this.stream = stream; // the local camera and microphone; survives every reconnect
    this.you = null;
    this.status = 'idle';
    this.conn = null; // the current {ws, pc, ...}; replaced on every reconnect
    this.attempt = 0;
    this.retryTimer = null;
    this.finished = null;
    this.handlers = {};
    this.incoming = new IncomingTracks((id, stream) => this.emit('media', id, stream));
    this.onOnline = () => this.retryNow();
    this.onOffline = () => this.lost(this.conn, 'offline');
    // Keeps the local tracks alive (see local-media.js); the sender is ours to update.
    this.local = new LocalMedia({
      stream,
      reopen,
      air: (track) => {
        const sender = this.conn && this.conn.senders ? this.conn.senders[track.kind] : undefined;
        return sender ? sender.replaceTrack(track) : undefined;
      },
      onTrack: (kind, track) => this.emit('localtrack', kind, track),
      onProblem: (kind, err) => this.emit('localproblem', kind, err),
    });
  }

  on(type, fn) {
    if (!this.handlers[type]) this.handlers[type] = [];
    this.handlers[type].push(fn);
    return this;
  }

  emit(type, ...args) {
    for (const fn of this.handlers[type] || []) {
      try {
        fn(...args);
      } catch (err) {
        console.error(err); // one broken listener must not break the connection
      }
    }
  }

  start() {
    window.addEventListener('online', this.onOnline);
    window.addEventListener('offline', this.onOffline);
    this.local.start();
    this.connect();
  }

  /** Hang up for good (the person left the page or pressed leave). */
  leave() {
    this.finish('left');
  }

  /** An inspector's request to stop (or restart) forwarding someone's audio to the others. */
  mute(participantId, muted) {
    this.send({ type: 'mute', participant: participantId, muted });
  }

  /** Send a chat message; false (nothing sent) while not connected to the room. */
  chat(text) {
    const ws = this.conn && this.conn.welcomed ? this.conn.ws : null;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify({ type: 'chat', text }));
    return true;
  }

  /** Swap the local camera or microphone without renegotiating (e.g. front ↔ back camera). */
  replaceTrack(newTrack) {
    return this.local.replaceTrack(newTrack);
  }

  /**
   * Reopen the camera or microphone (`kind`), or, without a kind, every local track that
   * has ended, and put the new track in the dead one's place. Resolves when done, never
   * rejects: a failure is the `localproblem` event.
   */
  recoverLocal(kind = null) {
    return this.local.recover(kind);
  }

  /** Resolves once any reopening of `kind` under way is over (before a camera switch). */
  localSettled(kind) {
    return this.local.settled(kind);
  }

  setStatus(status) {
    if (status === this.status) return;
    this.status = status;
    this.emit('status', status);
  }

  send(message) {
    const ws = this.conn ? this.conn.ws : null;
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  }

  connect() {
    this.retryTimer = null;
    if (this.finished) return;
    this.setStatus(this.you === null && this.attempt === 0 ? 'connecting' : 'reconnecting');
    let ws;
    try {
      ws = new WebSocket(socketUrl(this.interviewId));
    } catch (_) {
      this.scheduleRetry();
      return;
    }
    const conn = {
      ws, pc: null, senders: null, chain: Promise.resolve(), timers: [], heardAt: Date.now(),
      bindings: new SdpBindings(), // payload types and extension IDs bound on this pc
    };
    this.conn = conn;
    // Armed now, not on open: after a network switch a connect can hang for minutes in
    // TCP retries without ever opening or closing. Open and welcomed in time, or start over.
    this.later(conn, WELCOME_TIMEOUT_MS, () => { if (!conn.welcomed) this.lost(conn, 'no welcome'); });
    ws.onopen = () => {
      if (conn !== this.conn) return;
      ws.send(JSON.stringify(this.token ? { type: 'hello', token: this.token } : { type: 'hello' }));
    };
    ws.onmessage = (event) => {
      if (conn !== this.conn) return;
      conn.heardAt = Date.now();
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (_) {
        return;
      }
      if (message && typeof message.type === 'string') this.handle(conn, message);
    };
    ws.onclose = () => this.lost(conn, 'socket closed');
  }

  /** A timer that lives and dies with `conn` (teardown clears it). */
  later(conn, ms, fn) {
    if (conn !== this.conn) return;
    conn.timers.push(setTimeout(fn, ms));
  }

  handle(conn, message) {
    switch (message.type) {
      case 'welcome': return this.onWelcome(conn, message);
      case 'answer': return this.negotiate(conn, () => conn.pc.setRemoteDescription({ type: 'answer', sdp: message.sdp }));
      case 'offer': return this.negotiate(conn, () => this.answer(conn, message.sdp));
      case 'tracks': return this.incoming.setMap(message.tracks);
      case 'participants': return this.emit('participants', this.others(message.participants));
      case 'event': return this.emit('event', message);
      case 'muted': return this.emit('muted', Boolean(message.muted));
      case 'recording': return this.emit('recording', Array.isArray(message.recordings) ? message.recordings : []);
      case 'caption': return this.emit('caption', message);
      case 'evidence': return this.emit('evidence', message);
      case 'chat': return this.emit('chat', message);
      case 'chat_history': return this.emit('chathistory', Array.isArray(message.messages) ? message.messages : []);
      case 'replaced': return this.finish('replaced');
      case 'ended': return this.finish('ended');
      case 'error': return this.onError(conn, message);
      default: return undefined; // pong, or something newer than this page
    }
  }

  onError(conn, { error: code, message }) {
    if (RETRYABLE_REFUSALS.has(code)) return; // the close follows, and so does the retry
    // Before the welcome every error is a refusal; afterwards only the fatal codes are.
    if (FATAL.has(code) && (!conn.welcomed || code !== 'forbidden')) {
      this.finish('fatal', code);
      return;
    }
    console.warn('signalling error', code, message);
    this.emit('refused', code, message);
  }

  others(participants) {
    return (Array.isArray(participants) ? participants : []).filter((p) => p && p.id !== this.you);
  }

  onWelcome(conn, message) {
    conn.welcomed = true;
    this.you = message.you;
    this.emit('welcome', { ...message, participants: this.others(message.participants) });
    let pc;
    try {
      pc = new RTCPeerConnection({ iceServers: Array.isArray(message.ice_servers) ? message.ice_servers : [] });
    } catch (_) {
      pc = new RTCPeerConnection(); // a malformed ICE server list must not keep us off the call
    }
    conn.pc = pc;
    pc.ontrack = (event) => {
      if (conn === this.conn) this.incoming.add(event.transceiver.mid, event.track);
    };
    pc.onconnectionstatechange = () => this.onPcState(conn);
    this.later(conn, MEDIA_TIMEOUT_MS, () => { if (!conn.mediaUp) this.lost(conn, 'no media'); });
    this.keepAlive(conn);
    this.negotiate(conn, () => this.offer(conn));
  }

  /** Run one negotiation step after the previous one: offers and answers never interleave. */
  negotiate(conn, step) {
    conn.chain = conn.chain.then(() => {
      if (conn === this.conn && conn.pc) return step();
      return undefined;
    }).catch((err) => {
      console.warn('negotiation failed', err);
      this.lost(conn, 'negotiation');
    });
  }

  async offer(conn) {
    const { pc } = conn;
    conn.senders = {};
    // Microphone first, then camera: sendonly, the server never sends on these.
    for (const kind of ['audio', 'video']) {
      const track = this.stream.getTracks().find((t) => t.kind === kind);
      if (track) conn.senders[kind] = pc.addTransceiver(track, { direction: 'sendonly', streams: [this.stream] }).sender;
    }
    await pc.setLocalDescription(await pc.createOffer());
    conn.bindings.learn(pc.localDescription.sdp);
    await gathered(pc);
    if (conn === this.conn) this.send({ type: 'offer', sdp: pc.localDescription.sdp });
  }

  async answer(conn, sdp) {
    const { pc } = conn;
    // Renumbered onto what this connection already uses: see sdp.js for why.
    await pc.setRemoteDescription({ type: 'offer', sdp: conn.bindings.align(String(sdp)) });
    await pc.setLocalDescription(await pc.createAnswer());
    await gathered(pc);
    if (conn === this.conn) this.send({ type: 'answer', sdp: pc.localDescription.sdp });
  }

  keepAlive(conn) {
    if (conn !== this.conn) return;
    const timer = setInterval(() => {
      if (Date.now() - conn.heardAt > SILENCE_MS) this.lost(conn, 'silent');
      else this.send({ type: 'ping' });
    }, PING_MS);
    conn.timers.push(timer);
  }

  onPcState(conn) {
    if (conn !== this.conn) return;
    const state = conn.pc.connectionState;
    clearTimeout(conn.graceTimer);
    if (state === 'connected') {
      conn.mediaUp = true;
      this.attempt = 0;
      this.setStatus('connected');
    } else if (state === 'failed') {
      this.lost(conn, 'ice failed');
    } else if (state === 'disconnected') {
      conn.graceTimer = setTimeout(() => {
        if (conn.pc.connectionState === 'disconnected') this.lost(conn, 'ice disconnected');
      }, DISCONNECTED_GRACE_MS);
    }
  }

  /** Connection quality per participant: see IncomingTracks.quality. */
  quality() {
    return this.incoming.quality(this.conn ? this.conn.pc : null);
  }

  /** The current connection is gone: tear it down and try again after the backoff. */
  lost(conn, why) {
    if (!conn || conn !== this.conn || this.finished) return;
    console.info('connection lost:', why);
    this.teardown();
    this.scheduleRetry();
  }

  scheduleRetry() {
    this.setStatus('reconnecting');
    const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt += 1;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  /** The network came back (`online`): skip the rest of the backoff. */
  retryNow() {
    if (this.retryTimer === null || this.finished) return;
    clearTimeout(this.retryTimer);
    this.connect();
  }

  teardown() {
    const conn = this.conn;
    this.conn = null;
    if (conn) {
      conn.timers.forEach((timer) => { clearTimeout(timer); clearInterval(timer); });
      conn.timers = [];
      clearTimeout(conn.graceTimer);
      conn.graceTimer = null;
      conn.ws.onopen = null;
      conn.ws.onclose = null;
      conn.ws.onmessage = null;
      try {
        conn.ws.close(1000);
      } catch (_) { /* already closing */ }
      if (conn.pc) {
        conn.pc.ontrack = null;
        conn.pc.onconnectionstatechange = null;
        conn.pc.close();
      }
    }
    this.incoming.clear(); // every remote participant's media is gone with the peer connection
  }

  finish(reason, code = null) {
    if (this.finished) return;
    this.finished = { reason, code };
    this.local.stop(); // first: nothing is reopened or reported once finished is set
    clearTimeout(this.retryTimer);
    this.retryTimer = null;
    window.removeEventListener('online', this.onOnline);
    window.removeEventListener('offline', this.onOffline);
    this.teardown();
    this.setStatus('closed');
    this.emit('closed', this.finished);
  }
}
