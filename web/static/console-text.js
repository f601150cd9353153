// The words of the console's stage (one party's video enlarged) and of the previews of
// the snapshots taken in it (console-stage.js, console-snapshot-previews.js).

import { addStrings } from './i18n.js';

addStrings({
  'stage.enlarge': { zh: '放大', en: 'Enlarge' },
  'stage.enlarge_label': { zh: '放大 {name} 的画面（也可双击画面）', en: "Show {name}'s video large (or double-click it)" },
  'stage.restore': { zh: '还原', en: 'Back to all' },
  'stage.restore_label': { zh: '还原为并排显示所有人（Esc）', en: 'Show everyone side by side again (Esc)' },

  'snap.heading': { zh: '本次询问的截图', en: 'Snapshots in this interview' },
  'snap.note': { zh: '显示的是服务器存入证据库的图片。', en: 'Shown as the server stored them as evidence.' },
  'snap.preview_alt': { zh: '{name} 的截图（{time}）', en: 'Snapshot of {name} ({time})' },
  'snap.open_label': { zh: '查看大图：{name} 的截图（{time}）', en: 'Open large: snapshot of {name} ({time})' },
  'snap.caption': { zh: '{name} · {time}', en: '{name} · {time}' },
  'snap.dialog_title': { zh: '{name} 的截图 · {time}', en: 'Snapshot of {name} · {time}' },
  'snap.fingerprint': { zh: '证据指纹（SHA-256）：{sha256}', en: 'Evidence fingerprint (SHA-256): {sha256}' },
  'snap.loading': { zh: '正在从证据库读取原图…', en: 'Reading the original from the evidence store…' },
  'snap.load_failed': { zh: '原图读取失败：{detail}', en: 'Could not read the original: {detail}' },
  'snap.close': { zh: '关闭', en: 'Close' },
});
