// Live captions: what the server's live transcription heard, one line per utterance, in
// order of when it was said. The console shows them under the tiles; the phone shows the
// last few in large text once its party turns them on (off by default).

import { h } from './dom.js';
import { addStrings, t } from './i18n.js';
import { roleLabel } from './room-text.js';

addStrings({
  'cap.who': { zh: '{name}（{role}）：', en: '{name} ({role}): ' },
  'cap.delayed': { zh: '延迟 {s} 秒', en: '{s} s late' },
  'cap.heading': { zh: '实时字幕', en: 'Live captions' },
  'cap.note': { zh: '机器自动识别，仅供参考，可能有错；笔录以录音为准。', en: 'Machine transcription, for reference only and possibly wrong; the recording is what counts.' },
  'cap.none': { zh: '还没有识别到说话。', en: 'No speech heard yet.' },
  'cap.on': { zh: '打开字幕', en: 'Captions on' },
  'cap.off': { zh: '关闭字幕', en: 'Captions off' },
});

const KEEP = 300;

/** "03:07" on the interview clock. */
function clock(seconds) {
  const s = Math.max(0, Math.floor(Number(seconds) || 0));
  const pad = (n) => String(n).padStart(2, '0');
  return s >= 3600 ? `${Math.floor(s / 3600)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`
    : `${pad(Math.floor(s / 60))}:${pad(s % 60)}`;
}

export class Captions {
  /** list: the <ol> to fill; show: how many of the latest to show (all when 0). */
  constructor(list, { show = 0 } = {}) {
    this.list = list;
    this.show = show;
    this.lines = [];
  }

  /** One caption from the signalling socket or the captions API. */
  add(caption) {
    if (!caption || typeof caption.text !== 'string') return;
    const key = `${caption.participant}|${caption.start}`;
    if (this.lines.some((c) => `${c.participant}|${c.start}` === key)) return;
    this.lines.push(caption);
    this.lines.sort((a, b) => a.start - b.start);
    if (this.lines.length > KEEP) this.lines.splice(0, this.lines.length - KEEP);
    this.render();
  }

  render() {
    const list = this.list;
    // Follow the newest line, unless the reader scrolled up to read an earlier one.
    const following = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    const shown = this.show ? this.lines.slice(-this.show) : this.lines;
    list.replaceChildren(...shown.map((c) => h('li', { class: `caption role-${c.role}`, 'data-testid': 'caption' },
      h('span', { class: 'caption-time' }, clock(c.start)),
      h('span', { class: 'caption-who' }, t('cap.who', { name: c.speaker || '', role: roleLabel(c) })),
      h('span', { class: 'caption-text' }, c.text),
      c.delayed ? h('span', { class: 'badge warn caption-delay' }, t('cap.delayed', { s: Math.round(c.delay) })) : null)));
    if (!this.show && following) list.scrollTop = list.scrollHeight;
  }
}
