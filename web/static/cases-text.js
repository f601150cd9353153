// The words of the case list's filters (the rest of the list's words are in i18n.js).

import { addStrings } from './i18n.js';

addStrings({
  'cases.filter.search': { zh: '搜索案件', en: 'Search cases' },
  'cases.filter.q': { zh: '搜索编号、案由、用人单位', en: 'Search number, title, employer' },
  'cases.filter.any_status': { zh: '全部状态', en: 'Any status' },
  'cases.filter.member': { zh: '承办人', en: 'Assignee' },
  'cases.filter.any_member': { zh: '全部承办人', en: 'Anyone' },
  'cases.filter.awaiting': { zh: '等待签名', en: 'Waiting for a signature' },
  'cases.col.activity': { zh: '最近动态', en: 'Last activity' },
});
