// The public complaint form (/r/{channel}): a name and a phone number are enough.

import { api } from './api.js';
import { CATEGORIES } from './complaint-text.js';
import { initI18n, onLangChange, t } from './i18n.js';
import { busy, fill, h, say } from './dom.js';

const $ = (id) => document.getElementById(id);
const channel = decodeURIComponent(location.pathname.split('/')[2] || '');
const form = $('report-form');
const message = $('rp-message');
let unitName = '';

function categories() {
  const chosen = form.category.value;
  fill(form.category, ['', ...CATEGORIES].map((c) => h('option', { value: c }, t(`cat.${c}`))));
  form.category.value = chosen;
  $('rp-unit').textContent = unitName ? t('rp.unit', { name: unitName }) : '';
}

function number(input) {
  const value = input.value.trim();
  return value === '' ? undefined : Number(value);
}

function failure(err) {
  if (err.status === 429) return t('rp.limited');
  if (err.code === 'no_such_channel') return t('rp.no_channel');
  if (err.code === 'invalid_phone') return t('rp.bad_phone');
  if (err.code === 'missing_field') return t('rp.missing');
  if (err.code === 'network') return t('error.network');
  return `${t('rp.missing')} (${err.message})`;
}

async function submit(event) {
  event.preventDefault();
  const name = form.name.value.trim();
  const phone = form.phone.value.trim();
  if (!name || !phone) {
    say(message, t('rp.missing'));
    (name ? form.phone : form.name).focus();
    return;
  }
  const body = { channel, name, phone, confidential: form.confidential.checked };
  for (const field of ['employer', 'district', 'description']) {
    const value = form[field].value.trim();
    if (value) body[field] = value;
  }
  if (form.category.value) body.category = form.category.value;
  for (const field of ['workers', 'amount']) {
    const value = number(form[field]);
    if (value !== undefined && Number.isFinite(value)) body[field] = Math.round(value);
  }
  say(message, '');
  let got;
  try {
    got = await busy(form, () => api('/api/complaints', { method: 'POST', body, redirectOn401: false }));
  } catch (err) {
    say(message, failure(err));
    return;
  }
  showDone(got);
}

function showDone(got) {
  const url = new URL(got.status_url, location.origin).href;
  $('report').hidden = true;
  $('done').hidden = false;
  $('done-number').textContent = got.number;
  $('done-link').href = got.status_url;
  $('done-url').textContent = url;
  $('done-copy').addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(url);
      $('done-copy').textContent = t('rp.copied');
    } catch (_) { /* no clipboard here: the link is on screen to copy by hand */ }
  });
  $('done-title').focus();
}

async function loadChannel() {
  try {
    const info = await api(`/api/complaint-channels/${encodeURIComponent(channel)}`, { redirectOn401: false });
    unitName = info.unit ? info.unit.name : '';
  } catch (err) {
    if (err.status === 404) say(message, t('rp.no_channel'));
  }
  categories();
}

initI18n();
categories();
onLangChange(categories);
form.addEventListener('submit', submit);
$('rp-submit').disabled = false;
loadChannel();
