// Playback on the interview clock: one master clock, and one TrackPlayer per recording
// that keeps its <video> or <audio> where the clock says. The server streams a run of
// segments (/api/recordings/{id}/media?from=&to=) whose element time 0 is the start of
// segment `from`; the element is kept at (clock − that start). Times are seconds on the
// interview clock (0 = the interview went live). No DOM outside the elements given.

const DRIFT_SEEK_S = 0.3; // beyond this, jump; below it, nudge the playback rate
const DRIFT_NUDGE_S = 0.08; // start nudging beyond this…
const DRIFT_SETTLED_S = 0.02; // …and stop once this close
const AHEAD_REFETCH_S = 3; // a jump this far past what has arrived asks for a new stream
const STALL_LIMIT_MS = 8000; // a track loading longer than this no longer holds the clock

/** The master clock: wall time while playing, held while a track is still loading. */
export class PlaybackClock {
  constructor(start, end) {
    this.start = start;
    this.end = end;
    this.t = start;
    this.playing = false;
    this.base = 0; // performance.now() when `t` was last taken
  }

  now() {
    if (!this.playing) return this.t;
    return Math.min(this.end, this.t + (performance.now() - this.base) / 1000);
  }

  play() {
    if (this.now() >= this.end) this.t = this.start;
    this.base = performance.now();
    this.playing = true;
  }

  pause() {
    this.t = this.now();
    this.playing = false;
  }

  seek(time) {
    this.t = Math.max(this.start, Math.min(this.end, time));
    this.base = performance.now();
  }

  /** Keep the time where it is (a track is buffering): the next now() starts from here. */
  hold() {
    this.t = this.now();
    this.base = performance.now();
  }
}

/** seconds → "mm:ss" (or "h:mm:ss"); negative times count down to the interview's start. */
export function clockText(seconds) {
  const sign = seconds < 0 ? '-' : '';
  const whole = Math.floor(Math.abs(seconds));
  const pad = (n) => String(n).padStart(2, '0');
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  return `${sign}${h ? `${h}:${pad(m)}` : pad(m)}:${pad(whole % 60)}`;
}

/** Where `recording` (with `segments` and `spans`) has nothing, between `start` and `end`. */
export function gapsOf(recording, start, end) {
  const gaps = [];
  let at = start;
  for (const span of recording.spans) {
    if (span.start > at) gaps.push({ start: at, end: span.start, between: at > start });
    at = Math.max(at, span.end);
  }
  if (end > at) gaps.push({ start: at, end, between: false });
  return gaps;
}

function bufferedEnd(el) {
  return el.buffered.length ? el.buffered.end(el.buffered.length - 1) : 0;
}

export class TrackPlayer {
  /**
   * recording: the API's recording with `segments` and `spans`; el: its media element.
   * onState(state) hears 'playing' | 'failed' | 'before' (ahead of its first span) |
   * 'gap' (between two spans: an interruption) | 'after' (past its last span) whenever
   * that changes.
   */
  constructor(recording, el, onState) {
    this.recording = recording;
    this.el = el;
    this.onState = onState;
    this.state = null;
    this.loaded = null; // {span, start}: the stream in el, whose time 0 is `start`
    this.positioned = false; // the first jump into a new stream is done
    this.loadedAt = 0;
    this.failed = false;
    el.addEventListener('error', () => {
      if (!this.loaded || !el.error) return; // not the stream's: one let go of in unload()
      this.failed = true;
      this.setState('failed');
    });
  }

  /** The span playing at `time` (its end included: the last picture stays at the very end). */
  spanAt(time) {
    return this.recording.spans.find((span) => span.start <= time && time <= span.end) || null;
  }

  gapKind(time) {
    const { spans } = this.recording;
    if (!spans.length || time < spans[0].start) return 'before';
    return time > spans[spans.length - 1].end ? 'after' : 'gap';
  }

  /** The segment of `span` that holds `time` (the last one starting at or before it). */
  segmentAt(span, time) {
    let found = null;
    for (const segment of this.recording.segments) {
      if (segment.seq < span.from || segment.seq > span.to) continue;
      if (found === null || segment.start <= time) found = segment;
    }
    return found;
  }

  setState(state) {
    if (state === this.state) return;
    this.state = state;
    this.onState(state);
  }

  /** True while this track, inside a span, is still waiting for its first data. */
  stalled() {
    return this.state === 'playing' && Boolean(this.loaded) && !this.failed && this.el.readyState < 3
      && performance.now() - this.loadedAt < STALL_LIMIT_MS;
  }

  load(span, time) {
    const segment = this.segmentAt(span, time);
    const id = encodeURIComponent(this.recording.id);
    this.loaded = { span, start: segment.start };
    this.positioned = false;
    this.failed = false;
    this.loadedAt = performance.now();
    this.el.playbackRate = 1;
    this.el.src = `/api/recordings/${id}/media?from=${segment.seq}&to=${span.to}`;
  }

  unload() {
    this.loaded = null;
    this.el.pause();
    this.el.removeAttribute('src');
    this.el.load(); // stops the download
  }

  /** Bring the element to interview time `time`; `playing`: whether the clock runs. */
  sync(time, playing) {
    const span = this.spanAt(time);
    if (!span) {
      // Let go of the stream: each holds one of the browser's few connections to the server.
      if (this.loaded) this.unload();
      this.setState(this.gapKind(time));
      return;
    }
    const same = this.loaded && this.loaded.span.from === span.from && time >= this.loaded.start;
    if (!same) this.load(span, time);
    if (this.failed) return;
    this.setState('playing');
    const el = this.el;
    if (playing && el.paused) el.play().catch(() => {});
    if (!playing && !el.paused) el.pause();
    if (el.readyState < 1 || el.seeking) return; // no metadata yet, or a jump under way
    this.follow(span, time - this.loaded.start);
  }

  /** Keep element time at `want`: jump when far, nudge the rate when near. */
  follow(span, want) {
    const el = this.el;
    if (!this.positioned) {
      this.positioned = true;
      if (want > DRIFT_SETTLED_S) el.currentTime = want;
      return;
    }
    const drift = el.currentTime - want;
    if (el.ended && drift < 0) return; // the stream ran out a moment before the span's end
    if (Math.abs(drift) > DRIFT_SEEK_S) {
      if (want > bufferedEnd(el) + AHEAD_REFETCH_S) this.load(span, this.loaded.start + want);
      else el.currentTime = want;
      el.playbackRate = 1;
    } else if (Math.abs(drift) > DRIFT_NUDGE_S) {
      el.playbackRate = drift > 0 ? 0.95 : 1.05;
    } else if (Math.abs(drift) < DRIFT_SETTLED_S) {
      el.playbackRate = 1;
    }
  }

  /** After a jump of the clock: a stream that failed gets another try. */
  retry() {
    if (this.failed) this.loaded = null;
  }

  pause() {
    if (!this.el.paused) this.el.pause();
  }
}
