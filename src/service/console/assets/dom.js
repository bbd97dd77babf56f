// Building the page from values. Every string becomes a text node or an attribute value, never
// markup: a userName like <img src=x onerror=alert(1)> shows as those characters.

const SVG = 'http://www.w3.org/2000/svg';

// Properties set as properties (their live state), not as attributes.
const PROPS = new Set(['value', 'checked', 'disabled', 'selected', 'hidden', 'indeterminate', 'readOnly']);

function apply(el, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (PROPS.has(key)) {
      el[key] = value;
    } else if (key === 'style') {
      throw new Error('no style attributes: the Content-Security-Policy forbids them; use a class');
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
}

function add(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) add(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
}

// h('a', {href: '#/users', class: 'nav'}, 'Users', ...): an element with attributes and children.
// A `false`, null or undefined attribute or child is left out; arrays of children are flattened.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  apply(el, attrs);
  add(el, children);
  return el;
}

// The same for SVG elements (charts).
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  apply(el, attrs);
  add(el, children);
  return el;
}

// Replaces an element's children.
export function fill(el, ...children) {
  el.replaceChildren();
  add(el, children);
  return el;
}

let ids = 0;
// A fresh id, to tie a label to its control.
export function uid(prefix) {
  ids += 1;
  return `${prefix}-${ids}`;
}

// A labelled control: <div class="field"><label for=…>text</label>control hint</div>.
export function field(label, control, hint) {
  if (!control.id) control.id = uid('f');
  const help = hint ? h('small', { id: `${control.id}-hint`, class: 'hint' }, hint) : null;
  if (help) control.setAttribute('aria-describedby', help.id);
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, help);
}

// A <select> of [value, text] pairs with `selected` chosen.
export function select(attrs, options, selected) {
  const el = h('select', attrs, options.map(([value, text]) => h('option', { value }, text)));
  el.value = String(selected ?? '');
  return el;
}

// A table: headers, and rows of cells (each a value or a node). `caption` names it for screen readers.
export function table(attrs, caption, headers, rows) {
  return h('div', { class: 'table-wrap' },
    h('table', attrs,
      caption ? h('caption', { class: 'sr-only' }, caption) : null,
      h('thead', null, h('tr', null, headers.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', null, rows.map((cells) => h('tr', null, cells.map((c) => h('td', null, c)))))));
}

// A section with a heading.
export function card(title, ...children) {
  const id = uid('card');
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), children);
}

let progressOf = null;
// How `busy` learns how far a long run is: `fn` answers the newest run in progress on the
// appliance (`{kind, users_read, users_to_read, percent}`) or nothing. The app sets it once.
export function watchProgress(fn) {
  progressOf = fn;
}

// A button that runs `action` and shows it is working meanwhile (disabled, with a progress bar, the
// seconds so far and, once it takes more than a second, how many users the appliance has read of
// how many, in `status`); the outcome or the error is then shown in `status`.
export function busy(status, label, action) {
  return async (event) => {
    if (event?.type === 'submit') event.preventDefault();
    const button = event?.submitter || (event?.currentTarget instanceof HTMLButtonElement ? event.currentTarget : null);
    if (button) button.disabled = true;
    const started = Date.now();
    const seconds = h('span', null, '');
    const read = h('span', { class: 'read' }, '');
    const bar = h('progress', { 'aria-label': label });
    fill(status, h('div', { class: 'working', role: 'status' }, bar, ` ${label}… `, seconds, read));
    let asking = false;
    const tick = setInterval(async () => {
      const elapsed = Date.now() - started;
      seconds.textContent = `${Math.round(elapsed / 1000)} s`;
      if (!progressOf || asking || elapsed < 1000) return;
      asking = true;
      try {
        const run = await progressOf();
        if (run && run.users_to_read > 0) {
          bar.max = run.users_to_read;
          bar.value = run.users_read;
          read.textContent = ` · ${run.users_read.toLocaleString('en-US')} of ${run.users_to_read.toLocaleString('en-US')} users read (${run.percent}%)`;
        }
      } catch {
        // Progress is a courtesy: the action's own outcome says whether it worked.
      } finally {
        asking = false;
      }
    }, 500);
    try {
      const shown = await action();
      if (shown === undefined) fill(status);
      else fill(status, shown);
    } catch (err) {
      fill(status, problem(err));
    } finally {
      clearInterval(tick);
      if (button) button.disabled = false;
    }
  };
}

// An error as a person reads it: what was refused and why, with the server's code.
export function problem(err) {
  const detail = err?.detail || err?.message || String(err);
  const code = err?.code ? h('code', null, err.code) : null;
  return h('div', { class: 'notice error', role: 'alert' }, detail, code ? ' ' : null, code);
}

// A short notice (outcome of an action).
export function notice(text, kind = 'ok') {
  return h('div', { class: `notice ${kind}`, role: 'status' }, text);
}

// The page's heading: focused after each navigation, so keyboard and screen-reader users start there.
export function title(text, ...more) {
  return h('h1', { id: 'page-title', tabindex: '-1' }, text, more);
}
