// The words of the record card on the phone's join page (join-record.js), registered
// into i18n.js.

import { addStrings } from './i18n.js';

addStrings({
  'jr.copy': { zh: '下载我签名的笔录副本（PDF）', en: 'Download my signed copy (PDF)' },
  'jr.copy.failed': { zh: '副本没能下载，请检查网络后再试。', en: 'The copy could not be downloaded; check the connection and try again.' },
  'jr.card.title': { zh: '请核对询问笔录', en: 'Please read the inquiry record' },
  'jr.card.awaiting': { zh: '监察员请您阅读这次询问的笔录。看过后，如果与您说的相符，请签名确认；如果不相符，请说明哪里不对。', en: 'The inspector asks you to read the record of this interview. If it matches what you said, sign to confirm it; if not, say what is wrong.' },
  'jr.card.confirmed': { zh: '您已于 {time} 签名确认了笔录。', en: 'You confirmed and signed the record on {time}.' },
  'jr.card.refused': { zh: '您没有确认笔录，理由：{reason}', en: 'You did not confirm the record. Your reason: {reason}' },
  'jr.card.superseded': { zh: '监察员修改了笔录，这一版不再需要您确认。请等待监察员发来新的版本。', en: 'The inspector changed the record; this version no longer needs your answer. Please wait for the new version.' },
  'jr.card.open': { zh: '阅读笔录', en: 'Read the record' },
  'jr.card.view': { zh: '查看笔录', en: 'View the record' },
  'jr.close': { zh: '‹ 返回', en: '‹ Back' },
  'jr.reader.title': { zh: '询问笔录', en: 'Inquiry record' },
  'jr.reader.intro': { zh: '请从头到尾仔细阅读。下面就是您要确认的全部内容。', en: 'Please read it all carefully, from the top. Below is everything you are asked to confirm.' },
  'jr.question': { zh: '以上笔录与您说的相符吗？', en: 'Does the record above match what you said?' },
  'jr.statement': { zh: '以上笔录我看过，与我说的相符', en: 'I have read the record above and it matches what I said' },
  'jr.choose.confirm': { zh: '相符，我签名确认', en: 'It matches: I sign' },
  'jr.choose.refuse': { zh: '不相符，我不签名', en: 'It does not match: I do not sign' },
  'jr.sign.help': { zh: '请用手指在下面的白色方框里写下您的名字。', en: 'Write your name with your finger in the white box below.' },
  'jr.sign.label': { zh: '签名区', en: 'Signature box' },
  'jr.sign.clear': { zh: '擦掉重写', en: 'Clear and sign again' },
  'jr.sign.submit': { zh: '确认并提交签名', en: 'Confirm and send my signature' },
  'jr.refuse.label': { zh: '请写明哪里与您说的不相符', en: 'Say what does not match what you said' },
  'jr.refuse.submit': { zh: '提交：我不确认这份笔录', en: 'Send: I do not confirm this record' },
  'jr.refuse.missing': { zh: '请写明不确认的理由。', en: 'Please write your reason.' },
  'jr.done.confirmed': { zh: '已确认：您于 {time} 签名确认了这份笔录。', en: 'Confirmed: you signed this record on {time}.' },
  'jr.done.refused': { zh: '已拒绝确认，理由：{reason}', en: 'Refused. Your reason: {reason}' },
  'jr.done.closed': { zh: '这份笔录已经答复过，或者监察员已发出新的版本。请等待监察员通知后再打开链接。', en: 'This record was already answered, or the inspector has sent a newer version. Please wait for the inspector and open the link again.' },
  'jr.error.network': { zh: '网络不好，没有提交成功。您的签名还在，请点击“重试”。', en: 'The network failed and nothing was sent. Your signature is kept: tap "Try again".' },
  'jr.error.text_changed': { zh: '笔录内容刚刚有了改动。请从头重新阅读后再确认。', en: 'The record has just been changed. Please read it again from the top before you answer.' },
  'jr.error.empty_signature': { zh: '签名是空白的，请在方框里写下您的名字。', en: 'The signature is empty: write your name in the box.' },
  'jr.error.bad_signature': { zh: '签名没能识别，请点击“擦掉重写”后再签一次。', en: 'The signature could not be read. Tap "Clear and sign again" and sign once more.' },
});
