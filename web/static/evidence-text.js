// The evidence page's words (registered into i18n.js), and the small labels it builds from
// them: kinds, custody actions, who did something, sizes.

import { addStrings, t } from './i18n.js';

export const KINDS = ['recording', 'upload', 'snapshot', 'thumbnail', 'record', 'record-text',
  'confirmation', 'officer-signature', 'signature', 'record-pdf', 'chat'];

const ACTIONS = ['captured', 'derived', 'stored', 'viewed', 'downloaded', 'exported',
  'record_edited', 'record_confirmed', 'record_refused', 'record_signed', 'access_granted',
  'notified', 'notify_failed'];

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
  'ev.kind.officer-signature': { zh: '询问人签名声明', en: 'Officers\' signatures' },
  'ev.kind.signature': { zh: '签名', en: 'Signatures' },
  'ev.kind.record-pdf': { zh: '笔录PDF', en: 'Record PDFs' },
  'ev.kind.chat': { zh: '文字交流记录', en: 'Text chat logs' },
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
  'ev.action.record_signed': { zh: '询问人签名', en: 'Signed by an officer' },
  'ev.action.access_granted': { zh: '授权访问', en: 'Access granted' },
  'ev.action.notified': { zh: '短信通知', en: 'Text message sent' },
  'ev.action.notify_failed': { zh: '短信未发出', en: 'Text message not sent' },

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
  'ev.f.duration': { zh: '时长', en: 'Duration' },
  'ev.f.head': { zh: '哈希链头', en: 'Chain head' },
  'ev.f.status': { zh: '状态', en: 'Status' },
  'ev.f.version': { zh: '笔录版本', en: 'Record version' },
  'ev.f.decision': { zh: '答复', en: 'Decision' },
  'ev.f.at': { zh: '时间', en: 'Time' },
  'ev.f.derived_at': { zh: '派生时间', en: 'Derived' },
  'ev.f.from_sha256': { zh: '原件 SHA-256', en: 'Original\'s SHA-256' },
  'ev.f.width': { zh: '宽', en: 'Width' },
  'ev.f.height': { zh: '高', en: 'Height' },
  'ev.f.method': { zh: '派生方法', en: 'Method' },
  'ev.f.record_sha256': { zh: '笔录 SHA-256', en: 'Record SHA-256' },
  'ev.f.sha256': { zh: 'SHA-256', en: 'SHA-256' },
  'ev.f.size': { zh: '大小', en: 'Size' },
  'ev.f.thumbnail': { zh: '缩略图', en: 'Thumbnail' },
  'ev.f.thumbnail_note': { zh: '缩略图说明', en: 'About the thumbnail' },
  'ev.f.invitation': { zh: '邀请链接编号', en: 'Invitation' },
  'ev.f.message': { zh: '消息', en: 'Message' },
  'ev.f.provider': { zh: '发送渠道', en: 'Sent through' },
  'ev.f.message_id': { zh: '消息编号', en: 'Message id' },
  'ev.f.phone': { zh: '手机号', en: 'Phone' },
  'ev.f.confirmation': { zh: '确认声明编号', en: 'Confirmation' },
  'ev.f.based_on': { zh: '所依据的版本', en: 'Based on version' },
  'ev.f.author': { zh: '修改人（用户编号）', en: 'Edited by (user id)' },
  'ev.f.text_sha256': { zh: '文本 SHA-256', en: 'Text SHA-256' },
  'ev.f.rendered': { zh: '文本生成时点', en: 'Text made' },
  'ev.f.machine': { zh: '转写引擎', en: 'Transcription engine' },
  'ev.f.model': { zh: '模型', en: 'Model' },
  'ev.f.device': { zh: '运算设备', en: 'Device' },
  'ev.f.sources': { zh: '来源证据（编号）', en: 'Source items (ids)' },
  'ev.f.filtered': { zh: '滤除的片段', en: 'Pieces filtered out' },
  'ev.f.excluded_segments': { zh: '未转写的分段', en: 'Segments left out' },
  'ev.f.heard_segments': { zh: '已转写的分段', en: 'Segments transcribed' },
  'ev.f.live': { zh: '实时转写', en: 'Live listening' },
  'ev.f.parties': { zh: '参与方数', en: 'Parties' },
  'ev.f.of': { zh: '录音总数', en: 'Of recordings' },
  'ev.f.echoes': { zh: '回声标记数', en: 'Echoes marked' },
  'ev.f.recording_id': { zh: '录音录像编号', en: 'Recording' },
  'ev.f.seq': { zh: '分段序号', en: 'Segment' },
  'ev.f.why': { zh: '原因', en: 'Why' },
  'ev.f.speaker': { zh: '说话人', en: 'Speaker' },
  'ev.f.start': { zh: '开始', en: 'Start' },
  'ev.f.end': { zh: '结束', en: 'End' },
  'ev.f.reason': { zh: '原因', en: 'Reason' },
  'ev.f.text': { zh: '文字', en: 'Text' },
  'ev.f.frame': { zh: '画面', en: 'Frame' },
  'ev.f.source': { zh: '来源', en: 'Source' },
  'ev.f.complaint': { zh: '投诉', en: 'Complaint' },
  'ev.f.number': { zh: '编号', en: 'Number' },
  'ev.f.file': { zh: '文件编号', en: 'File' },
  'ev.f.channel': { zh: '投诉渠道', en: 'Channel' },
  'ev.f.medium': { zh: '渠道类型', en: 'Medium' },
  'ev.f.id': { zh: '编号', en: 'Id' },
  'ev.f.name': { zh: '名称', en: 'Name' },
  'ev.f.role': { zh: '身份', en: 'Role' },
  'ev.f.username': { zh: '用户名', en: 'User name' },
  'ev.f.recovered': { zh: '事后补记', en: 'Recovered' },
  'ev.f.messages': { zh: '消息数', en: 'Messages' },
  'ev.f.genesis': { zh: '链起点哈希', en: 'Chain genesis' },
  'ev.f.first_at': { zh: '第一条时间', en: 'First at' },
  'ev.f.last_at': { zh: '最后一条时间', en: 'Last at' },
  'ev.f.stored_at': { zh: '存储时间', en: 'Stored at' },
  'ev.f.format': { zh: '格式', en: 'Format' },
  'ev.f.replaces': { zh: '取代的记录', en: 'Replaces' },
  'ev.f.chain_problems': { zh: '哈希链问题', en: 'Chain problems' },
  'ev.f.datetime_original': { zh: '拍摄时间（EXIF）', en: 'Taken (EXIF)' },
  'ev.f.offset_time_original': { zh: '拍摄时区（EXIF）', en: 'Time zone (EXIF)' },
  'ev.f.camera': { zh: '相机', en: 'Camera' },
  'ev.f.gps': { zh: 'GPS 位置', en: 'GPS position' },
  'ev.f.latitude': { zh: '纬度', en: 'Latitude' },
  'ev.f.longitude': { zh: '经度', en: 'Longitude' },
  'ev.f.altitude': { zh: '海拔（米）', en: 'Altitude (m)' },
  'ev.f.recording': { zh: '录音录像', en: 'Recording' },
  'ev.f.manifest_sha256': { zh: '清单 SHA-256', en: 'Manifest SHA-256' },
  'ev.f.from_complaint': { zh: '来自投诉', en: 'From complaint' },
  'ev.f.items': { zh: '证据项数', en: 'Items' },
  'ev.f.withheld': { zh: '未提供的项数', en: 'Withheld' },
  'ev.f.audience': { zh: '提供对象', en: 'For' },
  'ev.f.complaints': { zh: '投诉', en: 'Complaints' },
  'ev.f.playable': { zh: '可播放文件', en: 'Playable file' },
  'ev.f.segment': { zh: '分段', en: 'Segment' },
  'ev.f.kind': { zh: '种类', en: 'Kind' },
  'ev.f.item': { zh: '证据', en: 'Item' },
  'ev.f.from': { zh: '原件', en: 'Original' },

  'ev.one.recording': { zh: '录音录像', en: 'Recording' },
  'ev.one.upload': { zh: '上传材料', en: 'Upload' },
  'ev.one.snapshot': { zh: '截图', en: 'Snapshot' },
  'ev.one.thumbnail': { zh: '缩略图', en: 'Thumbnail' },
  'ev.one.record': { zh: '笔录版本', en: 'Record version' },
  'ev.one.record-text': { zh: '笔录文本（当事人所见）', en: 'Record text (as parties read it)' },
  'ev.one.confirmation': { zh: '确认声明', en: 'Confirmation' },
  'ev.one.signature': { zh: '签名', en: 'Signature' },
  'ev.one.record-pdf': { zh: '笔录PDF', en: 'Record PDF' },
  'ev.t.kind': { zh: '种类', en: 'Kind' },
  'ev.t.source': { zh: '来源', en: 'Source' },
  'ev.t.time': { zh: '入库时间', en: 'Stored' },
  'ev.t.size': { zh: '大小', en: 'Size' },
  'ev.size.manifest': { zh: '清单大小', en: 'Manifest size' },
  'ev.t.state': { zh: '核验状态', en: 'Verification' },
  'ev.state.none': { zh: '未核验', en: 'Not checked' },
  'ev.state.pending': { zh: '核验中…', en: 'Checking…' },
  'ev.state.ok': { zh: '✓ 已核验', en: '✓ Verified' },
  'ev.state.bad': { zh: '✗ 有问题', en: '✗ Problem' },
  'ev.filter.kind': { zh: '种类', en: 'Kind' },
  'ev.filter.all': { zh: '全部种类（{n} 项）', en: 'All kinds ({n})' },
  'ev.filter.text': { zh: '搜索', en: 'Search' },
  'ev.filter.placeholder': { zh: '名称、来源、哈希值…', en: 'Name, source, hash…' },
  'ev.filter.clear': { zh: '清除筛选', en: 'Clear filters' },
  'ev.filter.shown': { zh: '显示 {shown} 项，共 {total} 项', en: 'Showing {shown} of {total}' },
  'ev.filter.none': { zh: '没有符合筛选条件的证据。', en: 'No item matches the filters.' },
  'ev.title.video': { zh: '{name}的录像', en: 'Video of {name}' },
  'ev.title.audio': { zh: '{name}的录音', en: 'Audio of {name}' },
  'ev.title.version': { zh: '第 {n} 版', en: 'Version {n}' },
  'ev.src.server': { zh: '系统生成', en: 'Made by the server' },
  'ev.src.party': { zh: '当事人（邀请链接）', en: 'A party (invitation link)' },
  'ev.src.derived': { zh: '派生自{kind}', en: 'Derived from: {kind}' },
  'ev.src.complaint': { zh: '投诉人（投诉渠道）', en: 'The complainant (complaint channel)' },
  'ev.player': { zh: '回放：由存储的分段拼接，未转码', en: 'Playback: joined from the stored segments, not transcoded' },
  'ev.download_playable': { zh: '下载可播放文件', en: 'Download a playable file' },
  'ev.download_playable.hint': { zh: '整段录音录像合为一个 WebM 文件（未转码），与证据包中该录音录像的可播放文件相同；下载记入保管记录。', en: 'The whole recording as one WebM file (not transcoded), the same as its playable file in the bundle; the download is recorded in the custody history.' },
  'ev.raw.show': { zh: '显示原始 JSON', en: 'Show raw JSON' },
  'ev.raw.hide': { zh: '隐藏原始 JSON', en: 'Hide raw JSON' },
  'ev.raw.manifest': { zh: '打开录音录像清单原文（JSON）', en: 'Open the recording\'s manifest (JSON)' },
  'ev.v.yes': { zh: '是', en: 'Yes' },
  'ev.v.no': { zh: '否', en: 'No' },
  'ev.v.sep': { zh: '、', en: ', ' },
  'ev.v.bytes': { zh: '{size}（{n} 字节）', en: '{size} ({n} bytes)' },
  'ev.v.seconds': { zh: '{n} 秒', en: '{n} s' },
  'ev.v.px': { zh: '{n} 像素', en: '{n} px' },
  'ev.v.items': { zh: '共 {n} 项', en: '{n} entries' },
  'ev.v.more': { zh: '……另有 {n} 项', en: '… and {n} more' },
  'ev.v.media.video': { zh: '视频', en: 'Video' },
  'ev.v.media.audio': { zh: '音频', en: 'Audio' },
  'ev.v.status.ended': { zh: '正常结束', en: 'Ended' },
  'ev.v.status.interrupted': { zh: '中断（服务器重启后封存）', en: 'Interrupted (sealed after a restart)' },
  'ev.v.decision.confirmed': { zh: '确认无误并签名', en: 'Confirmed and signed' },
  'ev.v.decision.refused': { zh: '拒绝签字', en: 'Refused to sign' },
  'ev.v.reason.empty': { zh: '无内容', en: 'Empty' },
  'ev.v.reason.junk_phrase': { zh: '常见误识别短语', en: 'A phrase models invent' },
  'ev.v.reason.no_speech': { zh: '无语音', en: 'No speech' },
  'ev.v.reason.too_long': { zh: '文字多于语音时长所能容纳', en: 'More words than the speech could hold' },
  'ev.v.reason.repetition': { zh: '重复', en: 'Repetition' },
  'ev.v.reason.prompt_echo': { zh: '提示词回声', en: 'Echo of the prompt' },
  'ev.v.rendered.saved': { zh: '保存该版本时', en: 'When the version was saved' },
  'ev.v.rendered.later': { zh: '事后（{at}）补存：该版本保存时尚未存储文本，其哈希为版本保存时记录的哈希', en: 'Afterwards ({at}): the version was saved before texts were stored; its hash is the one saved with the version' },
  'ev.v.frame.server': { zh: '服务器从该参与方的视频中解码', en: 'Decoded by the server from the participant\'s video' },
  'ev.v.note.heic': { zh: '本服务器不解码 HEIC/HEIF 图像', en: 'HEIC/HEIF is not decoded on this server' },
  'ev.v.note.undecodable': { zh: '图像无法解码', en: 'The image could not be decoded' },
  'ev.v.note.too_large': { zh: '图像过大，未生成缩略图', en: 'Too large to decode for a thumbnail' },
  'ev.v.note.busy': { zh: '服务器繁忙，未生成缩略图', en: 'The server was too busy to make a thumbnail' },
  'ev.v.method.thumbnail': { zh: 'OpenCV 面积插值缩放至最长边 {side} 像素，JPEG 质量 {quality}', en: 'OpenCV INTER_AREA to at most {side} px a side, JPEG quality {quality}' },

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

/** One item's kind ("Recording"; `kindLabel` names the group, "Recordings"). */
export function kindOne(kind) {
  const text = t(`ev.one.${kind}`);
  return text === `ev.one.${kind}` ? kindLabel(kind) : text;
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
