// Sending one evidence file to POST /api/cases/{case}/evidence as multipart, with upload
// progress (fetch cannot report it, so this is XMLHttpRequest). Staff pages ride on the
// session cookie and its CSRF token; the join page passes its invitation token as bearer.

import { ApiError, readCookie } from './api.js';

function parse(text) {
  try {
    return JSON.parse(text);
  } catch (_) {
    return null;
  }
}

/**
 * Resolves with the stored evidence item, or rejects with an ApiError (status 0: no answer).
 * fields: extra form fields (kind, interview_id, participant, note); onProgress(0..1).
 */
export function uploadEvidence(caseId, file, { name, fields = {}, bearer, onProgress } = {}) {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined && value !== null && value !== '') form.append(key, String(value));
  }
  form.append('device_time', new Date().toISOString());
  form.append('file', file, name || file.name || 'file');
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/cases/${encodeURIComponent(caseId)}/evidence`);
    xhr.setRequestHeader('Accept', 'application/json');
    if (bearer) {
      xhr.setRequestHeader('Authorization', `Bearer ${bearer}`);
      xhr.withCredentials = false;
    } else {
      const csrf = readCookie('zm_csrf');
      if (csrf) xhr.setRequestHeader('X-CSRF-Token', csrf);
    }
    xhr.upload.addEventListener('progress', (event) => {
      if (onProgress && event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => {
      const data = parse(xhr.responseText);
      if (xhr.status === 201) {
        resolve(data);
        return;
      }
      const code = (data && data.error) || `http_${xhr.status}`;
      reject(new ApiError(xhr.status, code, (data && data.message) || xhr.statusText));
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, 'network', 'network error')));
    xhr.addEventListener('abort', () => reject(new ApiError(0, 'network', 'aborted')));
    xhr.send(form);
  });
}
