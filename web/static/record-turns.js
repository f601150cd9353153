// The 问/答 turns of one record version as an editable list: each turn's text in its own
// textarea, its speaker (chosen from the people in the record; the kind follows the
// role), its time on the interview clock, a mark where the recogniser was unsure, a ▶
// that plays the turn's own audio (record-audio.js), and delete / add-after.

import { t, describeError } from './i18n.js';
import './record-text.js';
import { h, fill } from './dom.js';
import { clockText } from './playback-sync.js';
import { playTurn, stopAtTurnEnd } from './record-audio.js';

// The fields a version's turn is stored with (docs/records.md); the API's additions for
// the editor (`low_confidence`, `audio_url`) are not sent back.
const STORED = ['speaker', 'role', 'kind', 'start', 'end', 'text', 'confidence', 'participant_id', 'audio', 'flags'];

function personKey(name, role) {
  return `${role}\n${name}`;
}

/** Everyone who may speak in this record: its inspectors and interviewees, and anyone a turn names. */
export function peopleOf(record) {
  const people = new Map();
  const add = (name, role, participantId) => {
    if (!name || !role) return;
    const key = personKey(name, role);
    const known = people.get(key);
    if (!known) people.set(key, { key, name, role, participant_id: participantId || null });
    else if (!known.participant_id && participantId) known.participant_id = participantId;
  };
  const header = record.header || {};
  (header.inspectors || []).forEach((p) => add(p.name, 'inspector', null));
  (header.interviewees || []).forEach((p) => add(p.name, p.role, null));
  record.turns.forEach((turn) => add(turn.speaker, turn.role, turn.participant_id));
  return [...people.values()];
}

function roleText(role) {
  return role === 'inspector' ? t('role.inspector') : t(`party.${role}`);
}

/** "李工人（劳动者）" */
export function personText(name, role) {
  return t('room.who', { name, role: roleText(role) });
}

export function kindOf(role) {
  return role === 'inspector' ? 'question' : 'answer';
}

export class TurnList {
  /** list: the <ol>; onChange() hears every edit (text, speaker, added or deleted turn). */
  constructor(list, { onChange }) {
    this.list = list;
    this.onChange = onChange;
    this.items = []; // {turn, audio: <audio>|null, message: <p>|null}
    this.people = [];
    this.editable = false;
  }

  /** Show `record`'s turns; editable: text areas and tools, or plain text. */
  load(record, editable) {
    this.people = peopleOf(record);
    this.editable = editable;
    this.items = record.turns.map((turn) => ({ turn: { ...turn }, audio: null }));
    this.render();
  }

  /** The turns as the API stores them, in order. */
  turns() {
    return this.items.map(({ turn }) => {
      const out = {};
      for (const name of STORED) out[name] = turn[name] === undefined ? null : turn[name];
      return out;
    });
  }

  /** The text typed into each turn, for keeping it in sight across a reload. */
  texts() {
    return this.items.map(({ turn }) => ({ kind: turn.kind, speaker: turn.speaker, text: turn.text }));
  }

  render() {
    fill(this.list, this.items.map((item, index) => this.row(item, index)));
  }

