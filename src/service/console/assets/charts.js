// Charts as inline SVG, built from values (text nodes only), styled by classes from style.css.

import { h, s } from './dom.js';

// A horizontal bar chart of [label, value, class] rows, with its numbers also as a list for
// screen readers and for copying.
export function bars(id, title, rows) {
  const max = Math.max(1, ...rows.map((r) => r[1]));
  const rowH = 26;
  const labelW = 150;
  const valueW = 64;
  const width = 400;
  const barW = width - labelW - valueW;
  const height = rows.length * rowH + 4;
  const summary = rows.map(([label, value]) => `${label}: ${value.toLocaleString()}`).join(', ');
  const svg = s('svg', {
    viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': `${title}. ${summary}`,
    preserveAspectRatio: 'xMinYMin meet',
  },
  s('title', null, `${title}. ${summary}`),
  rows.map(([label, value, cls], i) => {
    const y = i * rowH + 2;
    const w = value === 0 ? 0 : Math.max(3, Math.round((barW * value) / max));
    return s('g', { class: `bar ${cls || ''}` },
      s('text', { x: labelW - 8, y: y + rowH / 2, class: 'chart-label', 'text-anchor': 'end', 'dominant-baseline': 'middle' }, label),
      s('rect', { x: labelW, y: y + 5, width: Math.max(w, 1), height: rowH - 10, rx: 3, class: w ? 'chart-bar' : 'chart-bar empty' }),
      s('text', { x: labelW + w + 8, y: y + rowH / 2, class: 'chart-value', 'dominant-baseline': 'middle' }, value.toLocaleString()));
  }));
  return h('figure', { id, class: 'chart-figure' }, svg,
    h('figcaption', { class: 'sr-only' }, `${title}: ${summary}`));
}

// `scim_seat_users{status="…",seat="…"} N` lines of the /metrics text: [{status, seat, n}].
export function userCounts(metrics) {
  const out = [];
  for (const line of String(metrics).split('\n')) {
    const m = /^scim_seat_users\{status="([^"]*)",seat="([^"]*)"\} (\d+)/.exec(line);
    if (m) out.push({ status: m[1], seat: m[2], n: Number(m[3]) });
  }
  return out;
}
