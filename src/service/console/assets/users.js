// The users page: search, seat and status filters, and cursor paging done by the server (one page
// at a time, whatever the plan's size); adding a plan user or a guest.

import { api, query } from './api.js';
import { busy, card, field, fill, h, problem, select, title } from './dom.js';
import { SEATS, STATUSES, roleList, seatLabel, seatOf, statusLabel } from './words.js';

const SIZES = [50, 100, 250, 500];

function row(u, base) {
  const name = u.displayName && u.displayName !== u.userName ? u.displayName : null;
  return h('tr', null,
    h('td', null, h('a', { href: `#/user/${encodeURIComponent(u.id)}`, class: 'user-name' }, u.userName),
      name ? h('div', { class: 'hint' }, name) : null),
    h('td', { class: 'seat' }, seatOf(u, base), u.manual_seat && u.managed_by_directory ? h('div', { class: 'hint' }, 'set by an admin') : null),
    h('td', { class: 'status' }, statusLabel(u.status)),
    h('td', { class: 'managed' }, u.guest ? 'Guest' : u.managed_by_directory ? 'Yes' : 'No'),
    h('td', { class: 'roles' }, roleList(u), u.admin_roles?.length ? h('div', { class: 'hint' }, `Admin: ${u.admin_roles.join(', ')}`) : null));
}

function addForms(ctx) {
  const status = h('div', { class: 'status', 'aria-live': 'polite' });
  const userName = h('input', { type: 'email', required: true, autocomplete: 'off', id: 'new-user-name' });
  const display = h('input', { type: 'text', autocomplete: 'off' });
  const seat = select({ id: 'new-user-seat' }, ['viewer', 'member', 'no_access'].map((x) => [x, seatLabel(x, ctx.plan.base_seat_label)]), 'viewer');
  const addUser = h('form', { id: 'add-user', onsubmit: busy(status, 'Adding the user', async () => {
    const body = { userName: userName.value.trim(), seat: seat.value };
    if (display.value.trim()) body.displayName = display.value.trim();
    const u = await api('POST', '/admin/users', { json: body });
    ctx.go(`#/user/${encodeURIComponent(u.id)}`);
  }) },
  field('userName (email)', userName), field('Display name', display, 'Optional.'), field('Seat', seat),
  h('button', { type: 'submit' }, 'Add plan user'));
  const email = h('input', { type: 'email', required: true, autocomplete: 'off', id: 'new-guest-email' });
  const gName = h('input', { type: 'text', autocomplete: 'off' });
  const force = h('input', { type: 'checkbox', id: 'new-guest-force' });
  const addGuest = h('form', { id: 'add-guest', onsubmit: busy(status, 'Adding the guest', async () => {
    const body = { email: email.value.trim(), force: force.checked };
    if (gName.value.trim()) body.displayName = gName.value.trim();
    const u = await api('POST', '/admin/guests', { json: body });
    ctx.go(`#/user/${encodeURIComponent(u.id)}`);
  }) },
  field('Guest email', email), field('Display name', gName, 'Optional.'),
  h('div', { class: 'check' }, force, h('label', { for: 'new-guest-force' }, 'The address is on a validated domain and I still want a guest')),
  h('button', { type: 'submit' }, 'Add guest'));
  return card('Add users',
    h('details', { id: 'add-user-details' }, h('summary', null, 'Add a plan user (as if added in Admin Center, not managed by DI)'), addUser),
    h('details', { id: 'add-guest-details' }, h('summary', null, 'Add a guest (outside collaborator, never in the IdP)'), addGuest),
    status);
}

