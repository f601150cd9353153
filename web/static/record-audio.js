// A turn's own stretch of the recording, for checking what the machine heard. The server
// streams segments `from`..`to` of one audio recording as one WebM whose time 0 is the
// start of segment `from` (epoch ms in X-Start-Ms); a turn starts `audio.start_ms` minus
// that into it. Turns are short, so the few segments are fetched whole into a Blob: the
// header comes with the bytes, and seeking inside a Blob needs no further requests.

import { ApiError } from './api.js';

const TAIL_S = 0.4; // play a little past the turn's end: the last word often trails off
const clips = new Map(); // audio_url → Promise<{url, startMs}>, one download per stretch

async function download(path) {
  let res;
  try {
    res = await fetch(path, { credentials: 'same-origin', cache: 'no-store' });
  } catch (err) {
    throw new ApiError(0, 'network', String(err));
  }
  if (!res.ok) throw new ApiError(res.status, `http_${res.status}`, res.statusText);
  const startMs = Number(res.headers.get('X-Start-Ms'));
  const blob = await res.blob();
  return { url: URL.createObjectURL(blob), startMs: Number.isFinite(startMs) ? startMs : null };
}

function clip(path) {
  if (!clips.has(path)) {
    const loading = download(path);
    loading.catch(() => clips.delete(path)); // a failure is tried again on the next tap
    clips.set(path, loading);
  }
  return clips.get(path);
}

function once(el, name) {
  return new Promise((resolve, reject) => {
    const ok = () => { el.removeEventListener('error', bad); resolve(); };
    const bad = () => { el.removeEventListener(name, ok); reject(new ApiError(0, 'media', 'cannot play')); };
    el.addEventListener(name, ok, { once: true });
    el.addEventListener('error', bad, { once: true });
  });
}

/**
 * Play `turn` (from the record API: `audio`, `audio_url`, `start`, `end`) in the <audio>
 * element `el`, from the turn's first word to just past its last; resolves once playing.
 */
export async function playTurn(el, turn) {
  const { url, startMs } = await clip(turn.audio_url);
  const offset = startMs === null ? 0 : Math.max(0, (turn.audio.start_ms - startMs) / 1000);
  const stopAt = offset + Math.max(0, turn.end - turn.start) + TAIL_S;
  if (el.src !== url) {
    const ready = once(el, 'loadedmetadata');
    el.src = url;
    await ready;
  }
  el.currentTime = offset;
  el.dataset.stopAt = String(stopAt);
  await el.play();
}

/** Pause `el` once it passes the end of the turn it was asked to play. */
export function stopAtTurnEnd(el) {
  el.addEventListener('timeupdate', () => {
    const stopAt = Number(el.dataset.stopAt);
    if (stopAt && el.currentTime >= stopAt) {
      delete el.dataset.stopAt; // the controls may play on from here
      el.pause();
    }
  });
}
