// Every string the pages show, in Simplified Chinese (default) and English.
// Static markup names its string with data-i18n="key" (text), data-i18n-placeholder,
// data-i18n-label (aria-label) or data-i18n-title; scripts call t(key, vars) and
// re-render on the "zm:langchange" event. Placeholders are written {name}.

const STRINGS = {
  'app.name': { zh: '劳动保障监察 · 远程询问', en: 'Labour inspection · Remote interviews' },
  'app.skip': { zh: '跳到主要内容', en: 'Skip to main content' },
  'lang.toggle': { zh: '界面语言', en: 'Language' },
  'nav.logout': { zh: '退出登录', en: 'Log out' },
  'nav.cases': { zh: '案件列表', en: 'Cases' },
  'nav.user': { zh: '当前用户', en: 'Signed in as' },
  'nav.admin': { zh: '账号管理', en: 'Staff accounts' },
  'common.loading': { zh: '正在加载…', en: 'Loading…' },
  'common.none': { zh: '—', en: '—' },
  'common.save': { zh: '保存', en: 'Save' },
  'common.optional': { zh: '（选填）', en: '(optional)' },

  'role.inspector': { zh: '监察员', en: 'Inspector' },
  'role.legal': { zh: '法制审核人员', en: 'Legal reviewer' },
  'role.admin': { zh: '管理员', en: 'Administrator' },
  'party.worker': { zh: '劳动者', en: 'Worker' },
  'party.employer': { zh: '用人单位代表', en: "Employer's representative" },
  'party.witness': { zh: '证人', en: 'Witness' },
  'status.intake': { zh: '受理', en: 'Intake' },
  'status.investigating': { zh: '调查中', en: 'Investigating' },
  'status.closed': { zh: '已结案', en: 'Closed' },
  'state.scheduled': { zh: '待开始', en: 'Scheduled' },
  'state.live': { zh: '进行中', en: 'Live' },
  'state.ended': { zh: '已结束', en: 'Ended' },
  'invite.state.active': { zh: '有效', en: 'Active' },
  'invite.state.expired': { zh: '已过期', en: 'Expired' },
  'invite.state.revoked': { zh: '已撤销', en: 'Revoked' },
  'language.zh': { zh: '中文', en: 'Chinese' },
  'language.en': { zh: '英文', en: 'English' },

  'error.network': { zh: '网络连接失败，请检查网络后重试。', en: 'Network error. Check the connection and try again.' },
  'error.forbidden': { zh: '您没有权限进行此操作。', en: 'You are not allowed to do this.' },
  'error.not_found': { zh: '未找到该内容，可能已被删除或您无权查看。', en: 'Not found. It may not exist, or you have no access to it.' },
  'error.conflict': { zh: '当前状态下不能进行此操作。', en: 'This is not possible in the current state.' },
  'error.invalid_input': { zh: '填写的内容有误：{detail}', en: 'Please check the input: {detail}' },
  'error.generic': { zh: '操作失败（{status}）：{detail}', en: 'Something went wrong ({status}): {detail}' },
  'error.failed': { zh: '操作失败（{status}），请稍后再试。', en: 'Something went wrong ({status}); try again later.' },

  'login.doctitle': { zh: '登录 · 远程询问', en: 'Log in · Remote interviews' },
  'login.title': { zh: '工作人员登录', en: 'Staff login' },
  'login.username': { zh: '用户名', en: 'Username' },
  'login.password': { zh: '密码', en: 'Password' },
  'login.submit': { zh: '登录', en: 'Log in' },
  'login.busy': { zh: '正在登录…', en: 'Logging in…' },
  'login.missing': { zh: '请填写用户名和密码。', en: 'Enter your username and password.' },
  'login.bad': { zh: '用户名或密码不正确。', en: 'Wrong username or password.' },
  'login.disabled': { zh: '该账号已被管理员停用，不能登录。如有疑问请联系系统管理员。', en: 'This account has been disabled by an administrator and cannot log in. Ask your administrator.' },
  'login.limited': { zh: '登录失败次数过多，请 {seconds} 秒后再试。', en: 'Too many failed attempts. Try again in {seconds} seconds.' },
  'login.limited_min': { zh: '登录失败次数过多，请 {minutes} 分钟后再试。', en: 'Too many failed attempts. Try again in {minutes} minutes.' },
  'login.limited_nowait': { zh: '登录失败次数过多，请稍后再试。', en: 'Too many failed attempts. Try again later.' },

  'cases.doctitle': { zh: '案件列表 · 远程询问', en: 'Cases · Remote interviews' },
  'cases.title': { zh: '案件列表', en: 'Cases' },
  'cases.empty': { zh: '暂无案件。', en: 'No cases yet.' },
  'cases.count': { zh: '共 {n} 件', en: '{n} in total' },
  'cases.col.number': { zh: '案件编号', en: 'Number' },
  'cases.col.title': { zh: '案由', en: 'Title' },
  'cases.col.employer': { zh: '用人单位', en: 'Employer' },
  'cases.col.status': { zh: '状态', en: 'Status' },
  'cases.col.updated': { zh: '更新时间', en: 'Updated' },
  'cases.new': { zh: '新建案件', en: 'New case' },
  'cases.new.title': { zh: '案由（标题）', en: 'Title' },
  'cases.new.employer': { zh: '用人单位', en: 'Employer' },
  'cases.new.description': { zh: '案情简述', en: 'Description' },
  'cases.new.submit': { zh: '创建案件', en: 'Create case' },
  'cases.new.missing': { zh: '请填写案由。', en: 'Enter a title.' },

  'case.doctitle': { zh: '案件 · 远程询问', en: 'Case · Remote interviews' },
  'case.details': { zh: '案件信息', en: 'Case details' },
  'case.number': { zh: '案件编号', en: 'Number' },
  'case.employer': { zh: '用人单位', en: 'Employer' },
  'case.status': { zh: '状态', en: 'Status' },
  'case.description': { zh: '案情简述', en: 'Description' },
  'case.created': { zh: '创建时间', en: 'Created' },
  'case.updated': { zh: '更新时间', en: 'Updated' },
  'case.readonly': { zh: '您对本案件只有查看权限。', en: 'You have read-only access to this case.' },
  'case.to.investigating': { zh: '开始调查', en: 'Start investigating' },
  'case.to.closed': { zh: '结案', en: 'Close case' },
  'case.confirm.closed': { zh: '确定要结案吗？结案后不能再恢复。', en: 'Close this case? This cannot be undone.' },
  'case.edit': { zh: '修改案件信息', en: 'Edit case details' },
  'case.title': { zh: '案由（标题）', en: 'Title' },
  'case.saved': { zh: '已保存。', en: 'Saved.' },
  'members.title': { zh: '可访问人员', en: 'People with access' },
  'members.empty': { zh: '暂无。', en: 'None.' },
  'members.grant': { zh: '授权访问', en: 'Grant access' },
  'members.username': { zh: '用户名（监察员或法制审核人员）', en: 'Username (inspector or legal reviewer)' },
  'members.granted': { zh: '已授权 {name} 访问本案件。', en: '{name} now has access to this case.' },



  'join.doctitle': { zh: '远程询问邀请', en: 'Remote interview invitation' },
  'join.checking': { zh: '正在核对邀请链接…', en: 'Checking your invitation link…' },
  'join.heading': { zh: '邀请您参加远程询问', en: 'You are invited to a remote interview' },
  'join.you': { zh: '被邀请人', en: 'Invited person' },
  'join.person': { zh: '{name}（{role}）', en: '{name} ({role})' },
  'join.state': { zh: '询问状态', en: 'Interview status' },
  'join.expires': { zh: '链接有效期至', en: 'Link valid until' },
  'join.point.who': { zh: '这是劳动保障监察机构就上述案件进行的远程询问。您不用到现场，用手机就能参加。', en: 'This is a remote interview by the labour inspection authority (劳动保障监察) about the case above. You do not need to come in person: your phone is enough.' },
  'join.point.record': { zh: '询问过程会全程录音录像，作为案件证据保存。', en: 'The whole conversation is recorded (sound and video) and kept as evidence for the case.' },
  'join.point.when': { zh: '询问开始时，请回到这个页面，点击上方按钮加入视频，并允许使用摄像头和麦克风。', en: 'When the interview starts, come back to this page, tap the button above to join the video, and allow the camera and microphone.' },
  'join.point.private': { zh: '这个链接只属于您本人，请不要转发给别人。', en: 'This link is for you only. Please do not forward it.' },
  'join.button': { zh: '加入视频询问', en: 'Join the video interview' },
  'join.state.scheduled': { zh: '询问尚未开始', en: 'Not started yet' },
  'join.state.live': { zh: '询问正在进行', en: 'In progress' },
  'join.state.ended': { zh: '询问已结束', en: 'Finished' },
  'join.invalid.title': { zh: '链接无效', en: 'This link is not valid' },
  'join.invalid.text': { zh: '没有找到这个邀请。请检查链接是否完整，或者联系给您发链接的监察员，请他重新发一个。', en: 'We could not find this invitation. Check that the link is complete, or ask the inspector who sent it for a new one.' },
  'join.expired.title': { zh: '链接已过期', en: 'This link has expired' },
  'join.expired.text': { zh: '这个邀请链接已经过了有效期。请联系给您发链接的监察员，请他重新发一个。', en: 'This invitation link is no longer valid. Please ask the inspector who sent it for a new one.' },
  'join.revoked.title': { zh: '链接已被撤销', en: 'This link has been withdrawn' },
  'join.revoked.text': { zh: '监察员已经撤销了这个邀请链接。如果您仍需参加询问，请联系监察员，请他重新发一个。', en: 'The inspector has withdrawn this invitation link. If you still need to take part, please ask the inspector for a new one.' },
  'join.neterror.title': { zh: '暂时无法打开', en: 'Cannot open the invitation right now' },
  'join.retry': { zh: '重试', en: 'Try again' },
  'join.button.ended': { zh: '询问已结束', en: 'The interview has ended' },
  'join.ended.title': { zh: '询问已结束，谢谢', en: 'The interview has ended. Thank you' },
  'join.ended.text': { zh: '感谢您的配合。询问笔录整理好以后会发到这个页面，请您核对后签名。您可以让这个页面开着；关掉了也没关系，收到通知后再打开同一个链接就可以。', en: 'Thank you for taking part. The record of the interview will be sent to this page for you to read and sign. You can leave this page open; if you close it, open the same link again when you are told the record is ready.' },
  'join.replaced.title': { zh: '此链接已在另一台设备上打开', en: 'This link was opened on another device' },
  'join.replaced.text': { zh: '这个邀请链接刚刚在另一部手机或另一个浏览器里打开了，这里的视频已经断开。如果要在这部手机上继续，请点击下方按钮。', en: 'This invitation link has just been opened on another phone or in another browser, so the video here was disconnected. To continue on this phone, tap the button below.' },
  'join.rejoin': { zh: '在这部手机上继续', en: 'Continue on this phone' },
  'join.waiting': { zh: '已接通，正在等待监察员…', en: 'Connected. Waiting for the inspector…' },
  'join.muted_by': { zh: '监察员已将您静音，其他人暂时听不到您的声音。', en: 'The inspector has muted you: the others cannot hear you for now.' },
  'join.self': { zh: '我的画面', en: 'My camera' },

  'room.connecting': { zh: '正在连接…', en: 'Connecting…' },
  'room.reconnecting': { zh: '网络中断，正在重新连接…', en: 'Connection lost. Reconnecting…' },
  'room.connected': { zh: '已连接', en: 'Connected' },
  'room.closed': { zh: '已断开', en: 'Disconnected' },
  'room.opening': { zh: '正在打开摄像头和麦克风…', en: 'Opening the camera and microphone…' },
  'room.mic.off': { zh: '静音', en: 'Mute' },
  'room.mic.on': { zh: '取消静音', en: 'Unmute' },
  'room.cam.off': { zh: '关闭摄像头', en: 'Camera off' },
  'room.cam.on': { zh: '打开摄像头', en: 'Camera on' },
  'room.cam.switch': { zh: '切换前后摄像头', en: 'Switch camera' },
  'room.sound': { zh: '点击这里开启声音', en: 'Tap here to turn the sound on' },
  'room.no_video': { zh: '暂无画面', en: 'No picture' },
  'room.who': { zh: '{name}（{role}）', en: '{name} ({role})' },
  'media.denied.title': { zh: '无法使用摄像头或麦克风', en: 'No access to the camera or microphone' },
  'media.denied.text': { zh: '浏览器没有得到使用摄像头和麦克风的许可。请这样打开：点击地址栏左边的锁形或“ⓘ”图标 →“权限”或“网站设置”→ 把“摄像头”和“麦克风”都改为“允许”，然后点击“{button}”。如果没有弹出询问，也可以在手机“设置 → 应用 → 浏览器 → 权限”里打开。', en: 'The browser was not allowed to use the camera and microphone. To allow them: tap the lock or "ⓘ" icon left of the address → "Permissions" or "Site settings" → set "Camera" and "Microphone" to "Allow", then tap "{button}". You can also allow them in the phone\'s Settings → Apps → your browser → Permissions.' },
  'media.nodevice.title': { zh: '没有找到摄像头或麦克风', en: 'No camera or microphone found' },
  'media.nodevice.text': { zh: '这台设备上没有找到可以使用的摄像头或麦克风。请换一部带摄像头的手机打开这个链接，或联系监察员。', en: 'This device has no camera or microphone that can be used. Please open the link on a phone with a camera, or contact the inspector.' },
  'media.busy.title': { zh: '摄像头正被其他应用使用', en: 'The camera is in use by another app' },
  'media.busy.text': { zh: '请关闭其他正在使用摄像头或麦克风的应用（例如微信视频通话、相机、录音机），然后点击“{button}”。', en: 'Close other apps that are using the camera or microphone (a WeChat video call, the camera app, a recorder), then tap "{button}".' },
  'media.failed.title': { zh: '无法打开摄像头', en: 'Cannot open the camera' },
  'media.failed.text': { zh: '打开摄像头或麦克风时出错（{detail}）。请点击“{button}”，或者重新启动浏览器后再打开链接。', en: 'Opening the camera or microphone failed ({detail}). Tap "{button}", or restart the browser and open the link again.' },
  'media.insecure.title': { zh: '页面不安全，无法使用摄像头', en: 'Not a secure page: the camera is blocked' },
  'media.insecure.text': { zh: '这个页面不是通过安全连接（https://）打开的，浏览器因此不允许使用摄像头和麦克风。请打开监察员发来的完整链接（以 https:// 开头），或联系监察员。', en: 'This page was not opened over a secure connection (https://), so the browser does not allow the camera and microphone. Please open the full link you were sent (starting with https://), or contact the inspector.' },
  'media.unsupported.title': { zh: '这个浏览器不支持视频通话', en: 'This browser cannot make video calls' },
  'media.unsupported.text': { zh: '请用手机自带的浏览器或 Chrome 浏览器打开这个链接：复制链接，粘贴到浏览器的地址栏里。', en: 'Please open this link in the phone\'s own browser or in Chrome: copy the link and paste it into the browser\'s address bar.' },
  'media.wechat.text': { zh: '微信里打开的页面不能使用视频。请点击右上角的“…”，选择“在浏览器打开”，然后在浏览器里点击加入。', en: 'Pages opened inside WeChat cannot use video. Tap "…" at the top right, choose "Open in Browser", then join from the browser.' },

  'console.doctitle': { zh: '询问控制台 · 远程询问', en: 'Interview console · Remote interviews' },
  'console.crumb': { zh: '询问控制台', en: 'Interview console' },
  'console.case': { zh: '案件编号', en: 'Case number' },
  'console.state': { zh: '询问状态', en: 'Status' },
  'console.join': { zh: '加入视频询问', en: 'Join the video interview' },
  'console.leave': { zh: '退出视频', en: 'Leave the video' },
  'console.ended': { zh: '这次询问已经结束，录像已封存。', en: 'This interview has ended; its recordings are sealed.' },
  'console.disabled': { zh: '您的账号已被管理员停用，已退出这次询问。', en: 'Your account has been disabled by an administrator, so you have left this interview.' },
  'console.replaced': { zh: '您的账号已在另一个窗口或设备上加入了这次询问，这里已断开。', en: 'Your account joined this interview from another window or device, so this one was disconnected.' },
  'console.participants': { zh: '参加人', en: 'Participants' },
  'console.nobody': { zh: '其他参加人还没有加入。把邀请链接发给他们后，他们点开链接即可加入。', en: 'Nobody else has joined yet. Send the invitation links below; people join by opening them.' },
  'console.self': { zh: '本人画面', en: 'My camera' },
  'console.log': { zh: '事件记录', en: 'Events' },
  'console.log.empty': { zh: '暂无。', en: 'None yet.' },
  'console.log.joined': { zh: '{who} 加入', en: '{who} joined' },
  'console.log.left': { zh: '{who} 离开', en: '{who} left' },
  'console.log.rejoined': { zh: '{who} 重新连接', en: '{who} reconnected' },
  'console.log.replaced': { zh: '{who} 在另一部设备上打开了链接，原设备已断开', en: '{who} opened the link on another device; the first one was disconnected' },
  'console.log.revoked': { zh: '{who} 的链接已收回', en: '{who}\u2019s link was withdrawn' },
  'console.log.self_lost': { zh: '本机网络中断，正在重新连接', en: 'This computer lost the connection; reconnecting' },
  'console.log.self_back': { zh: '本机已连接', en: 'This computer is connected' },
  'console.you': { zh: '本人', en: 'You' },
  'console.someone': { zh: '参加人', en: 'Participant' },
  'tile.state.connected': { zh: '已连接', en: 'Connected' },
  'tile.state.reconnecting': { zh: '重新连接中…', en: 'Reconnecting…' },
  'tile.state.left': { zh: '已离开', en: 'Left' },
  'tile.state.revoked': { zh: '链接已收回', en: 'Link withdrawn' },
  'tile.quality': { zh: '延迟 {rtt} 毫秒 · 丢包 {loss}%', en: 'Delay {rtt} ms · loss {loss}%' },
  'tile.quality.none': { zh: '正在测量网络质量…', en: 'Measuring the connection…' },
  'tile.speaking': { zh: '正在说话', en: 'Speaking' },
  'tile.muted': { zh: '已静音', en: 'Muted' },
  'tile.mute': { zh: '静音此人', en: 'Mute' },
  'tile.unmute': { zh: '取消静音', en: 'Unmute' },
  'tile.mute_label': { zh: '让其他人听不到 {name} 的声音（仍然录音）', en: 'Stop the others hearing {name} (still recorded)' },
  'tile.unmute_label': { zh: '恢复转发 {name} 的声音', en: 'Let the others hear {name} again' },
  'console.log.rec_alarm': { zh: '{who}的{kind}录制告警：{alarm}', en: 'Recording problem, {who}, {kind}: {alarm}' },
  'console.log.rec_ok': { zh: '{who}的{kind}录制已恢复正常', en: 'Recording back to normal, {who}, {kind}' },

  'rec.kind.audio': { zh: '音频', en: 'Audio' },
  'rec.kind.video': { zh: '视频', en: 'Video' },
  'rec.state.recording': { zh: '录制中', en: 'Recording' },
  'rec.state.paused': { zh: '暂停（未连接）', en: 'Paused (not connected)' },
  'rec.state.sealing': { zh: '正在封存', en: 'Sealing' },
  'rec.state.sealed': { zh: '已封存', en: 'Sealed' },
  'rec.state.interrupted': { zh: '已中断', en: 'Interrupted' },
  'rec.ok': { zh: '● {state} · 已存 {n} 段', en: '● {state} · {n} stored' },
  'rec.waiting': { zh: '● 待上传 {n} 段（{mb} MB）', en: '● {n} waiting to upload ({mb} MB)' },
  'rec.alarm': { zh: '● 录制告警：{what}', en: '● Recording problem: {what}' },
  'rec.alarm.sep': { zh: '；', en: '; ' },
  'rec.alarm.upload': { zh: '存入证据库失败，正在重试', en: 'storing failing, retrying' },
  'rec.alarm.database': { zh: '数据库写入失败，正在重试', en: 'database writes failing, retrying' },
  'rec.alarm.spool': { zh: '本地缓存写入失败，正在重试', en: 'local spool failing, retrying' },
  'rec.alarm.write': { zh: '写入本地磁盘失败', en: 'writing to the local disk failed' },
  'rec.alarm.no_frames': { zh: '收不到数据', en: 'nothing arriving' },
  'rec.alarm.codec': { zh: '编码格式无法按原样录制', en: 'codec cannot be recorded as received' },
  'rec.alarm.tap': { zh: '此路无法录制', en: 'this track cannot be recorded' },
  'rec.alarm.worker': { zh: '上传程序出错，已重启', en: 'upload worker failed and was restarted' },
  'rec.alarm.other': { zh: '录制异常', en: 'recording problem' },
  'rec.overall.none': { zh: '暂无录制', en: 'Nothing is being recorded' },
  'rec.overall.ok': { zh: '录制正常（{n} 路）', en: 'Recording OK ({n} tracks)' },
  'rec.overall.waiting': { zh: '录制正常 · 待上传 {n} 段', en: 'Recording OK · {n} segments waiting to upload' },
  'rec.overall.alarm': { zh: '录制告警：{n} 路异常', en: 'Recording problem on {n} tracks' },

  'pb.doctitle': { zh: '录像回放 · 远程询问', en: 'Playback · Remote interviews' },
  'pb.crumb': { zh: '回放', en: 'Playback' },
  'pb.heading': { zh: '录像回放：{title}', en: 'Playback: {title}' },
  'pb.live': { zh: '询问仍在进行：这里播放的是打开本页时已保存的录像。', en: 'The interview is still live: this plays what had been stored when the page was opened.' },
  'pb.empty': { zh: '这次询问还没有保存的录像。', en: 'This interview has no stored recordings yet.' },
  'pb.play': { zh: '播放', en: 'Play' },
  'pb.pause': { zh: '暂停', en: 'Pause' },
  'pb.position': { zh: '播放位置（询问时间）', en: 'Position (interview time)' },
  'pb.clock': { zh: '{now} / {total}', en: '{now} / {total}' },
  'pb.gap': { zh: '无录像（中断）', en: 'No recording (interrupted)' },
  'pb.before': { zh: '此时尚无录像', en: 'Not recorded yet' },
  'pb.after': { zh: '录像已结束', en: 'Recording ended' },
  'pb.novideo': { zh: '无视频录像', en: 'No video recorded' },
  'pb.failed': { zh: '此段录像无法播放', en: 'This part cannot be played' },
  'pb.gap_title': { zh: '{from}–{to} 无录像', en: 'No recording {from}–{to}' },
  'pb.span_title': { zh: '{from}–{to} 有录像', en: 'Recorded {from}–{to}' },
  'pb.recordings': { zh: '录像清单', en: 'Recordings' },
  'pb.col.who': { zh: '参加人', en: 'Participant' },
  'pb.col.kind': { zh: '类型', en: 'Kind' },
  'pb.col.state': { zh: '状态', en: 'State' },
  'pb.col.segments': { zh: '段数', en: 'Segments' },
  'pb.col.duration': { zh: '时长', en: 'Duration' },
  'pb.col.head': { zh: '哈希链头（SHA-256）', en: 'Chain head (SHA-256)' },
  'pb.col.verify': { zh: '校验', en: 'Verification' },
  'pb.verify': { zh: '校验', en: 'Verify' },
  'pb.verify_label': { zh: '校验{who}的{kind}录像', en: 'Verify the {kind} recording of {who}' },
  'pb.verifying': { zh: '正在校验…', en: 'Verifying…' },
  'pb.verify.ok': { zh: '校验通过：{n} 段完整，哈希链无误', en: 'Verified: {n} segments intact, chain correct' },
  'pb.verify.bad': { zh: '校验未通过，发现 {n} 处问题：', en: 'Verification failed, {n} problems:' },
  'pb.seconds': { zh: '{s} 秒', en: '{s} s' },

};

