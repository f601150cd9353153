// Download of a case's evidence bundle. The page asks for a short-lived ticket
// (`POST /api/cases/{id}/bundle/ticket`), hands `GET …/bundle?ticket=` to the browser as an
// ordinary download, which streams it to disk however large the case is, and follows
// the server's side of it (`…/bundle/progress?ticket=`) for a progress bar and the end.

import { api, ApiError } from './api.js';

const POLL_MS = 500;
const START_TIMEOUT_MS = 30000; // the browser has not asked for the file by then: say so

const wait = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/** Start the download; resolves with the ticket answer ({url, progress_url, …}). */
export async function startDownload(caseId) {
  const ticket = await api(`/api/cases/${encodeURIComponent(caseId)}/bundle/ticket`, { method: 'POST' });
  const link = document.createElement('a');
  link.href = ticket.url;
  link.download = ''; // the server's Content-Disposition names it
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  return ticket;
}

/**
 * Follow the download until the server has sent the last byte. `onProgress(written,
 * payloadBytes)`; resolves with {name, size}; rejects with an ApiError (`export_failed` when
 * the server gave up or the connection broke, `export_unseen` when no download began, or
 * `export_elsewhere` when another server is sending it: the browser's bar still shows it).
 */
export async function followDownload(ticket, onProgress) {
  const started = Date.now();
  for (;;) {
    let state;
    try {
      state = await api(ticket.progress_url);
    } catch (err) {
      if (err.status === 404) throw new ApiError(0, 'export_elsewhere', err.message);
      throw err;
    }
    if (state.state === 'done') return { name: state.name, size: state.written };
    if (state.state === 'failed') throw new ApiError(0, 'export_failed', state.error);
    if (state.state === 'issued' && Date.now() - started > START_TIMEOUT_MS) {
      throw new ApiError(0, 'export_unseen', 'the browser did not start the download');
    }
    onProgress(state.written, state.payload_bytes);
    await wait(POLL_MS);
  }
}
