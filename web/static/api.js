// fetch wrapper for the zeromeet JSON API.
// Staff pages ride on the zm_session cookie and echo the zm_csrf cookie in X-CSRF-Token
// on every unsafe method; the join page sends its invitation token as a bearer instead.

import './error-text.js';

export class ApiError extends Error {
  constructor(status, code, message, retryAfter = null, field = null) {
    super(message);
    this.status = status; // 0 when the request never got an answer
    this.code = code;
    this.retryAfter = retryAfter; // seconds, from Retry-After, when the server sent one
    this.field = field; // the request field a 400 is about, when the server names one
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function readCookie(name) {
  const prefix = `${name}=`;
  const found = document.cookie.split('; ').find((part) => part.startsWith(prefix));
  return found ? decodeURIComponent(found.slice(prefix.length)) : null;
}

async function readBody(res) {
  if (res.status === 204) return null;
  const text = await res.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch (_) {
    return null; // e.g. a proxy's HTML error page
  }
}

function retryAfterSeconds(res) {
  const value = Number.parseInt(res.headers.get('Retry-After') || '', 10);
  return Number.isFinite(value) && value >= 0 ? value : null;
}

/** Send the browser to the login page, coming back here afterwards. */
export function goToLogin() {
  const next = location.pathname + location.search;
  location.assign(`/login?next=${encodeURIComponent(next)}`);
}

/**
 * Call the API; resolves with the parsed JSON answer or rejects with an ApiError.
 * options: method, body (sent as JSON), bearer (a token for Authorization; the cookie is
 * then left out), redirectOn401 (default true: a 401 sends staff to the login page and
 * the promise never settles, so the page shows no stray error while it navigates away).
 */
export async function api(path, { method = 'GET', body, bearer, redirectOn401 = true } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (bearer) {
    headers.Authorization = `Bearer ${bearer}`;
  } else if (!SAFE_METHODS.has(method)) {
    const csrf = readCookie('zm_csrf');
    if (csrf) headers['X-CSRF-Token'] = csrf;
  }
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: bearer ? 'omit' : 'same-origin',
      cache: 'no-store',
    });
  } catch (err) {
    throw new ApiError(0, 'network', String(err));
  }
  const data = await readBody(res);
  if (res.ok) return data;
  if (res.status === 401 && redirectOn401) {
    goToLogin();
    return new Promise(() => {});
  }
  const code = (data && data.error) || `http_${res.status}`;
  const message = (data && data.message) || res.statusText;
  throw new ApiError(res.status, code, message, retryAfterSeconds(res), res.headers.get('X-Error-Field'));
}

/** Where to go after login: only a page on this site, never another origin. */
export function safeNext(raw, fallback = '/cases') {
  if (!raw || !raw.startsWith('/')) return fallback;
  let url;
  try {
    url = new URL(raw, location.origin); // resolves tricks such as "/\\evil" or "/\t/evil"
  } catch (_) {
    return fallback;
  }
  if (url.origin !== location.origin || url.pathname.startsWith('/login')) return fallback;
  return url.pathname + url.search + url.hash;
}
