// One user: profile, seat with the reasons of `explain` in words, roles with their sources, a seat
// change that offers only the transitions the rules allow, reactivate and remove (DI off), guest
// removal, and the user's audit timeline.

import { api, query } from './api.js';
import { busy, card, field, fill, h, notice, problem, select, title } from './dom.js';
import {
  MANUAL_TARGETS, actionWords, movement, nextUpdateCall, reasonWords, roleName, roleSource, seatLabel, seatOf,
  statusLabel, when,
} from './words.js';

function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
}

function profile(u) {
  return card('Profile', facts([
    ['userName', u.userName],
    ['Display name', u.displayName],
    ['Email', u.email],
    ['Status', statusLabel(u.status)],
    ['Managed by DI', u.guest ? 'No (guest)' : u.managed_by_directory ? 'Yes' : 'No (added on the plan)'],
    ['Seen by SCIM', u.scim_visible ? 'Yes' : 'No'],
    ['Admin rights', u.admin_roles?.length ? u.admin_roles.join(', ') : null],
    ['Division', u.division],
    ['Department', u.department],
    ['Cost center', u.cost_center],
    ['First sign-in', u.first_sign_in ? when(u.first_sign_in) : null],
    ['Created', when(u.created)],
    ['Last modified', when(u.last_modified)],
    ['Id', h('code', null, u.id)],
  ]));
}

// The seats an admin may pick from the user's seat (SPEC section 3); on legacy plans, a licence.
function targets(u, plan) {
  if (plan.plan_model === 'legacy') return [u.licensed ? ['viewer', 'Unlicensed (viewer)'] : ['member', 'Licensed (member)']];
  return (MANUAL_TARGETS[u.seat] || []).map((x) => [x, seatLabel(x, plan.base_seat_label)]);
}

function seatCard(ctx, u) {
  const plan = ctx.plan;
  const base = plan.base_seat_label;
  const status = h('div', { class: 'status', 'aria-live': 'polite' });
  let change;
  if (u.guest) {
    change = h('p', null, 'A guest keeps the guest seat: no seat change makes or unmakes a guest. Remove the guest below instead.');
  } else if (u.status === 'deactivated') {
    change = h('p', null, 'A deactivated user holds no seat: reactivate it first (with DI off).');
  } else {
    const options = targets(u, plan);
    const choice = select({ id: 'seat-select' }, options, options[0]?.[0]);
    const reason = h('input', { type: 'text', id: 'seat-reason', autocomplete: 'off', maxlength: 500 });
    const hint = h('p', { id: 'seat-hint', class: 'hint', 'aria-live': 'polite' });
    const explainNext = () => fill(hint, nextUpdateCall(choice.value, u, plan));
    choice.addEventListener('change', explainNext);
    explainNext();
    change = h('form', { id: 'seat-form', onsubmit: busy(status, 'Changing the seat', async () => {
      const body = { seat: choice.value };
      if (reason.value.trim()) body.reason = reason.value.trim();
      const step = await api('PUT', `/admin/users/${encodeURIComponent(u.id)}/seat`, { json: body });
      ctx.flash(h('div', null,
        notice(`Seat changed to ${seatOf(step, base)}.`),
        step.warning ? h('div', { class: 'notice warn', id: 'seat-warning' }, step.warning) : null));
      ctx.refresh();
    }) },
    h('h3', null, 'Change the seat'),
    field('New seat', choice, 'Only the changes the manual seat table allows are offered.'),
    field('Reason', reason, 'Optional; kept in the audit event.'),
    hint,
    h('button', { type: 'submit', id: 'seat-apply', class: 'primary' }, 'Change seat'));
  }
  const reasons = u.reasons || [];
  return card('Seat',
    h('p', { class: 'big' }, h('strong', { id: 'seat-current' }, seatOf(u, base))),
    facts([
      ['Roles ask for', u.target_seat ? seatLabel(u.target_seat, base) : null],
      ['Next update call', u.would_change ? `makes it ${seatLabel(u.next, base)}` : 'keeps it'],
      ['Provisional review until', u.provisional_until ? when(u.provisional_until) : null],
      ['Re-creation refused', u.recreate_refused_at ? when(u.recreate_refused_at) : null],
    ]),
    reasons.length
      ? h('ul', { id: 'reasons', class: 'reasons' }, reasons.map((r) => h('li', { 'data-code': r.code },
        h('strong', null, reasonWords(r.code)), h('div', { class: 'hint' }, r.detail))))
      : h('p', { id: 'reasons' }, 'The seat is what the roles ask for.'),
    change, status);
}

