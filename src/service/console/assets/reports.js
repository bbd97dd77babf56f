// Reports: the user list CSV, the drift report (a table and its CSV) and the audit log.

import { api, download, query } from './api.js';
import { busy, card, field, fill, h, notice, table, title } from './dom.js';
import { EVENT_HEADERS, eventRows, userLink } from './overview.js';
import { reasonWords, seatLabel } from './words.js';

const SHOWN = 500;

function counts(caption, map) {
  const entries = Object.entries(map || {});
  return entries.length ? h('p', null, `${caption}: `, entries.map(([k, n], i) => [i ? ', ' : '', h('strong', null, String(n)), ` ${k}`])) : null;
}

function driftCard(base) {
  const status = h('div', { class: 'status', 'aria-live': 'polite' });
  const result = h('div', { id: 'drift' });
  const show = h('button', { type: 'button', id: 'drift-load', class: 'primary' }, 'Show the drift report');
  show.addEventListener('click', busy(status, 'Computing the drift report', async () => {
    const report = await api('GET', '/admin/reports/drift');
    const rows = report.items.slice(0, SHOWN).map((d) => [
      userLink(d.user_id, d.userName), seatLabel(d.seat, base), seatLabel(d.target_seat, base), h('span', { title: d.detail }, reasonWords(d.reason)),
    ]);
    fill(result,
      h('p', { id: 'drift-total' }, report.total ? `${report.total} user(s) differ from the seat their roles ask for.` : 'No drift: every active user has the seat its roles ask for.'),
      counts('By reason', report.by_reason), counts('By seat', report.by_seat),
      report.total ? table({ id: 'drift-table' }, 'Drift', ['User', 'Seat', 'Roles ask for', 'Why'], rows) : null,
      report.total > SHOWN ? h('p', { class: 'hint' }, `The first ${SHOWN} are shown; the CSV has all of them.`) : null);
  }));
  const csv = h('button', { type: 'button', id: 'drift-csv' }, 'Download drift.csv');
  csv.addEventListener('click', busy(status, 'Preparing drift.csv', async () => {
    await download('/admin/reports/drift?format=csv', 'drift.csv');
    return notice('drift.csv downloaded.');
  }));
  return card('Drift report',
    h('p', null, 'Active users whose seat differs from the seat their roles ask for, and why.'),
    h('div', { class: 'actions' }, show, csv), status, result);
}

function usersCsvCard() {
  const status = h('div', { class: 'status', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', id: 'users-csv', class: 'primary' }, 'Download users.csv');
  button.addEventListener('click', busy(status, 'Preparing users.csv', async () => {
    const text = await download('/admin/reports/users.csv', 'users.csv');
    return notice(`users.csv downloaded (${Math.max(0, text.trim().split('\n').length - 1).toLocaleString()} user(s)).`);
  }));
  return card('User list',
    h('p', null, 'Name, Email, Status, Seat type, Roles, Managed by DI, Division, Department, Cost Center, Last updated: the columns the import reads back.'),
    h('div', { class: 'actions' }, button), status);
}

function auditCard() {
  const status = h('div', { class: 'status', 'aria-live': 'polite' });
  const since = h('input', { type: 'date', id: 'audit-since' });
  const body = h('div');
  const more = h('button', { type: 'button', hidden: true }, 'Older events');
  let cursor = null;
  let rows = [];
  const load = async (reset) => {
    if (reset) {
      cursor = null;
      rows = [];
    }
    const page = await api('GET', `/admin/audit${query({ limit: 50, cursor, since: since.value })}`);
    rows = rows.concat(page.items);
    cursor = page.next_cursor;
    more.hidden = !cursor;
    fill(body, table({ id: 'audit-table' }, 'Audit log', EVENT_HEADERS, eventRows(rows)));
  };
  more.addEventListener('click', busy(status, 'Loading', () => load(false)));
  const form = h('form', { class: 'inline', onsubmit: busy(status, 'Loading', () => load(true)) },
    field('Since', since, 'Empty for all events, newest first.'), h('button', { type: 'submit' }, 'Show'));
  load(true).catch((err) => fill(status, notice(err.detail || String(err), 'error')));
  return card('Audit log', form, body, more, status);
}

export async function reports(ctx) {
  return [title('Reports'), h('div', { class: 'grid' }, usersCsvCard(), driftCard(ctx.plan.base_seat_label)), auditCard()];
}
