// The words of the interview's text chat (chat.js), on the console and on the phone.

import { addStrings } from './i18n.js';

addStrings({
  'chat.heading': { zh: '文字交流', en: 'Text chat' },
  'chat.note': { zh: '声音不好时可以打字。每条消息都由服务器记录，作为证据保存，参加人都能看到。', en: 'For when the audio fails. The server keeps every message as evidence; everyone in the call sees it.' },
  'chat.none': { zh: '还没有消息。', en: 'No messages yet.' },
  'chat.label': { zh: '要发送的文字', en: 'Message to send' },
  'chat.placeholder': { zh: '输入文字…', en: 'Type a message…' },
  'chat.send': { zh: '发送', en: 'Send' },
  'chat.me': { zh: '我', en: 'Me' },
  'chat.staff_only': { zh: '仅监察员可见', en: 'Inspectors only' },
  'chat.announce': { zh: '{who}发来消息：{text}', en: '{who} wrote: {text}' },
  'chat.open': { zh: '消息', en: 'Chat' },
  'chat.open_label': { zh: '打开文字消息', en: 'Open the text chat' },
  'chat.open_label_unread': { zh: '打开文字消息（{n} 条未读）', en: 'Open the text chat ({n} unread)' },
  'chat.close': { zh: '收起', en: 'Close' },
  'chat.close_label': { zh: '收起文字消息', en: 'Close the text chat' },
  'chat.muted_note': { zh: '您现在被静音：您发的消息只有监察员能看到。', en: 'You are muted: only the inspectors see your messages.' },
  'chat.error.chat_too_long': { zh: '消息太长了，一条最多 1000 个字。', en: 'That message is too long: at most 1000 characters.' },
  'chat.error.chat_control': { zh: '消息里有不能发送的特殊字符，请只输入普通文字。', en: 'The message has characters that cannot be sent; type plain text only.' },
  'chat.error.chat_empty': { zh: '请先输入文字。', en: 'Type a message first.' },
  'chat.error.chat_unavailable': { zh: '消息没有发出去，请再发一次。', en: 'The message was not sent; send it again.' },
  'chat.error.offline': { zh: '现在没有连上，连上后再发送。', en: 'Not connected right now; send it once the call is back.' },
});
