// Keeping the local camera and microphone alive for rtc.js's RoomClient: Android ends the
// camera when another app takes it (and the microphone likewise), and without a new track
// every reconnect would send the dead one, a black picture. LocalMedia watches the local
// tracks, reopens one the system ended and swaps the new track into the stream; putting it
// on the air (the peer connection's sender) is the caller's part, through `air`.
// No DOM here beyond the page's visibility.

export class LocalMedia {
  /**
   * stream: the local camera and microphone; its tracks are swapped in place.
   * reopen(kind): opens a fresh 'audio' or 'video' track like the one the system ended
   * (same constraints, same camera); without it a lost track stays lost.
   * air(track): puts a new track on the air; returns a promise, or nothing if there is no
   * sender for it now (the next connection sends what the stream holds).
   * onTrack(kind, track): a reopened track replaced the dead one.
   * onProblem(kind, err): reopening failed (err: getUserMedia's exception).
   */
  constructor({ stream, reopen = null, air, onTrack, onProblem }) {
    this.stream = stream;
    this.reopen = reopen;
    this.air = air;
    this.onTrack = onTrack;
    this.onProblem = onProblem;
    this.reopening = {}; // kind → the pending reopen: one loss opens one device
    this.stopped = false;
    this.onEnded = (event) => {
      const track = event.target;
      if (this.stream.getTracks().indexOf(track) !== -1) this.recover(track.kind);
    };
    this.onVisibility = () => {
      if (document.visibilityState === 'visible') this.recover();
    };
    this.stream.getTracks().forEach((track) => this.watch(track));
  }

  /** Also retry whenever the page becomes visible again. */
  start() {
    document.addEventListener('visibilitychange', this.onVisibility);
  }

  /** For good: no more reopening, no more reports. */
  stop() {
    this.stopped = true;
    document.removeEventListener('visibilitychange', this.onVisibility);
    this.stream.getTracks().forEach((track) => track.removeEventListener('ended', this.onEnded));
  }

  /** Put `newTrack` in the place of the stream's track of its kind, and on the air. */
  async replaceTrack(newTrack) {
    const old = this.stream.getTracks().find((track) => track.kind === newTrack.kind);
    if (old) {
      old.removeEventListener('ended', this.onEnded);
      this.stream.removeTrack(old);
    }
    this.stream.addTrack(newTrack);
    this.watch(newTrack);
    const airing = this.air(newTrack);
    if (airing) await airing;
  }

  watch(track) {
    track.addEventListener('ended', this.onEnded); // the same listener twice is once
  }

  /**
   * Reopen the camera or microphone (`kind`), or, without a kind, every local track that
   * has ended, and put the new track in the dead one's place. Resolves when done, never
   * rejects: a failure goes to onProblem.
   */
  recover(kind = null) {
    if (this.stopped || !this.reopen) return Promise.resolve();
    const kinds = kind ? [kind] : this.stream.getTracks()
      .filter((track) => track.readyState === 'ended')
      .map((track) => track.kind);
    return Promise.all(kinds.map((k) => this.reopenKind(k))).then(() => undefined);
  }

  reopenKind(kind) {
    if (this.reopening[kind]) return this.reopening[kind];
    const lost = this.stream.getTracks().find((track) => track.kind === kind);
    if (lost && lost.readyState !== 'ended') return Promise.resolve();
    const work = this.swapIn(kind, lost).then(() => { delete this.reopening[kind]; });
    this.reopening[kind] = work;
    return work;
  }

  /** Resolves once any reopening of `kind` under way is over (before a camera switch). */
  settled(kind) {
    return this.reopening[kind] || Promise.resolve();
  }

  async swapIn(kind, lost) {
    let track;
    try {
      track = await this.reopen(kind);
      if (!track) throw new Error(`no ${kind} track`);
    } catch (err) {
      console.warn(`reopening the ${kind} failed`, err);
      if (!this.stopped) this.onProblem(kind, err);
      return;
    }
    const current = this.stream.getTracks().find((t) => t.kind === kind);
    // Closed meanwhile, or something else (a camera switch) put in a new track first.
    if (this.stopped || current !== lost) {
      track.stop();
      return;
    }
    track.enabled = lost ? lost.enabled : true; // a muted microphone stays muted
    const swapped = this.replaceTrack(track); // the stream at once, the sender in a moment
    this.onTrack(kind, track);
    try {
      await swapped;
    } catch (err) {
      console.warn('replaceTrack failed', err); // the connection is going: the next one sends it
    }
  }
}
