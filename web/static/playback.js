// The playback page of one interview: every participant's recordings side by side on the
// interview clock (playback-sync.js keeps each element in step), one shared play button
// and slider, each track's gaps on its own bar, and the list of recordings with their
// chain heads and a verify button (playback-list.js).

import { api } from './api.js';
import { initI18n, onLangChange, t, formatDateTime, describeError } from './i18n.js';
import { h, fill, say } from './dom.js';
import { startStaffPage } from './staff.js';
import { roleLabel } from './room-text.js';
import { PlaybackClock, TrackPlayer, clockText, gapsOf } from './playback-sync.js';
import { mountRecordingList } from './playback-list.js';
import './interview-text.js';

const $ = (id) => document.getElementById(id);
const interviewId = decodeURIComponent(location.pathname.split('/')[3] || '');
const TICK_MS = 100;
const SHORTEST_GAP_S = 0.2; // less than this between spans is rounding, not a gap

let interview = null;
let clock = null;
const columns = []; // {participant, video, overlay, videoState, heads, el}
const players = [];
const relabel = []; // functions that re-translate what was drawn once (titles, labels)

/** A length of interview time as a share of the whole timeline, for CSS. */
function share(seconds) {
  const whole = clock.end - clock.start;
  return `${whole > 0 ? (seconds / whole) * 100 : 0}%`;
}

function pct(time) {
  return share(time - clock.start);
}

/** A mark on a track's bar from `from` to `to`; positioned with CSSOM (the CSP allows no style attribute). */
function mark(cls, from, to, titleKey, testid = null) {
  const el = h('span', { class: cls, 'data-testid': testid });
  el.style.left = pct(from);
  el.style.width = share(to - from);
  const title = () => el.setAttribute('title', t(titleKey, { from: clockText(from), to: clockText(to) }));
  title();
  relabel.push(title);
  return el;
}

function trackBar(recording) {
  const bar = h('div', { class: 'pb-bar', 'data-testid': `bar-${recording.id}` });
  for (const span of recording.spans) bar.append(mark('pb-span', span.start, span.end, 'pb.span_title'));
  for (const gap of gapsOf(recording, clock.start, clock.end)) {
    if (gap.end - gap.start < SHORTEST_GAP_S) continue;
    // A break between two spans is an interruption; before the first or after the last,
    // the person was simply not there yet, or any more.
    bar.append(mark(gap.between ? 'pb-gapmark pb-break' : 'pb-gapmark', gap.start, gap.end,
      'pb.gap_title', gap.between ? `break-${recording.id}` : null));
  }
  const head = h('span', { class: 'pb-head', 'aria-hidden': 'true' });
  bar.append(head);
  const kind = h('span', { class: 'pb-track-kind' }, t(`rec.kind.${recording.kind}`));
  relabel.push(() => { kind.textContent = t(`rec.kind.${recording.kind}`); });
  return { row: h('div', { class: 'pb-track' }, kind, bar), head };
}

function renderOverlay(column) {
  const text = {
    none: 'pb.novideo', before: 'pb.before', gap: 'pb.gap', after: 'pb.after', failed: 'pb.failed', playing: null,
  }[column.videoState];
  column.overlay.hidden = !text;
  column.overlay.textContent = text ? t(text) : '';
  column.video.classList.toggle('is-gap', Boolean(text));
  column.el.dataset.video = column.videoState;
}

function buildColumn(participant, recordings) {
  const pid = participant.id;
  const video = h('video', { playsinline: true, preload: 'auto', 'data-testid': `video-${pid}` });
  video.muted = true; // its sound is the separate audio recording
  const overlay = h('p', { class: 'pb-overlay', 'data-testid': `overlay-${pid}` });
  const name = h('span');
  const role = h('span', { class: 'badge' });
  const tracks = h('div', { class: 'pb-tracks' });
  const el = h('section', { class: 'card pb-col', 'data-participant': pid, 'data-testid': `col-${pid}` },
    h('h2', { class: 'pb-who' }, name, ' ', role),
    h('div', { class: 'pb-video' }, video, overlay),
    tracks);
  const column = { participant, video, overlay, videoState: 'none', heads: [], el };
  const label = () => {
    name.textContent = participant.name || t('console.someone');
    role.textContent = roleLabel(participant);
    renderOverlay(column);
  };
  relabel.push(label);
  for (const recording of recordings) {
    const { row, head } = trackBar(recording);
    tracks.append(row);
    column.heads.push(head);
    let media = video;
    if (recording.kind === 'audio') {
      media = h('audio', { preload: 'auto', 'data-testid': `audio-${pid}` });
      el.append(media);
    } else {
      column.videoState = 'before';
    }
    players.push(new TrackPlayer(recording, media, (state) => {
      if (recording.kind !== 'video') return;
      column.videoState = state;
      renderOverlay(column);
    }));
  }
  label();
  return column;
}

