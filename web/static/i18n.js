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

  'login.doctitle': { zh: '登录 · 远程询问', en: 'Log in · Remote interviews' },
  'login.title': { zh: '工作人员登录', en: 'Staff login' },
  'login.username': { zh: '用户名', en: 'Username' },
  'login.password': { zh: '密码', en: 'Password' },
  'login.submit': { zh: '登录', en: 'Log in' },
  'login.busy': { zh: '正在登录…', en: 'Logging in…' },
  'login.missing': { zh: '请填写用户名和密码。', en: 'Enter your username and password.' },
  'login.bad': { zh: '用户名或密码不正确。', en: 'Wrong username or password.' },
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

  'iv.title': { zh: '远程询问', en: 'Remote interviews' },
  'iv.empty': { zh: '尚未安排询问。', en: 'No interviews scheduled yet.' },
  'iv.untitled': { zh: '远程询问（{date}）', en: 'Remote interview ({date})' },
  'iv.language': { zh: '询问语言', en: 'Interview language' },
  'iv.scheduled_for': { zh: '预约时间', en: 'Scheduled for' },
  'iv.started': { zh: '开始时间', en: 'Started' },
  'iv.ended': { zh: '结束时间', en: 'Ended' },
  'iv.console': { zh: '打开询问控制台', en: 'Open interview console' },
  'iv.end': { zh: '结束询问', en: 'End interview' },
  'iv.confirm.end': { zh: '确定要结束这次询问吗？结束后录像将封存，不能再加入。', en: 'End this interview? The recordings are sealed and nobody can join again.' },
  'iv.new': { zh: '安排远程询问', en: 'Schedule an interview' },
  'iv.new.title': { zh: '询问名称', en: 'Title' },
  'iv.new.language': { zh: '被询问人使用的语言', en: 'Language the parties speak' },
  'iv.new.when': { zh: '预约时间', en: 'Date and time' },
  'iv.new.submit': { zh: '安排询问', en: 'Schedule' },

  'inv.title': { zh: '邀请链接', en: 'Invitations' },
  'inv.empty': { zh: '尚未发出邀请。', en: 'No invitations yet.' },
  'inv.forbidden': { zh: '您无权查看邀请。', en: 'You cannot see the invitations.' },
  'inv.col.name': { zh: '姓名', en: 'Name' },
  'inv.col.role': { zh: '身份', en: 'Role' },
  'inv.col.state': { zh: '状态', en: 'State' },
  'inv.col.expires': { zh: '有效期至', en: 'Expires' },
  'inv.col.used': { zh: '使用情况', en: 'Used' },
  'inv.col.actions': { zh: '操作', en: 'Actions' },
  'inv.used_at': { zh: '已于 {date} 打开', en: 'Opened {date}' },
  'inv.unused': { zh: '未打开', en: 'Not opened' },
  'inv.revoke': { zh: '撤销', en: 'Revoke' },
  'inv.revoke_label': { zh: '撤销发给 {name} 的邀请', en: 'Revoke the invitation for {name}' },
  'inv.confirm.revoke': { zh: '确定撤销发给 {name} 的邀请链接吗？撤销后该链接立即失效。', en: 'Revoke the invitation link for {name}? The link stops working at once.' },
  'inv.new': { zh: '新建邀请', en: 'New invitation' },
  'inv.new.name': { zh: '被邀请人姓名', en: "Person's name" },
  'inv.new.role': { zh: '身份', en: 'Role' },
  'inv.new.submit': { zh: '生成邀请链接', en: 'Create link' },
  'inv.created': { zh: '已为 {name}（{role}）生成邀请链接', en: 'Invitation link for {name} ({role})' },
  'inv.once': { zh: '此链接只显示这一次，系统不保存链接本身。请立即复制，通过短信或微信发送给本人。有效期至 {date}。', en: 'This link is shown only once; the server does not keep it. Copy it now and send it to the person by SMS or WeChat. Valid until {date}.' },
  'inv.link': { zh: '邀请链接', en: 'Invitation link' },
  'inv.copy': { zh: '复制链接', en: 'Copy link' },
  'inv.copied': { zh: '已复制。', en: 'Copied.' },
  'inv.copy_manual': { zh: '已选中链接，请按 Ctrl+C（手机上长按）复制。', en: 'The link is selected: press Ctrl+C (long-press on a phone) to copy.' },
  'inv.dismiss': { zh: '我已复制，关闭', en: 'Done, hide it' },

  'join.doctitle': { zh: '远程询问邀请', en: 'Remote interview invitation' },
  'join.checking': { zh: '正在核对邀请链接…', en: 'Checking your invitation link…' },
  'join.heading': { zh: '邀请您参加远程询问', en: 'You are invited to a remote interview' },
  'join.case': { zh: '案件', en: 'Case' },
  'join.you': { zh: '被邀请人', en: 'Invited person' },
  'join.person': { zh: '{name}（{role}）', en: '{name} ({role})' },
  'join.state': { zh: '询问状态', en: 'Interview status' },
  'join.expires': { zh: '链接有效期至', en: 'Link valid until' },
  'join.point.who': { zh: '这是劳动保障监察机构就上述案件进行的远程询问。您不用到现场，用手机就能参加。', en: 'This is a remote interview by the labour inspection authority (劳动保障监察) about the case above. You do not need to come in person: your phone is enough.' },
  'join.point.record': { zh: '询问过程会全程录音录像，作为案件证据保存。', en: 'The whole conversation is recorded (sound and video) and kept as evidence for the case.' },
  'join.point.when': { zh: '询问开始时，请回到这个页面，点击下方按钮加入视频，并允许使用摄像头和麦克风。', en: 'When the interview starts, come back to this page, tap the button below to join the video, and allow the camera and microphone.' },
  'join.point.private': { zh: '这个链接只属于您本人，请不要转发给别人。', en: 'This link is for you only. Please do not forward it.' },
  'join.button': { zh: '加入视频询问', en: 'Join the video interview' },
  'join.soon': { zh: '视频询问功能即将上线。', en: 'Video joining is being set up.' },
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
};

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
  const text = entry[current] ?? entry.zh;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

/** A timestamp (ISO 8601) in the reader's time zone, or a dash. */
export function formatDateTime(iso) {
  if (!iso) return t('common.none');
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(HTML_LANG[current], { dateStyle: 'medium', timeStyle: 'short' }).format(date);
}

/** A user-facing sentence for an ApiError (see api.js). */
export function describeError(err) {
  const detail = err.message || '';
  if (err.code === 'network') return t('error.network');
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
