// While the machine draft is being made: the transcription job's state, a progress bar,
// what it is doing, and on failure the server's reason with a "retry" button.

import { t } from './i18n.js';
import './record-text.js';

const $ = (id) => document.getElementById(id);

// The runner's stages (server/transcribe/runner.py) in the reader's words; any other
// stage is shown as the server wrote it.
const STAGES = [
  [/^(queued|starting|waiting|retrying|failed|done)$/, (m) => t(`rd.stage.${m[1]}`)],
  [/^reading audio$/, () => t('rd.stage.reading')],
  [/^finding speech \((.*)\)$/, (m) => t('rd.stage.finding', { who: m[1] })],
  [/^transcribing (\d+)\/(\d+)$/, (m) => t('rd.stage.transcribing', { done: m[1], total: m[2] })],
  [/^saving the draft$/, () => t('rd.stage.saving')],
];

function stageText(stage) {
  for (const [pattern, say] of STAGES) {
    const match = pattern.exec(stage || '');
    if (match) return say(match);
  }
  return stage || '';
}

/** Show `job` (the record answer's `job`, or null before the interview has ended). */
export function renderPending(job, editable) {
  $('pending').hidden = false;
  if (!job) {
    $('job-state').textContent = t('rd.job.none');
    $('job-progress').hidden = true;
    $('job-stage').textContent = '';
    $('job-failed').hidden = true;
    $('job-retry').hidden = true;
    return;
  }
  const failed = job.state === 'failed';
  $('job-state').textContent = t(`rd.job.${job.state}`);
  $('job-state').dataset.state = job.state;
  const progress = $('job-progress');
  progress.hidden = failed;
  progress.value = Math.max(0, Math.min(1, Number(job.progress) || 0));
  progress.setAttribute('aria-valuetext', `${Math.round(progress.value * 100)}%`);
  $('job-stage').textContent = failed ? '' : stageText(job.stage);
  $('job-failed').hidden = !failed;
  $('job-failed').textContent = failed ? t('rd.job.failed_because', { message: job.message || t('common.none') }) : '';
  $('job-retry').hidden = !failed || !editable;
}
