// A complainant's status link (/s/{token}): the state, the unit, the deadlines, every
// public step, the bureau's reply; more material can be added while it is open.

import { api } from './api.js';
import './complaint-text.js';
import { formatDateTime, initI18n, onLangChange, t } from './i18n.js';
import { fill, h, say } from './dom.js';

const $ = (id) => document.getElementById(id);
const token = decodeURIComponent(location.pathname.split('/')[2] || '');
let shown = null;

function stepText(step, unit) {
  if (step.step === 'deadline') return t('step.deadline', { kind: t(`dl.${step.kind}`), due: step.due });
  if (step.step === 'transferred') return t('step.transferred', { unit });
  let text = t(`step.${step.step}`);
  if (step.to) text += `（${t(`ref.${step.to}`)}）`;
  if (step.reason) text += ` ${t('cs.reason', { reason: step.reason })}`;
  return text;
}

function render() {
  const c = shown;
  if (!c) return;
  $('cs').hidden = false;
  $('cs-title').textContent = t('cs.title', { number: c.number });
  $('cs-state').textContent = t(`state.${c.state}`);
  $('cs-unit').textContent = c.unit ? c.unit.name : '';
  fill($('cs-deadlines'), c.deadlines.filter((d) => !d.met_at).map((d) =>
    h('li', {}, t('cs.due', { kind: t(`dl.${d.kind}`) }), '：', h('strong', {}, d.due))));
  $('cs-paused').hidden = !c.paused;
  if (c.paused) $('cs-paused').textContent = t(`cs.paused.${c.paused.kind}`, { reason: c.paused.reason });
  const unit = c.unit ? c.unit.name : '';
  fill($('cs-history'), c.history.map((s) => h('li', {}, h('time', { datetime: s.at }, formatDateTime(s.at)), ' ', stepText(s, unit))));
  $('cs-reply-box').hidden = !c.reply && !c.reason;
  const reply = [c.result ? t(`res.${c.result}`) : '', c.reply || c.reason || ''];
  if (c.amount_recovered) reply.push(t('cs.recovered', { amount: c.amount_recovered }));
  $('cs-reply').textContent = reply.filter(Boolean).join('\n');
  $('cs-add').hidden = !c.open;
}

async function load() {
  try {
    shown = await api('/api/complaint', { bearer: token, redirectOn401: false });
  } catch (err) {
    say($('cs-problem'), err.status === 401 ? t('cs.bad_link') : t('error.network'));
    return;
  }
  render();
}

async function addFile() {
  const input = $('cs-file');
  if (!input.files.length) return;
  const data = new FormData();
  data.append('file', input.files[0]);
  try {
    const res = await fetch('/api/complaint/evidence', {
      method: 'POST', body: data, credentials: 'omit', headers: { Authorization: `Bearer ${token}` },
    });
    const got = await res.json();
    if (!res.ok) throw new Error(got.message || res.statusText);
    say($('cs-message'), t('cs.added', { sha: got.sha256.slice(0, 12) }), 'ok');
    input.value = '';
    await load();
  } catch (err) {
    say($('cs-message'), String(err.message || err));
  }
}

initI18n();
onLangChange(render);
$('cs-file').addEventListener('change', addFile);
load();
