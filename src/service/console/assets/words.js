// The words the console shows for the API's identifiers: seats, statuses, reasons, audit actions,
// and the manual seat table of SPEC section 3.

export const SEATS = ['viewer', 'provisional_member', 'member', 'no_access', 'guest'];

const SEAT_LABELS = {
  viewer: 'Viewer', provisional_member: 'Provisional Member', member: 'Member', no_access: 'No Access', guest: 'Guest',
};

// The seat as people read it; `base` is the plan's label for the viewer seat (Viewer or Contributor).
export function seatLabel(seat, base = 'Viewer') {
  if (seat === 'viewer') return base;
  return SEAT_LABELS[seat] || seat || '—';
}

// What a user row's seat column says: the seat, a licence on legacy plans, nothing when deactivated.
export function seatOf(user, base) {
  if (user.status === 'deactivated') return '— (deactivated)';
  if (user.seat) return user.seat_label || seatLabel(user.seat, base);
  return user.licensed ? 'Licensed' : 'Unlicensed';
}

export const STATUSES = [['active', 'Active'], ['deactivated', 'Deactivated']];

export function statusLabel(status) {
  return status === 'active' ? 'Active' : status === 'deactivated' ? 'Deactivated' : status;
}

// The manual seat table (SPEC section 3): the seats an admin may choose from each seat. Provisional
// member is never a manual target; guests are not changed.
export const MANUAL_TARGETS = {
  viewer: ['member', 'no_access'],
  provisional_member: ['viewer', 'member', 'no_access'],
  member: ['viewer', 'no_access'],
  no_access: ['viewer', 'member'],
};

// Why a seat differs from what the roles ask for (explain's reason codes), in words.
export const REASONS = {
  downgrade_held: 'Downgrade held: the IdP’s first write asked for a lower seat and match_downgrade = hold kept this one. Reconcile, or a manual change, resolves it.',
  provisional_not_downgraded: 'Provisional member: DI never downgrades a provisional member; the review period or an admin decides.',
  awaiting_update_call: 'Waiting for an update call: the roles ask for another seat, but no update call has arrived since (DI is not retroactive).',
  manual_change: 'Manual change: an admin chose this seat; the next update call for this user applies its roles.',
  seat_limit: 'Seat limit: the upgrade to member is blocked by member_seat_limit.',
  recreate_refused: 'Re-creation refused: the IdP tries to create this user again after a SCIM DELETE; reactivate it (with DI off) so the IdP can match it.',
  di_off: 'DI is off: SCIM writes are refused and seats don’t follow groups.',
  viewer_only: 'seat_mapping = viewer_only: group changes do not move seats.',
  legacy_plan: 'Legacy plan: licensed or unlicensed instead of seat types.',
  deactivated: 'Deactivated: a deactivated user holds no seat.',
  guest: 'Guest: guests are managed in the console and admin API only, never by the IdP.',
  not_managed: 'Not managed by DI: added on the plan, no IdP has written this user yet.',
  unknown_role: 'Unknown role: a role value or group that matches no role in the role table.',
};

export function reasonWords(code) {
  return REASONS[code] || code;
}

// Audit actions (reason codes of events), in words.
const ACTIONS = {
  provisioned: 'Provisioned by the IdP', di_upgrade: 'Upgraded by DI', di_downgrade: 'Downgraded by DI',
  manual_change: 'Seat changed by an admin', qualifying_action: 'Qualifying action', review_expired: 'Review expired',
  deactivated: 'Deactivated', deleted: 'Deleted', reactivated: 'Reactivated', removed: 'Removed from the plan',
  guest_added: 'Guest added', plan_model_switch: 'Plan model switched', seat_limit: 'Upgrade blocked by the seat limit',
  user_added: 'Added to the plan', taken_over: 'Taken over by the IdP', downgrade_held: 'Downgrade held',
  recreate_refused: 'Re-creation refused', initialised: 'Appliance initialised', domain_added: 'Domain added',
  domain_verified: 'Domain verified', domain_removed: 'Domain removed', di_enabled: 'DI turned on',
  di_disabled: 'DI turned off', setting_changed: 'Setting changed', role_mappings_changed: 'Role table changed',
  deprovision_guard_reset: 'Deprovision guard reset', token_created: 'Token created', token_revoked: 'Token revoked',
};

export function actionWords(action) {
  return ACTIONS[action] || action;
}

// What an audit event did to the user: "Member → Viewer", "Active → Deactivated", "new: Viewer,
// Active", or '' for plan-wide events.
export function movement(event) {
  const b = event.before || {};
  const a = event.after || {};
  const seat = (x) => (x ? seatLabel(x) : '—');
  const status = (x) => (x ? statusLabel(x) : '—');
  if (!b.seat && !b.status && (a.seat || a.status)) return `new: ${[a.seat && seat(a.seat), a.status && status(a.status)].filter(Boolean).join(', ')}`;
  if (!a.seat && !a.status && (b.seat || b.status)) return `${[b.seat && seat(b.seat), b.status && status(b.status)].filter(Boolean).join(', ')} → gone`;
  const parts = [];
  if ((b.seat ?? null) !== (a.seat ?? null)) parts.push(`${seat(b.seat)} → ${seat(a.seat)}`);
  if ((b.status ?? null) !== (a.status ?? null)) parts.push(`${status(b.status)} → ${status(a.status)}`);
  return parts.join(', ');
}

// A timestamp as a short local date and time (the API's times are UTC, RFC 3339).
export function when(text) {
  if (!text) return '—';
  const t = new Date(text);
  if (Number.isNaN(t.getTime())) return text;
  return t.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

// A role held, in words: the role's name (or the raw value), and where it comes from.
export function roleName(role) {
  return role.role || `${role.value} (unknown role)`;
}

export function roleSource(role) {
  if (role.source === 'group') return `group “${role.group ?? ''}”`;
  if (role.source === 'roles_attribute') return 'roles attribute';
  return role.source;
}

// The user's role names, deduplicated, for a table cell.
export function roleList(user) {
  const names = [...new Set((user.roles || []).map(roleName))];
  return names.length ? names.join(', ') : '—';
}

// What the next update call will do to `seat` chosen by hand, from what explain says about the user
// (`target_seat`, managed by DI) and the plan (DI on, seat mapping, plan model).
export function nextUpdateCall(seat, user, plan) {
  const target = user.target_seat;
  if (plan.plan_model === 'legacy') {
    return 'On a legacy plan, member means licensed and viewer unlicensed; the next update call applies the roles.';
  }
  if (!plan.di_enabled) {
    return `DI is off: nothing changes the seat until DI is on; then this user’s first update call makes it ${seatLabel(target)}.`;
  }
  if (plan.seat_mapping === 'viewer_only') {
    return 'seat_mapping = viewer_only: update calls do not move seats, so this seat stays.';
  }
  if (!user.managed_by_directory) {
    return `Not managed by DI yet: the IdP’s first write over this user is its first update call; its roles ask for ${seatLabel(target)}.`;
  }
  if (seat === target) {
    return `The roles ask for ${seatLabel(target)} too: the next update call keeps it.`;
  }
  return `The roles ask for ${seatLabel(target)}: the next update call for this user (a change of its roles or role groups in the IdP) will make the seat ${seatLabel(target)}. To keep ${seatLabel(seat)}, change the roles in the IdP, or turn DI off.`;
}