function renderPosition(now) {
  const seek = $('seek');
  seek.value = String(now);
  seek.setAttribute('aria-valuetext', clockText(now));
  $('clock').textContent = t('pb.clock', { now: clockText(now), total: clockText(clock.end) });
  for (const column of columns) {
    for (const head of column.heads) head.style.left = pct(now);
  }
}

function renderPlayButton() {
  $('play').textContent = t(clock.playing ? 'pb.pause' : 'pb.play');
  $('play').setAttribute('aria-pressed', String(clock.playing));
}

function tick() {
  // A track that is still fetching its stream holds the clock, so nobody starts late.
  if (clock.playing && players.some((player) => player.stalled())) clock.hold();
  const now = clock.now();
  for (const player of players) player.sync(now, clock.playing);
  if (clock.playing && now >= clock.end) {
    clock.pause();
    players.forEach((player) => player.pause());
    renderPlayButton();
  }
  renderPosition(now);
}

function togglePlay() {
  if (clock.playing) clock.pause();
  else clock.play();
  renderPlayButton();
  tick();
}

function onSeek() {
  clock.seek(Number($('seek').value));
  players.forEach((player) => player.retry());
  tick();
}

/** Every recording with its segments and spans, grouped by participant in order of appearance. */
async function loadRecordings(summaries) {
  const stored = summaries.filter((r) => r.segments > 0);
  const full = await Promise.all(stored.map((r) => api(`/api/recordings/${encodeURIComponent(r.id)}`)));
  const groups = new Map();
  for (const recording of full.filter((r) => r.spans.length)) {
    const pid = recording.participant.id;
    if (!groups.has(pid)) groups.set(pid, { participant: recording.participant, recordings: [], first: Infinity });
    const group = groups.get(pid);
    group.recordings.push(recording);
    group.first = Math.min(group.first, recording.spans[0].start);
  }
  const order = (r) => (r.kind === 'video' ? 0 : 1);
  return [...groups.values()]
    .sort((a, b) => a.first - b.first)
    .map((g) => ({ ...g, recordings: g.recordings.sort((a, b) => order(a) - order(b)) }));
}

function renderHead() {
  const iv = interview;
  const title = iv.title || t('iv.untitled', { date: formatDateTime(iv.created_at) });
  document.title = `${title} · ${t('pb.crumb')}`;
  $('pb-heading').textContent = t('pb.heading', { title });
  $('iv-state').textContent = t(`state.${iv.state}`);
  $('iv-state').className = `badge s-${iv.state}`;
  $('crumb-case').textContent = iv.case_number || t('common.none');
  $('crumb-case').href = `/cases/${encodeURIComponent(iv.case_id)}`;
  $('crumb-console').href = `/console/interviews/${encodeURIComponent(iv.id)}`;
  $('pb-live').hidden = iv.state !== 'live';
}

async function main() {
  initI18n();
  await startStaffPage();
  interview = await api(`/api/interviews/${encodeURIComponent(interviewId)}`);
  renderHead();
  const groups = await loadRecordings(interview.recordings || []);
  const list = mountRecordingList($('recording-list'), interview.recordings || []);
  onLangChange(() => { renderHead(); list.render(); });
  $('playback-view').hidden = false;
  const spans = groups.flatMap((g) => g.recordings.flatMap((r) => r.spans));
  if (!spans.length) {
    $('pb-empty').hidden = false;
    return;
  }
  clock = new PlaybackClock(Math.min(0, ...spans.map((s) => s.start)), Math.max(...spans.map((s) => s.end)));
  const seek = $('seek');
  seek.min = String(clock.start);
  seek.max = String(clock.end);
  for (const group of groups) columns.push(buildColumn(group.participant, group.recordings));
  fill($('columns'), columns.map((column) => column.el));
  $('player').hidden = false;
  $('play').addEventListener('click', togglePlay);
  seek.addEventListener('input', onSeek);
  onLangChange(() => { relabel.forEach((fn) => fn()); renderPlayButton(); renderPosition(clock.now()); });
  renderPlayButton();
  tick();
  setInterval(tick, TICK_MS);
}

main()
  .catch((err) => say($('page-message'), describeError(err)))
  .finally(() => { $('loading').hidden = true; });
