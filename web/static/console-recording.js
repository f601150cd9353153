// Recording health in the console: one indicator per recorded track (on each tile and
// under the self-view), an overall line in the header, and every alarm that appears or
// clears for the events log. Fed by the server's `recording` messages (see rtc.js).

import { t } from './i18n.js';
import { h, fill } from './dom.js';
import { recordingStatus } from './room-text.js';

const KINDS = ['audio', 'video'];
const RANK = { none: 0, paused: 0, ok: 1, waiting: 2, alarm: 3 };

/**
 * Fill `el` with one indicator per recording of one participant (healths: their entries
 * of a `recording` message), or hide it when there are none. Each indicator carries
 * data-testid="rec-<participant>-<kind>" and data-state="ok|paused|waiting|alarm".
 */
export function renderRecordingBadges(el, participantId, healths) {
  const byKind = new Map(healths.map((health) => [health.kind, health]));
  const kinds = KINDS.filter((kind) => byKind.has(kind));
  fill(el, kinds.map((kind) => {
    const status = recordingStatus(byKind.get(kind));
    return h('span', {
      class: `rec rec-${status.state}`,
      'data-testid': `rec-${participantId}-${kind}`,
      'data-state': status.state,
      title: status.title || null,
    }, h('span', { class: 'rec-kind' }, t(`rec.kind.${kind}`)), ' ', status.text);
  }));
  el.hidden = kinds.length === 0;
}

/**
 * What the last `recording` message said, and what changed since the one before.
 * onAlarm({raised, participant, kind, code, message}) runs once when an alarm appears
 * and once when it clears (an alarm whose recording is gone from the list is dropped
 * silently: the recording ended, and the playback page tells the rest).
 */
export class RecordingHealth {
  constructor({ onAlarm }) {
    this.onAlarm = onAlarm;
    this.list = null; // null until the first message
    this.alarms = new Map(); // `${recording id} ${code}` → {recording, participant, kind, code, message}
  }

  update(list) {
    const live = new Set(list.map((health) => health.id));
    const now = new Map();
    for (const health of list) {
      for (const alarm of Array.isArray(health.alarms) ? health.alarms : []) {
        const key = `${health.id} ${alarm.code}`;
        const entry = {
          recording: health.id, participant: health.participant, kind: health.kind, code: alarm.code, message: alarm.message,
        };
        now.set(key, entry);
        if (!this.alarms.has(key)) this.onAlarm({ raised: true, ...entry });
      }
    }
    for (const [key, entry] of this.alarms) {
      if (!now.has(key) && live.has(entry.recording)) this.onAlarm({ raised: false, ...entry });
    }
    this.alarms = now;
    this.list = list;
  }

  of(participantId) {
    return (this.list || []).filter((health) => health.participant === participantId);
  }

  /** {state: 'none'|'ok'|'waiting'|'alarm', tracks, waiting, alarmed} over every recording. */
  summary() {
    let state = 'none';
    let waiting = 0;
    let alarmed = 0;
    for (const health of this.list || []) {
      const one = recordingStatus(health).state;
      if (RANK[one] > RANK[state]) state = one;
      waiting += Number(health.waiting) || 0;
      if (one === 'alarm') alarmed += 1;
    }
    return { state, tracks: (this.list || []).length, waiting, alarmed };
  }
}

/** The overall line: "录制正常" / "录制告警", hidden before the first message. */
export function renderRecordingSummary(el, health) {
  el.hidden = health.list === null;
  if (health.list === null) return;
  const { state, tracks, waiting, alarmed } = health.summary();
  const text = {
    none: () => t('rec.overall.none'),
    ok: () => t('rec.overall.ok', { n: tracks }),
    waiting: () => t('rec.overall.waiting', { n: waiting }),
    alarm: () => t('rec.overall.alarm', { n: alarmed }),
  }[state]();
  el.textContent = text;
  el.className = `rec-overall rec-${state}`;
  el.dataset.state = state;
}
