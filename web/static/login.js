// Staff login: POST /api/login, then on to ?next= (a path on this site) or /cases.

import { api, safeNext } from './api.js';
import { initI18n, t, describeError } from './i18n.js';
import { say, busy } from './dom.js';

const form = document.getElementById('login-form');
const message = document.getElementById('login-message');
const next = safeNext(new URLSearchParams(location.search).get('next'));

function failureText(err) {
  if (err.code === 'account_disabled') return t('login.disabled');
  if (err.status === 401) return t('login.bad');
  if (err.status === 429) {
    const seconds = err.retryAfter;
    if (!seconds) return t('login.limited_nowait');
    if (seconds < 120) return t('login.limited', { seconds });
    return t('login.limited_min', { minutes: Math.ceil(seconds / 60) });
  }
  return describeError(err);
}

async function submit(event) {
  event.preventDefault();
  const username = form.username.value.trim();
  const password = form.password.value;
  if (!username || !password) {
    say(message, t('login.missing'));
    (username ? form.password : form.username).focus();
    return;
  }
  say(message, '');
  try {
    await busy(form, () => api('/api/login', {
      method: 'POST',
      body: { username, password },
      redirectOn401: false,
    }));
  } catch (err) {
    say(message, failureText(err));
    form.password.select();
    form.password.focus();
    return;
  }
  location.assign(next);
}

async function skipIfLoggedIn() {
  try {
    await api('/api/me', { redirectOn401: false });
    location.replace(next);
  } catch (_) {
    // Not logged in (the usual case): stay here.
  }
}

initI18n();
form.addEventListener('submit', submit);
// The button works only once this script is here: a form submitted by the browser itself
// would carry the password in a request to this page.
document.getElementById('login-submit').disabled = false;
// On a slow line someone may already be typing when this script arrives: never take the
// cursor away from them (their password would go into the name field).
const typing = document.activeElement && document.activeElement !== document.body;
if (!typing) form.username.focus();
skipIfLoggedIn();