function rolesCard(u) {
  const roles = u.roles || [];
  return card('Roles',
    roles.length
      ? h('ul', { id: 'roles', class: 'plain' }, roles.map((r) => h('li', null,
        h('strong', null, roleName(r)), ` — value ${r.value}, from the ${roleSource(r)}`)))
      : h('p', { id: 'roles' }, 'No role: the user gets the base seat.'));
}

function actionsCard(ctx, u) {
  const status = h('div', { class: 'status', 'aria-live': 'polite' });
  const diOff = !ctx.plan.di_enabled;
  const confirmThen = (id, question, label, run) => () => {
    const yes = h('button', { type: 'button', id, class: 'danger' }, label);
    yes.addEventListener('click', busy(status, label, run));
    fill(status, h('div', { class: 'notice warn' }, h('p', null, question),
      h('div', { class: 'actions' }, yes, h('button', { type: 'button', onclick: () => fill(status) }, 'Cancel'))));
    yes.focus();
  };
  const path = `/admin/users/${encodeURIComponent(u.id)}`;
  const parts = [];
  if (u.guest) {
    parts.push(h('button', { type: 'button', id: 'remove-guest', onclick: confirmThen('remove-confirm',
      'Remove this guest from the plan?', 'Remove guest', async () => {
        await api('DELETE', `/admin/guests/${encodeURIComponent(u.id)}`);
        ctx.flash(notice(`Guest ${u.userName} removed.`));
        ctx.go('#/users');
      }) }, 'Remove guest…'));
  } else {
    if (u.status === 'deactivated') {
      parts.push(h('button', { type: 'button', id: 'reactivate', disabled: !diOff, onclick: busy(status, 'Reactivating', async () => {
        await api('POST', `${path}/reactivate`);
        ctx.flash(notice('Reactivated as a viewer (an admin’s choice): change the seat if needed.'));
        ctx.refresh();
      }) }, 'Reactivate'));
    }
    parts.push(h('button', { type: 'button', id: 'remove', disabled: !diOff, onclick: confirmThen('remove-confirm',
      'Remove this user from the plan for good?', 'Remove from plan', async () => {
        await api('DELETE', path);
        ctx.flash(notice(`${u.userName} removed from the plan.`));
        ctx.go('#/users');
      }) }, 'Remove from plan…'));
  }
  return card('Actions',
    !u.guest && !diOff ? h('p', { class: 'hint' },
      'Reactivating and removing need DI off: while DI is on, deactivate or unassign the user in the IdP instead.') : null,
    h('div', { class: 'actions' }, parts), status);
}

function timeline(events) {
  return events.map((e) => h('li', { 'data-action': e.action },
    h('time', { datetime: e.at }, when(e.at)), ' ',
    h('strong', null, actionWords(e.action)),
    movement(e) ? ` (${movement(e)})` : '',
    h('div', { class: 'hint' }, `by ${e.actor} (${e.source})${e.reason ? ` — ${e.reason}` : ''}`)));
}

function timelineCard(id, first) {
  const list = h('ol', { id: 'timeline', class: 'timeline' }, timeline(first.items));
  const status = h('div', { class: 'status' });
  let cursor = first.next_cursor;
  const more = h('button', { type: 'button', hidden: !cursor }, 'Older events');
  more.addEventListener('click', busy(status, 'Loading', async () => {
    const page = await api('GET', `/admin/audit${query({ user_id: id, limit: 50, cursor })}`);
    list.append(...timeline(page.items));
    cursor = page.next_cursor;
    more.hidden = !cursor;
  }));
  return card('Audit timeline', first.items.length ? list : h('p', null, 'No event yet.'), more, status);
}

export async function user(ctx) {
  const id = ctx.params.id;
  let u;
  try {
    u = await api('GET', `/admin/users/${encodeURIComponent(id)}/explain`);
  } catch (err) {
    if (err.status === 404) return [title('No such user'), problem(err), h('p', null, h('a', { href: '#/users' }, 'Back to the users'))];
    throw err;
  }
  const events = await api('GET', `/admin/audit${query({ user_id: id, limit: 50 })}`);
  return [
    h('p', { class: 'crumbs' }, h('a', { href: '#/users' }, '← Users')),
    title(u.displayName || u.userName, u.displayName && u.displayName !== u.userName ? h('small', { class: 'sub' }, u.userName) : null),
    h('div', { class: 'grid two' }, seatCard(ctx, u), profile(u), rolesCard(u), actionsCard(ctx, u)),
    timelineCard(id, events),
  ];
}
