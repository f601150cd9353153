// The words of an interview on the staff pages (case, console, playback, record): its
// facts, scheduling, cancelling and rescheduling, and its purpose for the parties.

import { addStrings } from './i18n.js';

addStrings({
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
  'iv.playback': { zh: '回放', en: 'Playback' },
  'iv.record': { zh: '询问笔录', en: 'Inquiry record' },
  'iv.purpose': { zh: '事由（当事人可见）', en: 'About (the parties see this)' },
  'iv.purpose.help': { zh: '用当事人看得懂的话写，例如“了解您在某工地的工资支付情况”。不要写内部意见：被邀请的每一方都会看到。', en: 'In words for the parties, e.g. “about your wages on the building site”. No internal notes: every invited party reads it.' },
  'state.cancelled': { zh: '已取消', en: 'Cancelled' },
  'console.log.evidence': { zh: '{who} 提交了材料：{file}', en: '{who} sent a file: {file}' },
  'console.waiting': { zh: '{who} 已在等候，请加入视频。', en: '{who} is waiting: join the video.' },
  'iv.cancel': { zh: '取消询问', en: 'Cancel interview' },
  'iv.cancel.prompt': { zh: '取消的原因（被邀请人会看到）：', en: 'Why is it cancelled (the invited parties see this)?' },
  'iv.cancelled': { zh: '已取消：{reason}', en: 'Cancelled: {reason}' },
  'iv.reschedule': { zh: '改期', en: 'Reschedule' },
  'iv.reschedule.save': { zh: '保存', en: 'Save' },
});
