// A classic script in plain ES5, loaded (deferred) by join.html next to the modules: on a
// browser too old to run them (no modules, or syntax it cannot parse) the page would sit
// at "checking the link…" for ever. join.js sets window.__zmReady as its last step; if it
// has not run shortly after the page is parsed, say which browser to use instead.
// Keep it ES5: no let/const, arrow functions, template strings or newer APIs.
(function () {
  'use strict';

  // 请用手机自带的浏览器或最新版 Chrome 打开此链接
  var ZH = '\u8bf7\u7528\u624b\u673a\u81ea\u5e26\u7684\u6d4f\u89c8\u5668\u6216\u6700\u65b0\u7248 Chrome \u6253\u5f00\u6b64\u94fe\u63a5';
  var EN = 'Please open this link in your phone\'s own browser or a recent Chrome.';
  var DELAY_MS = 1500;

  function paragraph(text, lang) {
    var p = document.createElement('p');
    p.setAttribute('lang', lang);
    p.appendChild(document.createTextNode(text));
    return p;
  }

  function showNote() {
    if (window.__zmReady || document.getElementById('zm-legacy-note')) return;
    var main = document.getElementById('main') || document.body;
    if (!main) return;
    var checking = document.getElementById('join-checking');
    if (checking) {
      checking.setAttribute('hidden', '');
      checking.style.display = 'none';
    }
    var note = document.createElement('div');
    note.id = 'zm-legacy-note';
    note.className = 'alert error';
    note.setAttribute('role', 'alert');
    var title = document.createElement('strong');
    title.setAttribute('lang', 'zh-CN');
    title.appendChild(document.createTextNode(ZH));
    note.appendChild(title);
    note.appendChild(paragraph(EN, 'en'));
    main.insertBefore(note, main.firstChild);
  }

  function check() {
    // Deferred modules run before DOMContentLoaded; the delay is only a margin.
    window.setTimeout(showNote, DELAY_MS);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', check, false);
  } else {
    check();
  }
}());