export async function users(ctx) {
  const base = ctx.plan.base_seat_label;
  const limit = SIZES.includes(Number(ctx.query.limit)) ? Number(ctx.query.limit) : 100;
  const q = h('input', { type: 'search', id: 'filter-q', value: ctx.query.q || '', autocomplete: 'off', placeholder: 'start of a name, userName, email or domain' });
  const seat = select({ id: 'filter-seat' }, [['', 'Any seat'], ...SEATS.map((x) => [x, seatLabel(x, base)])], ctx.query.seat || '');
  const status = select({ id: 'filter-status' }, [['', 'Any status'], ...STATUSES], ctx.query.status || '');
  const managed = select({ id: 'filter-managed' }, [['', 'Either'], ['true', 'Yes'], ['false', 'No']], ctx.query.managed || '');
  const size = select({ id: 'page-size' }, SIZES.map((n) => [n, String(n)]), limit);
  const pending = h('input', { type: 'checkbox', id: 'filter-pending', checked: ctx.query.include === 'pending' });
  const summary = h('p', { id: 'users-summary', role: 'status' }, 'Loading…');
  const body = h('tbody');
  const results = h('div', { class: 'table-wrap' },
    h('table', { id: 'users-table' },
      h('caption', { class: 'sr-only' }, 'Users'),
      h('thead', null, h('tr', null, ['User', 'Seat', 'Status', 'Managed by DI', 'Roles'].map((x) => h('th', { scope: 'col' }, x)))),
      body));
  const error = h('div', { 'aria-live': 'assertive' });
  const prev = h('button', { type: 'button', id: 'prev-page', disabled: true }, '← Previous page');
  const next = h('button', { type: 'button', id: 'next-page', disabled: true }, 'Next page →');
  // The same two buttons again below the table, so a long page needs no scrolling back.
  const prev2 = h('button', { type: 'button', disabled: true }, '← Previous page');
  const next2 = h('button', { type: 'button', disabled: true }, 'Next page →');
  const pagers = (disabledPrev, disabledNext) => {
    prev.disabled = disabledPrev;
    prev2.disabled = disabledPrev;
    next.disabled = disabledNext;
    next2.disabled = disabledNext;
  };

  // The cursor of each page shown so far (page 1 has none): Previous goes back along them.
  let cursors = [null];
  let page = 0;
  let latest = 0;
  const filters = () => ({
    q: q.value.trim(), seat: seat.value, status: status.value, managed: managed.value, include: pending.checked ? 'pending' : '', limit: Number(size.value),
  });
  async function load() {
    const mine = ++latest;
    const f = filters();
    pagers(true, true);
    results.setAttribute('aria-busy', 'true');
    try {
      const answer = await api('GET', `/admin/users${query({ ...f, cursor: cursors[page] })}`);
      if (mine !== latest) return;
      fill(error);
      fill(body, answer.items.map((u) => row(u, base)));
      const first = page * f.limit + 1;
      fill(summary, answer.items.length
        ? `Users ${first.toLocaleString()}–${(first + answer.items.length - 1).toLocaleString()}${answer.next_cursor ? ', more on the next page' : ''}.`
        : page ? 'No more users.' : 'No user matches these filters.');
      cursors = cursors.slice(0, page + 1);
      if (answer.next_cursor) cursors.push(answer.next_cursor);
      pagers(page === 0, !answer.next_cursor);
    } catch (err) {
      if (mine === latest) fill(error, problem(err));
    } finally {
      if (mine === latest) results.removeAttribute('aria-busy');
    }
  }
  // A filter changed: back to page 1, and the filters kept in the address (so Back returns here).
  function again() {
    cursors = [null];
    page = 0;
    const f = filters();
    history.replaceState(null, '', `#/users${query({ ...f, limit: f.limit === 100 ? '' : f.limit })}`);
    load();
  }
  let typing;
  q.addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(again, 300); });
  for (const control of [seat, status, managed, size, pending]) control.addEventListener('change', again);
  const back = () => { page -= 1; load(); };
  const forward = () => { page += 1; load(); };
  prev.addEventListener('click', back);
  prev2.addEventListener('click', back);
  next.addEventListener('click', forward);
  next2.addEventListener('click', () => { forward(); summary.scrollIntoView(); });
  const form = h('form', { class: 'filters', role: 'search', onsubmit: (e) => { e.preventDefault(); clearTimeout(typing); again(); } },
    field('Search', q), field('Seat', seat), field('Status', status), field('Managed by DI', managed), field('Per page', size),
    h('div', { class: 'check' }, pending, h('label', { for: 'filter-pending' }, 'Include pending users (legacy plans)')),
    h('button', { type: 'submit' }, 'Search'));
  load();
  return [
    title('Users'),
    form,
    h('div', { class: 'pagebar' }, summary, h('div', { class: 'actions' }, prev, next)),
    error, results,
    h('div', { class: 'actions pager' }, prev2, next2),
    addForms(ctx),
  ];
}
