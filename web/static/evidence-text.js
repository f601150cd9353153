// The evidence page's words (registered into i18n.js), and the small labels it builds from
// them: kinds, custody actions, who did something, sizes.

import { addStrings, t } from './i18n.js';

export const KINDS = ['recording', 'upload', 'snapshot', 'thumbnail', 'record', 'record-text',
  'confirmation', 'signature', 'record-pdf'];

const ACTIONS = ['captured', 'derived', 'stored', 'viewed', 'downloaded', 'exported',
  'record_edited', 'record_confirmed', 'record_refused', 'access_granted'];

addStrings({
  'ev.doctitle': { zh: '证据与导出 · 远程询问', en: 'Evidence and export · Remote interviews' },
  'ev.crumb': { zh: '证据与导出', en: 'Evidence and export' },
  'ev.open': { zh: '证据与导出', en: 'Evidence and export' },
  'ev.heading': { zh: '证据与导出：{number}', en: 'Evidence and export: {number}' },
  'ev.items': { zh: '证据清单', en: 'Evidence items' },
  'ev.count': { zh: '共 {n} 项', en: '{n} items' },
  'ev.empty': { zh: '本案件还没有证据。', en: 'This case has no evidence yet.' },

  'ev.kind.recording': { zh: '录音录像', en: 'Recordings' },
  'ev.kind.upload': { zh: '上传材料', en: 'Uploads' },
  'ev.kind.snapshot': { zh: '截图', en: 'Snapshots' },
  'ev.kind.thumbnail': { zh: '缩略图', en: 'Thumbnails' },
  'ev.kind.record': { zh: '笔录版本', en: 'Record versions' },
  'ev.kind.record-text': { zh: '笔录文本（当事人所见）', en: 'Record texts (as parties read them)' },
  'ev.kind.confirmation': { zh: '确认声明', en: 'Confirmations' },
  'ev.kind.signature': { zh: '签名', en: 'Signatures' },
  'ev.kind.record-pdf': { zh: '笔录PDF', en: 'Record PDFs' },
  'ev.group': { zh: '{kind}（{n} 项）', en: '{kind} ({n})' },
  'ev.kind.other': { zh: '其他', en: 'Other' },

  'ev.sha256': { zh: 'SHA-256', en: 'SHA-256' },
  'ev.copy': { zh: '复制', en: 'Copy' },
  'ev.copy_label': { zh: '复制 SHA-256', en: 'Copy the SHA-256' },
  'ev.copied': { zh: '已复制', en: 'Copied' },
  'ev.copy_manual': { zh: '已选中，请按 Ctrl+C 复制', en: 'Selected: press Ctrl+C to copy' },
  'ev.size': { zh: '大小', en: 'Size' },
  'ev.type': { zh: '类型', en: 'Type' },
  'ev.created': { zh: '入库时间', en: 'Stored' },
  'ev.received': { zh: '服务器接收时间', en: 'Received by the server' },
  'ev.device_time': { zh: '客户端声称的拍摄/设备时间', en: 'Device time (claimed by the client)' },
  'ev.source': { zh: '来源', en: 'Source' },
  'ev.derived_from': { zh: '派生自', en: 'Derived from' },
  'ev.observed': { zh: '服务器观察到的', en: 'Observed by the server' },
  'ev.claimed': { zh: '客户端声称（未经核实）', en: 'Claimed by the client (unverified)' },
  'ev.claimed.none': { zh: '客户端未声称任何内容。', en: 'The client claimed nothing.' },
  'ev.server': { zh: '服务器', en: 'Server' },
  'ev.someone': { zh: '未知', en: 'Unknown' },

  'ev.open_original': { zh: '打开原件', en: 'Open the original' },
  'ev.open_pdf': { zh: '打开PDF', en: 'Open the PDF' },
  'ev.open_playback': { zh: '回放录像', en: 'Play the recording' },
  'ev.open_record': { zh: '查看笔录', en: 'Open the record' },
  'ev.preview': { zh: '预览：{name}', en: 'Preview: {name}' },

  'ev.verify': { zh: '重新核验', en: 'Verify again' },
  'ev.verify_all': { zh: '全部核验', en: 'Verify all' },
  'ev.verifying': { zh: '正在核验…', en: 'Verifying…' },
  'ev.verify.none': { zh: '本次打开后尚未核验', en: 'Not verified since the page was opened' },
  'ev.verify.ok': { zh: '✓ 一致（{time} 核验）', en: '✓ Matches (checked {time})' },
  'ev.verify.bad': { zh: '✗ 不一致（{time} 核验）：{problem}', en: '✗ Does not match (checked {time}): {problem}' },
  'ev.verify.failed': { zh: '✗ 无法核验：{problem}', en: '✗ Could not verify: {problem}' },
  'ev.verify.progress': { zh: '已核验 {done}/{total} 项', en: 'Verified {done} of {total}' },
  'ev.verify.summary_ok': { zh: '全部 {total} 项核验一致。', en: 'All {total} items match.' },
  'ev.verify.summary_bad': { zh: '{total} 项中有 {bad} 项不一致或无法核验。', en: '{bad} of {total} items do not match or could not be verified.' },
  'ev.verify.segments': { zh: '{n} 段', en: '{n} segments' },

  'ev.custody': { zh: '保管记录', en: 'Custody history' },
  'ev.custody.item': { zh: '保管记录', en: 'Custody history' },
  'ev.custody.hide': { zh: '收起保管记录', en: 'Hide custody history' },
  'ev.custody.empty': { zh: '暂无记录。', en: 'No events.' },
  'ev.custody.ok': { zh: '哈希链完整，已签名检查点 {n} 个', en: 'Hash chain intact, {n} signed checkpoints' },
  'ev.custody.bad': { zh: '哈希链有问题：', en: 'The hash chain has problems:' },
  'ev.custody.count': { zh: '共 {n} 条', en: '{n} events' },
  'ev.col.seq': { zh: '序号', en: 'No.' },
  'ev.col.at': { zh: '时间', en: 'Time' },
  'ev.col.action': { zh: '操作', en: 'Action' },
  'ev.col.actor': { zh: '操作人', en: 'By' },
  'ev.col.item': { zh: '证据', en: 'Item' },
  'ev.col.detail': { zh: '详情', en: 'Detail' },
  'ev.action.captured': { zh: '采集', en: 'Captured' },
  'ev.action.derived': { zh: '派生', en: 'Derived' },
  'ev.action.stored': { zh: '存储', en: 'Stored' },
  'ev.action.viewed': { zh: '查看', en: 'Viewed' },
  'ev.action.downloaded': { zh: '下载', en: 'Downloaded' },
  'ev.action.exported': { zh: '导出', en: 'Exported' },
  'ev.action.record_edited': { zh: '笔录修改', en: 'Record edited' },
  'ev.action.record_confirmed': { zh: '笔录确认', en: 'Record confirmed' },
  'ev.action.record_refused': { zh: '拒绝签字', en: 'Signature refused' },
  'ev.action.access_granted': { zh: '授权访问', en: 'Access granted' },

  'ev.f.received_at': { zh: '接收时间', en: 'Received' },
  'ev.f.type': { zh: '识别出的文件类型', en: 'Detected type' },
  'ev.f.uploader': { zh: '上传人', en: 'Uploaded by' },
  'ev.f.participant': { zh: '被拍摄/录制人', en: 'Person recorded' },
  'ev.f.address': { zh: '网络地址', en: 'Network address' },
  'ev.f.user_agent': { zh: '浏览器标识', en: 'Browser (user agent)' },
  'ev.f.image': { zh: '图像尺寸', en: 'Image size' },
  'ev.f.filename': { zh: '文件名', en: 'File name' },
  'ev.f.filename_sent': { zh: '原始文件名', en: 'File name as sent' },
  'ev.f.content_type': { zh: '声称的文件类型', en: 'Claimed type' },
  'ev.f.device_time': { zh: '设备时间', en: 'Device time' },
  'ev.f.note': { zh: '说明', en: 'Note' },
  'ev.f.exif': { zh: '照片 EXIF 信息', en: 'Photo EXIF data' },
  'ev.f.media': { zh: '媒体', en: 'Media' },
  'ev.f.codec': { zh: '编码', en: 'Codec' },
  'ev.f.segments': { zh: '分段数', en: 'Segments' },
  'ev.f.media_bytes': { zh: '媒体字节数', en: 'Media bytes' },
  'ev.f.duration': { zh: '时长（秒）', en: 'Duration (s)' },
  'ev.f.head': { zh: '哈希链头', en: 'Chain head' },
  'ev.f.status': { zh: '状态', en: 'Status' },
  'ev.f.version': { zh: '笔录版本', en: 'Record version' },
  'ev.f.decision': { zh: '答复', en: 'Decision' },
  'ev.f.at': { zh: '时间', en: 'Time' },
  'ev.f.derived_at': { zh: '派生时间', en: 'Derived' },
  'ev.f.from_sha256': { zh: '原件 SHA-256', en: 'Original\'s SHA-256' },
  'ev.f.width': { zh: '宽（像素）', en: 'Width (px)' },
  'ev.f.height': { zh: '高（像素）', en: 'Height (px)' },
  'ev.f.method': { zh: '派生方法', en: 'Method' },
  'ev.f.record_sha256': { zh: '笔录 SHA-256', en: 'Record SHA-256' },

  'ev.export': { zh: '导出证据包', en: 'Export the evidence bundle' },
  'ev.export.title': { zh: '证据包导出', en: 'Evidence bundle' },
  'ev.export.intro': { zh: '证据包是一个 ZIP 文件（BagIt 格式），包含全部证据原件、清单和服务器签名，可在离线环境中独立核验。', en: 'The bundle is a ZIP file (a BagIt bag) with every original, the manifests and the server\'s signature; it can be checked offline by anyone.' },
  'ev.export.progress': { zh: '正在导出… {pct}%（{got} / {total}）', en: 'Exporting… {pct}% ({got} of {total})' },
  'ev.export.progress_unknown': { zh: '正在导出…已接收 {got}', en: 'Exporting… {got} received' },
  'ev.export.done': { zh: '导出完成：{name}（{size}）', en: 'Export finished: {name} ({size})' },
  'ev.export.handed': { zh: '证据包已交给浏览器下载，请在浏览器的下载栏查看进度。', en: 'The browser is downloading the bundle: its download bar shows the progress.' },
  'ev.export.unseen': { zh: '浏览器没有开始下载，请检查是否拦截了下载后重试', en: 'The browser did not start the download; check whether it blocked it, then try again' },
  'ev.export.broke': { zh: '下载中断（{detail}），请重新导出', en: 'the download broke off ({detail}); export again' },
  'ev.export.failed': { zh: '导出失败：{detail}', en: 'The export failed: {detail}' },
  'ev.export.progress_label': { zh: '导出进度', en: 'Export progress' },
  'ev.key': { zh: '服务器公钥', en: 'Server public key' },
  'ev.key.link': { zh: '下载公钥（key.pem）', en: 'Download the public key (key.pem)' },
  'ev.key.hint': { zh: '离线核验：', en: 'Check offline:' },
  'ev.key.command': { zh: 'zeromeet verify 文件.zip --public-key key.pem', en: 'zeromeet verify file.zip --public-key key.pem' },
});

