// Download of a case's evidence bundle (`POST /api/cases/{id}/bundle`, a streamed ZIP) with
// progress: the body is read chunk by chunk and measured against X-Payload-Bytes, then
// saved through a Blob URL under the name the server gave.

import { ApiError, goToLogin, readCookie } from './api.js';

function fileName(disposition, fallback) {
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition || '');
  let name = null;
  if (star) {
    try {
      name = decodeURIComponent(star[1].trim());
    } catch (_) { /* a malformed escape: try the plain form */ }
  }
  if (!name) {
    const plain = /filename="([^"]+)"/i.exec(disposition || '');
    name = plain ? plain[1] : fallback;
  }
  return name.replace(/[\\/]/g, '_');
}

async function failure(res) {
  if (res.status === 401) {
    goToLogin();
    return new Promise(() => {});
  }
  let data = null;
  try {
    data = await res.json();
  } catch (_) { /* not JSON: a proxy's error page */ }
  return new ApiError(res.status, (data && data.error) || `http_${res.status}`,
    (data && data.message) || res.statusText);
}

/**
 * Fetch the bundle; `onProgress(received, payloadBytes)` after every chunk (payloadBytes is
 * the evidence's size, 0 when unknown: the ZIP is a little larger than it). Resolves with
 * {blob, name}; rejects with an ApiError (status 0 when the connection broke).
 */
export async function fetchBundle(caseId, fallbackName, onProgress) {
  const headers = { Accept: 'application/zip' };
  const csrf = readCookie('zm_csrf');
  if (csrf) headers['X-CSRF-Token'] = csrf;
  let res;
  try {
    res = await fetch(`/api/cases/${encodeURIComponent(caseId)}/bundle`, {
      method: 'POST', headers, credentials: 'same-origin', cache: 'no-store',
    });
  } catch (err) {
    throw new ApiError(0, 'network', String(err));
  }
  if (!res.ok) throw await failure(res);
  const total = Number.parseInt(res.headers.get('X-Payload-Bytes') || '', 10) || 0;
  const type = res.headers.get('Content-Type') || 'application/zip';
  const name = fileName(res.headers.get('Content-Disposition'), fallbackName);
  const chunks = [];
  let received = 0;
  try {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.byteLength;
      onProgress(received, total);
    }
  } catch (err) {
    // The stream broke off (network, or the server gave up mid-way): never save half a bundle.
    throw new ApiError(0, 'network', String(err));
  }
  return { blob: new Blob(chunks, { type }), name };
}

/** Offer `blob` as a download named `name`. */
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // Revoking at once can cancel the download in some browsers.
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}
