// The plan settings as a typed form. The guarded switches (seat_mapping, plan_model) are previewed
// first: the users whose seats their next update calls would move, then apply (forced if any).

import { api, query } from './api.js';
import { busy, card, field, fill, h, notice, select, table, title } from './dom.js';
import { previewBlock } from './overview.js';
import { seatLabel } from './words.js';

// Each setting: key, type, the choices of a choice, and what it means.
const FIELDS = [
  ['plan_model', 'choice', ['user_model', 'legacy'], 'user_model: seat types; legacy: licensed or unlicensed. Guarded: previewed first.'],
  ['seat_mapping', 'choice', ['groups', 'viewer_only'], 'groups: seats follow role groups; viewer_only: every SCIM user is a viewer. Guarded: previewed first.'],
  ['base_seat_label', 'choice', ['Viewer', 'Contributor'], 'The name people see for the base seat.'],
  ['auto_upgrade', 'bool', null, 'A qualifying action makes a viewer a provisional member (turn it off while DI is on).'],
  ['provisional_review_days', 'number', [0, 3650], 'Length of a provisional member’s review (0: ends at the next sweep).'],
  ['provisional_on_expiry', 'choice', ['downgrade', 'keep'], 'At the end of the review: back to viewer, or kept until an admin acts.'],
  ['deprovision', 'choice', ['deactivate', 'delete'], 'What SCIM active=false and DELETE do: deactivate (data kept) or delete for good.'],
  ['scim_reactivation', 'choice', ['refuse', 'allow'], 'Whether SCIM may reactivate a deactivated user while DI is on.'],
  ['member_seat_limit', 'optional_number', [0, null], 'Most member seats; empty for no limit.'],
  ['enforce_domains', 'bool', null, 'SCIM creates need an address on a validated domain.'],
  ['match_downgrade', 'choice', ['hold', 'apply'], 'A plan user’s first IdP write that would lower its seat: held (flagged) or applied.'],
  ['role_group_prefix', 'optional_text', null, 'A prefix stripped from group names before matching roles, such as “Smartsheet US ”; empty for none.'],
  ['deprovision_guard.max', 'number', [0, null], 'SCIM deactivations or deletes allowed in the window before the guard trips.'],
  ['deprovision_guard.window_minutes', 'number', [1, 10080], 'The guard’s window, in minutes.'],
];
const GUARDED = new Set(['plan_model', 'seat_mapping']);

function current(settings, key) {
  const [group, sub] = key.split('.');
  return sub ? settings[group]?.[sub] : settings[key];
}

function control(key, type, extra, value) {
  const id = `set-${key.replace('.', '-')}`;
  if (type === 'bool') return h('input', { type: 'checkbox', id, checked: value === true });
  if (type === 'choice') return select({ id }, extra.map((x) => [x, x]), value);
  if (type === 'number' || type === 'optional_number') {
    return h('input', { type: 'number', id, min: extra?.[0] ?? null, max: extra?.[1] ?? null, step: 1, value: value ?? '', required: type === 'number', inputmode: 'numeric' });
  }
  return h('input', { type: 'text', id, value: value ?? '', autocomplete: 'off' });
}

function read(type, el) {
  if (type === 'bool') return el.checked;
  if (type === 'number') return Number(el.value);
  if (type === 'optional_number') return el.value === '' ? null : Number(el.value);
  if (type === 'optional_text') return el.value === '' ? null : el.value;
  return el.value;
}

// The PATCH body of the changed keys (the guard's two keys nested as the API reads them).
function body(changed) {
  const out = {};
  for (const [key, value] of changed) {
    const [group, sub] = key.split('.');
    if (sub) out[group] = { ...(out[group] || {}), [sub]: value };
    else out[key] = value;
  }
  return out;
}

function rolesCard(roles) {
  return card('Role table',
    h('p', { class: 'hint' }, 'Read-only here; change it with PUT /admin/role-mappings.'),
    table({ id: 'role-table' }, 'Roles', ['Role', 'Mapping values', 'Variable name', 'Seat', 'Admin rights'],
      roles.items.map((r) => [r.name, r.mapping_values.join(', '), r.variable_name, seatLabel(r.seat), r.admin_rights.join(', ') || '—'])));
}

export async function settings(ctx) {
  const [values, roles] = await Promise.all([api('GET', '/admin/settings'), api('GET', '/admin/role-mappings')]);
  const status = h('div', { class: 'status', id: 'settings-status', 'aria-live': 'polite' });
  const controls = FIELDS.map(([key, type, extra, help]) => [key, type, control(key, type, extra, current(values, key)), help]);
  const changes = () => controls
    .map(([key, type, el]) => [key, read(type, el), current(values, key) ?? null])
    .filter(([, now, before]) => now !== before)
    .map(([key, now]) => [key, now]);
  const save = async (force) => {
    const changed = changes();
    if (!changed.length) return notice('Nothing changed.', 'warn');
    await api('PATCH', `/admin/settings${query({ force })}`, { json: body(changed) });
    ctx.flash(notice(`Saved: ${changed.map(([k, v]) => `${k} = ${v === null ? 'none' : v}`).join(', ')}.`));
    ctx.refresh();
    return undefined;
  };
  const submit = busy(status, 'Saving', async () => {
    const changed = changes();
    if (!changed.some(([key]) => GUARDED.has(key))) return save(false);
    const preview = await api('PATCH', `/admin/settings${query({ dry_run: true })}`, { json: body(changed) });
    const moving = preview.changes_total ?? preview.changes.length;
    const apply = h('button', { type: 'button', id: 'settings-apply', class: moving ? 'danger' : 'primary' },
      moving ? `Apply, moving ${moving.toLocaleString('en-US')} user(s) at their next update calls` : 'Apply');
    apply.addEventListener('click', busy(status, 'Saving', () => save(moving > 0)));
    return h('div', null,
      h('h3', null, 'Preview of the guarded change'),
      previewBlock(preview, 'settings-preview'),
      h('div', { class: 'actions' }, apply, h('button', { type: 'button', onclick: () => fill(status) }, 'Cancel')));
  });
  const form = h('form', { id: 'settings-form', class: 'settings', onsubmit: submit },
    h('p', null, 'Directory Integration is ', h('strong', null, values.di_enabled ? 'on' : 'off'),
      ' (changed with the switch on the ', h('a', { href: '#/overview' }, 'overview'), ', which previews first).'),
    controls.map(([key, type, el, help]) => (type === 'bool'
      ? h('div', { class: 'check' }, el, h('label', { for: el.id }, key), h('small', { class: 'hint' }, ` ${help}`))
      : field(key, el, help))),
    h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'settings-save', class: 'primary' }, 'Save settings')),
    status);
  return [
    title('Settings'),
    (values.advice || []).map((a) => notice(a, 'warn')),
    card('Plan settings', form),
    rolesCard(roles),
  ];
}