/** A label for a key of `observed` or `claimed`; the key itself where none is known. */
export function fieldLabel(key) {
  const text = t(`ev.f.${key}`);
  return text === `ev.f.${key}` ? key : text;
}

export function kindLabel(kind) {
  return KINDS.includes(kind) ? t(`ev.kind.${kind}`) : t('ev.kind.other');
}

export function actionLabel(action) {
  return ACTIONS.includes(action) ? t(`ev.action.${action}`) : action;
}

/** 劳动者 / 用人单位代表 / 证人 / 监察员 / 法制审核人员, or the raw role. */
export function roleName(role) {
  for (const key of [`party.${role}`, `role.${role}`]) {
    const text = t(key);
    if (text !== key) return text;
  }
  return role || '';
}

/** "张三（劳动者）" for an uploader, a participant or a custody actor; "服务器" for the server. */
export function personLabel(person) {
  if (!person) return t('ev.someone');
  if (person.kind === 'server') return t('ev.server');
  const name = person.name || person.username || t('ev.someone');
  const role = person.role ? roleName(person.role) : '';
  return role ? t('room.who', { name, role }) : name;
}

/** 1.2 MB, 340 KB, 12 B. */
export function humanSize(bytes) {
  const n = Number(bytes);
  if (!Number.isFinite(n) || n < 0) return t('common.none');
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