  row(item, index) {
    const { turn } = item;
    const number = index + 1;
    const textId = `turn-${number}-text`;
    const head = h('div', { class: 'turn-head' },
      h('span', { class: `badge turn-kind kind-${turn.kind}`, 'data-testid': 'turn-kind' }, t(`rd.kind.${turn.kind}`)),
      this.speaker(item, number),
      h('span', { class: 'turn-time', title: t('rd.turn.time_title') }, clockText(turn.start)),
      turn.audio_url ? this.playButton(item, number) : null);
    const unsure = turn.low_confidence
      ? h('p', { class: 'turn-unsure', 'data-testid': 'low-confidence' },
        h('span', { 'aria-hidden': 'true' }, '⚠ '),
        t('rd.turn.unsure', { pct: Math.round((Number(turn.confidence) || 0) * 100) }))
      : null;
    const echo = (turn.flags || []).includes('echo')
      ? h('p', { class: 'turn-unsure', 'data-testid': 'echo' },
        h('span', { 'aria-hidden': 'true' }, '⚠ '), t('rd.turn.echo'))
      : null;
    const label = h('label', { class: 'visually-hidden', for: textId },
      t('rd.turn.text_label', { n: number, kind: t(`rd.kind.${turn.kind}`), speaker: turn.speaker }));
    const text = this.editable
      ? h('textarea', { id: textId, rows: String(Math.min(8, 2 + Math.floor(turn.text.length / 60))), 'data-testid': 'turn-text' })
      : h('p', { id: textId, class: 'turn-text pre', 'data-testid': 'turn-text' }, turn.text);
    if (this.editable) {
      text.value = turn.text;
      text.addEventListener('input', () => { turn.text = text.value; this.onChange(); });
    }
    item.message = h('p', { class: 'alert error', role: 'alert', hidden: true });
    const tools = this.editable ? h('div', { class: 'turn-tools' },
      h('button', { type: 'button', class: 'small', onclick: () => this.addAfter(index) }, t('rd.turn.add')),
      h('button', { type: 'button', class: 'small danger', 'aria-label': t('rd.turn.delete_label', { n: number }), onclick: () => this.remove(index) }, t('rd.turn.delete')))
      : null;
    return h('li', {
      class: `turn kind-${turn.kind}${turn.low_confidence ? ' is-unsure' : ''}`,
      'data-testid': `turn-${number}`,
    }, head, unsure, echo, this.editable ? label : null, text, item.audio, item.message, tools);
  }

  speaker(item, number) {
    const { turn } = item;
    if (!this.editable) {
      return h('span', { class: 'turn-speaker' }, personText(turn.speaker, turn.role));
    }
    const current = personKey(turn.speaker, turn.role);
    const select = h('select', { class: 'turn-speaker', 'aria-label': t('rd.turn.speaker_label', { n: number }) },
      this.people.map((p) => h('option', { value: p.key, selected: p.key === current }, personText(p.name, p.role))));
    select.addEventListener('change', () => {
      this.setSpeaker(turn, this.people.find((p) => p.key === select.value));
      this.render();
      this.list.querySelectorAll('select.turn-speaker')[number - 1].focus();
    });
    return select;
  }

  setSpeaker(turn, person) {
    if (!person) return;
    turn.speaker = person.name;
    turn.role = person.role;
    turn.kind = kindOf(person.role);
    turn.participant_id = person.participant_id;
    this.onChange();
  }

  playButton(item, number) {
    const button = h('button', {
      type: 'button', class: 'small play', 'data-testid': 'play-turn',
      'aria-label': t('rd.turn.play_label', { n: number }),
    }, '▶');
    button.addEventListener('click', () => this.play(item, button));
    return button;
  }

  async play(item, button) {
    if (!item.audio) {
      item.audio = h('audio', { controls: true, preload: 'auto', class: 'turn-audio', 'data-testid': 'turn-audio' });
      stopAtTurnEnd(item.audio);
      button.closest('li').insertBefore(item.audio, item.message);
    }
    item.message.hidden = true;
    button.disabled = true;
    try {
      await playTurn(item.audio, item.turn);
    } catch (err) {
      item.message.textContent = t('rd.turn.play_failed', { detail: describeError(err) });
      item.message.hidden = false;
    } finally {
      button.disabled = false;
    }
  }

  /** A typed turn after turn `index`, spoken by the other side (an answer after a question). */
  addAfter(index) {
    const before = this.items[index].turn;
    const wanted = before.kind === 'question' ? 'answer' : 'question';
    const person = this.people.find((p) => kindOf(p.role) === wanted) || this.people[0];
    const turn = {
      speaker: person.name, role: person.role, kind: kindOf(person.role), start: before.end, end: before.end,
      text: '', confidence: null, participant_id: person.participant_id, audio: null,
    };
    this.items.splice(index + 1, 0, { turn, audio: null });
    this.onChange();
    this.render();
    this.list.querySelector(`#turn-${index + 2}-text`).focus();
  }

  remove(index) {
    const { turn } = this.items[index];
    if (turn.text.trim() && !window.confirm(t('rd.turn.confirm_delete', { text: turn.text.slice(0, 40) }))) return;
    this.items.splice(index, 1);
    this.onChange();
    this.render();
    const next = this.list.querySelector(`#turn-${Math.min(index + 1, this.items.length)}-text`);
    if (next) next.focus();
  }
}
