// The words of the join page's "who is calling" box (the rest are in i18n.js).

import { addStrings } from './i18n.js';

addStrings({
  'join.recording': { zh: '● 录音录像中', en: '● Recording' },
  'join.hang_up': { zh: '挂断', en: 'Hang up' },
  'join.hang_up.confirm': { zh: '确定要离开视频询问吗？离开后可以再点“加入视频询问”回来。', en: 'Leave the video interview? You can come back with “Join the video interview”.' },
  'join.bureau': { zh: '询问机关', en: 'Calling from' },
  'join.inspectors': { zh: '询问人', en: 'Inspectors' },
  'join.purpose': { zh: '事由', en: 'About' },
  'join.purpose.none': { zh: '劳动保障监察询问', en: 'A labour inspection interview' },
  'join.when': { zh: '预约时间', en: 'Scheduled for' },
  'join.when.none': { zh: '询问人会另行通知', en: 'The inspector will tell you' },
  'join.phone': { zh: '核实电话', en: 'To check, call' },
  'join.case': { zh: '案件编号', en: 'Case number' },
  'join.state.cancelled': { zh: '询问已取消', en: 'Cancelled' },
  'join.cancelled.title': { zh: '这次询问已取消', en: 'This interview has been cancelled' },
  'join.cancelled.text': { zh: '询问人取消了这次询问：{reason}。如需改期，询问人会重新联系您。', en: 'The inspector cancelled this interview: {reason}. If it is moved to another time, the inspector will contact you again.' },
});
