// The words of evidence uploads on the join page (join-upload.js) and of snapshots in
// the console (console-snapshot.js), registered into i18n.js.

import { addStrings } from './i18n.js';

addStrings({
  'up.title': { zh: '提交证据材料', en: 'Send evidence' },
  'up.help': { zh: '工资条、考勤记录、欠条、劳动合同等，可以拍照或从手机里选择照片、PDF 文件。', en: 'Pay slips, attendance records, IOUs, contracts: take a photo or choose photos or PDF files on your phone.' },
  'up.button': { zh: '上传照片或文件', en: 'Upload photos or files' },
  'up.camera': { zh: '拍照上传', en: 'Take a photo' },
  'up.room': { zh: '上传材料', en: 'Send a file' },
  'up.unnamed': { zh: '未命名文件', en: 'Unnamed file' },
  'up.waiting': { zh: '等待上传…', en: 'Waiting…' },
  'up.sending': { zh: '正在上传 {percent}%', en: 'Sending {percent}%' },
  'up.done': { zh: '已上传 ✓', en: 'Sent ✓' },
  'up.error.too_large': { zh: '文件太大，没有上传。请拍一张清晰的照片代替。', en: 'The file is too large and was not sent. Send a clear photo instead.' },
  'up.error.type': { zh: '不支持这种文件。请上传照片（JPG、PNG、HEIC）或 PDF 文件。', en: 'This kind of file is not accepted. Send a photo (JPG, PNG, HEIC) or a PDF.' },
  'up.error.network': { zh: '网络断了，没有上传完。网络好一点时请点“重新上传”。', en: 'The network dropped before the file was sent. Tap "Send again" when the signal is better.' },
  'up.error.busy': { zh: '服务器暂时无法接收，请稍后点“重新上传”。', en: 'The server cannot take the file just now. Tap "Send again" in a moment.' },
  'up.retry': { zh: '重新上传', en: 'Send again' },
  'up.error.link': { zh: '链接已失效，没有上传。请联系监察员获取新链接。', en: 'The link is no longer valid, so nothing was sent. Ask the inspector for a new link.' },

  'snap.button': { zh: '截图', en: 'Snapshot' },
  'snap.label': { zh: '截取 {name} 的画面作为证据', en: "Save {name}'s video frame as evidence" },
  'snap.sending': { zh: '截图上传中…', en: 'Saving…' },
  'snap.done': { zh: '截图已保存', en: 'Snapshot saved' },
  'snap.no_video': { zh: '服务器没有收到此人的画面', en: 'the server has no recent video from this person' },
  'snap.failed': { zh: '截图未保存：{detail}', en: 'Snapshot not saved: {detail}' },
});