/** Add a page's own strings (a table shaped like STRINGS); a key already known is kept. */
export function addStrings(table) {
  for (const [key, entry] of Object.entries(table)) {
    if (!(key in STRINGS)) STRINGS[key] = entry;
  }
}

const STORAGE_KEY = 'zm_lang';
const LANGS = ['zh', 'en'];
const HTML_LANG = { zh: 'zh-CN', en: 'en' };

function storedLang() {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch (_) {
    return null; // storage blocked (private mode): the choice lasts for this page only
  }
}

function queryLang() {
  return new URLSearchParams(location.search).get('lang');
}

/** True when the person chose a language (link or toggle), so pages should not guess. */
export function langChosen() {
  return LANGS.includes(queryLang()) || LANGS.includes(storedLang());
}

function storeLang(lang) {
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch (_) { /* see storedLang */ }
}

let current = [queryLang(), storedLang()].find((l) => LANGS.includes(l)) || 'zh';
// A link with ?lang= chooses for the pages that follow too.
if (LANGS.includes(queryLang())) storeLang(current);

export function getLang() {
  return current;
}

export function t(key, vars = {}) {
  const entry = STRINGS[key];
  if (!entry) return key;
  const text = entry[current] !== undefined && entry[current] !== null ? entry[current] : entry.zh;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

let zone; // the bureau's (ZEROMEET_TIME_ZONE), as /api/me and /api/invitation say
export function setTimeZone(name) { zone = name || undefined; }

/** A time (ISO 8601 or Date) in the bureau's time zone, as its records are; a date and time
 * names the zone when the reader's own clock is in another. A dash for none. */
export function formatDateTime(iso, style = { dateStyle: 'medium', timeStyle: 'short' }) {
  const date = iso instanceof Date ? iso : new Date(iso || NaN);
  if (!iso || Number.isNaN(date.getTime())) return iso ? String(iso) : t('common.none');
  const named = style.dateStyle && zone && zone !== Intl.DateTimeFormat().resolvedOptions().timeZone ? ` (${zone})` : '';
  return new Intl.DateTimeFormat(HTML_LANG[current], { ...style, timeZone: zone }).format(date) + named;
}

/** A user-facing sentence for an ApiError (see api.js). */
export function describeError(err) {
  const detail = err.message || '';
  if (err.code === 'network') return t('error.network');
  // The server's words are English; a page in Chinese says what the code means instead.
  const key = `code.${err.code}`;
  if (STRINGS[key]) {
    const field = err.field && STRINGS[`field.${err.field}`] ? t(`field.${err.field}`) : err.field || '';
    const text = t(key, { field, detail });
    if (!field || STRINGS[key].zh.includes('{field}')) return text;
    return current === 'en' ? `${text} (${field})` : `${text}（${field}）`;
  }
  if (current !== 'en') return t('error.failed', { status: err.status });
  if (err.status === 400 || err.code === 'invalid_input') return t('error.invalid_input', { detail });
  if (err.status === 403) return t('error.forbidden');
  if (err.status === 404) return t('error.not_found');
  if (err.status === 409) return t('error.conflict') + (detail ? ` (${detail})` : '');
  return t('error.generic', { status: err.status, detail });
}

export function applyI18n(root = document) {
  document.documentElement.lang = HTML_LANG[current];
  const attrs = [['i18nPlaceholder', 'placeholder'], ['i18nLabel', 'aria-label'], ['i18nTitle', 'title']];
  for (const el of root.querySelectorAll('[data-i18n],[data-i18n-placeholder],[data-i18n-label],[data-i18n-title]')) {
    if (el.dataset.i18n) el.textContent = t(el.dataset.i18n);
    for (const [prop, attr] of attrs) {
      if (el.dataset[prop]) el.setAttribute(attr, t(el.dataset[prop]));
    }
  }
  for (const button of document.querySelectorAll('.lang-toggle [data-lang]')) {
    button.setAttribute('aria-pressed', String(button.dataset.lang === current));
  }
}

export function setLang(lang, { remember = true } = {}) {
  if (!LANGS.includes(lang)) return;
  current = lang;
  if (remember) {
    storeLang(lang);
    // A ?lang= left in the address would override the choice on the next reload.
    const url = new URL(location.href);
    if (url.searchParams.has('lang')) {
      url.searchParams.delete('lang');
      history.replaceState(history.state, '', url.pathname + url.search + url.hash);
    }
  }
  applyI18n();
  document.dispatchEvent(new CustomEvent('zm:langchange', { detail: { lang } }));
}

export function onLangChange(fn) {
  document.addEventListener('zm:langchange', fn);
}

/** Translate the page and wire its "中文 / English" toggle. Call once per page. */
export function initI18n() {
  for (const button of document.querySelectorAll('.lang-toggle [data-lang]')) {
    button.addEventListener('click', () => setLang(button.dataset.lang));
  }
  applyI18n();
}
