// A tiny DOM builder: text goes in as text nodes, never as HTML, so names typed by
// parties or staff cannot inject markup.

import { t } from './i18n.js';

/**
 * h('button', {class: 'small', onclick: fn, disabled: true}, 'text', childNode, ...)
 * Attributes whose value is null, undefined or false are left out; true sets an empty one.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'class') {
      el.className = value;
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/** An element whose text is the string `key`; i18n.js re-translates it on a language switch. */
export function tx(tag, key, attrs = {}) {
  return h(tag, { ...attrs, 'data-i18n': key }, t(key));
}

/** Replace everything inside `el` with `children`. */
export function fill(el, ...children) {
  while (el.firstChild) el.removeChild(el.firstChild);
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) el.append(child);
  }
  return el;
}

/** Show a message in a form's alert element, or hide it when `text` is empty. */
export function say(el, text, kind = 'error') {
  el.textContent = text || '';
  el.className = `alert ${kind}`;
  el.hidden = !text;
}

/** Disable a form's controls while `work` runs, so a double tap sends one request. */
export async function busy(form, work) {
  const controls = [...form.elements].filter((c) => !c.disabled);
  controls.forEach((c) => { c.disabled = true; });
  try {
    return await work();
  } finally {
    controls.forEach((c) => { c.disabled = false; });
  }
}
