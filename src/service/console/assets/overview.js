// The overview: the DI switch (with its preview before turning on), seats and users as charts, the
// deprovision guard, validated domains, reconcile and the latest audit events.

import { api, query } from './api.js';
import { bars, userCounts } from './charts.js';
import { busy, card, field, fill, h, notice, problem, table, title } from './dom.js';
import { actionWords, movement, seatLabel, when } from './words.js';

const SHOWN = 100;

export function userLink(id, text) {
  return id ? h('a', { href: `#/user/${encodeURIComponent(id)}` }, text || id) : text || '—';
}

function change(c) {
  const from = c.from ? seatLabel(c.from) : '—';
  const to = c.to ? seatLabel(c.to) : '—';
  return [userLink(c.user_id, c.userName), from, to, c.detail || c.reason];
}

// A preview of seat changes (DI enable, reconcile, a guarded setting): counts, the first changes,
// the upgrades the seat limit blocks, and the plan users no IdP has touched yet.
export function previewBlock(preview, id) {
  const changes = preview.changes || [];
  const limited = preview.seat_limited || [];
  // A preview lists its first changes; the totals count every user.
  const total = preview.changes_total ?? changes.length;
  const limitedTotal = preview.seat_limited_total ?? limited.length;
  const untouched = preview.untouched_plan_users;
  return h('div', { id, class: 'preview' },
    h('p', { class: 'preview-counts' },
      h('strong', null, `${preview.downgrades ?? 0} downgrade(s)`), ', ',
      h('strong', null, `${preview.upgrades ?? 0} upgrade(s)`),
      ` at the users’ next update calls (${total.toLocaleString('en-US')} change(s) in all).`),
    changes.length ? table({ class: 'changes' }, 'Seat changes', ['User', 'From', 'To', 'Why'], changes.slice(0, SHOWN).map(change)) : null,
    total > SHOWN ? h('p', { class: 'hint' }, `…and ${(total - SHOWN).toLocaleString('en-US')} more (the drift report lists every user whose seat differs from what its roles ask for).`) : null,
    limitedTotal ? h('p', null, `${limitedTotal.toLocaleString('en-US')} upgrade(s) blocked by member_seat_limit: `,
      limited.slice(0, 20).map((l, i) => [i ? ', ' : '', userLink(l.user_id, l.userName)])) : null,
    untouched?.users ? h('div', { class: 'notice warn untouched' },
      h('strong', null, 'Plan users not yet matched by an IdP. '), untouched.note) : null);
}

function diCard(ctx, di) {
  const status = h('div', { class: 'status', 'aria-live': 'polite' });
  const enable = async (force) => {
    try {
      await api('POST', '/admin/di/enable', { json: force ? { force: true } : {} });
      ctx.flash(notice(force ? 'Directory Integration is on (forced past the downgrades).' : 'Directory Integration is on.'));
      ctx.refresh();
      return undefined;
    } catch (err) {
      // The plan moved since the preview: show the new one.
      if (err.code === 'di_enable_would_downgrade') return confirmOn(err.body, err);
      throw err;
    }
  };
  // A preview needs room: the card takes the whole row while it is open.
  const widen = (on) => status.closest('.card')?.classList.toggle('wide', on);
  const confirmOn = (preview, refusal) => {
    widen(true);
    const downgrades = preview.downgrades ?? 0;
    const ack = h('input', { type: 'checkbox', id: 'di-force-ack' });
    const go = h('button', { type: 'button', id: 'di-confirm', class: downgrades ? 'danger' : 'primary', disabled: downgrades > 0 },
      downgrades ? `Turn DI on anyway (${downgrades} downgrade(s))` : 'Turn DI on');
    ack.addEventListener('change', () => { go.disabled = !ack.checked; });
    go.addEventListener('click', busy(status, 'Turning DI on', () => enable(downgrades > 0)));
    return h('div', null,
      refusal ? problem(refusal) : null,
      h('h3', null, 'Before turning DI on'),
      previewBlock(preview, 'di-preview'),
      downgrades ? h('div', { class: 'check' }, ack, h('label', { for: 'di-force-ack' },
        `I have reviewed the ${downgrades} downgrade(s): these members become viewers at their next update call.`)) : null,
      h('div', { class: 'actions' }, go,
        h('button', { type: 'button', id: 'di-cancel', onclick: () => { widen(false); fill(status); } }, 'Cancel')));
  };
  const on = h('button', { type: 'button', id: 'di-on', class: 'primary' }, 'Turn DI on…');
  on.addEventListener('click', busy(status, 'Computing the preview', async () =>
    confirmOn(await api('POST', '/admin/di/enable', { json: { dry_run: true } }))));
  const off = h('button', { type: 'button', id: 'di-off' }, 'Turn DI off…');
  off.addEventListener('click', () => {
    const yes = h('button', { type: 'button', id: 'di-off-confirm', class: 'danger' }, 'Turn DI off');
    yes.addEventListener('click', busy(status, 'Turning DI off', async () => {
      await api('POST', '/admin/di/disable');
      ctx.flash(notice('Directory Integration is off.'));
      ctx.refresh();
    }));
    fill(status, h('div', { class: 'notice warn' },
      h('p', null, 'While DI is off the IdP’s SCIM writes are refused (403) and change nothing; reads go on. Turn it off?'),
      h('div', { class: 'actions' }, yes, h('button', { type: 'button', onclick: () => fill(status) }, 'Cancel'))));
    yes.focus();
  });
  return card('Directory Integration',
    h('p', { class: 'big' }, 'DI is ', h('strong', { id: 'di-state', class: di.enabled ? 'on' : 'off' }, di.enabled ? 'on' : 'off'),
      di.changed_at ? h('span', { class: 'hint' }, ` since ${when(di.changed_at)}`) : null),
    h('p', null, di.enabled
      ? 'The IdP’s update calls set seats from roles and role groups.'
      : 'SCIM writes are refused; seats stay as the admins set them.'),
    h('div', { class: 'actions' }, di.enabled ? off : on),
    status);
}

function chartsCards(counts, base) {
  const active = counts.filter((c) => c.status === 'active');
  const bySeat = ['member', 'provisional_member', 'viewer', 'no_access', 'guest']
    .map((seat) => [seatLabel(seat, base), active.filter((c) => c.seat === seat).reduce((n, c) => n + c.n, 0), `seat-${seat}`]);
  const noSeat = active.filter((c) => c.seat === 'none').reduce((n, c) => n + c.n, 0);
  if (noSeat) bySeat.push(['No seat type (legacy)', noSeat, 'seat-none']);
  const byStatus = ['active', 'deactivated']
    .map((st) => [st === 'active' ? 'Active' : 'Deactivated', counts.filter((c) => c.status === st).reduce((n, c) => n + c.n, 0), `status-${st}`]);
  const total = byStatus.reduce((n, r) => n + r[1], 0);
  return [
    card('Seats of active users', bars('chart-seats', 'Seats of active users', bySeat)),
    card('Users by status', bars('chart-status', 'Users by status', byStatus),
      h('p', { class: 'hint' }, `${total.toLocaleString()} user(s) on the plan. `, h('a', { href: '#/users' }, 'See the users'))),
  ];
}

function guardCard(ctx, guard) {
  const status = h('div', { class: 'status', 'aria-live': 'polite' });
  const reset = h('button', { type: 'button', id: 'guard-reset' }, 'Reset the guard…');
  reset.addEventListener('click', () => {
    const yes = h('button', { type: 'button', id: 'guard-reset-confirm', class: 'danger' }, 'Reset');
    yes.addEventListener('click', busy(status, 'Resetting', async () => {
      await api('POST', '/admin/deprovision-guard/reset');
      ctx.flash(notice('The deprovision guard was reset: the IdP’s deprovisioning requests flow again.'));
      ctx.refresh();
    }));
    fill(status, h('div', { class: 'notice warn' },
      h('p', null, 'After a reset the IdP’s held deactivations and deletes go through on its next retries. Reset?'),
      h('div', { class: 'actions' }, yes, h('button', { type: 'button', onclick: () => fill(status) }, 'Cancel'))));
  });
  return card('Deprovision guard',
    h('p', { class: 'big' }, h('strong', { id: 'guard-state', class: guard.tripped ? 'off' : 'on' }, guard.tripped ? 'Tripped' : 'Armed')),
    h('p', null, `${guard.deprovisions_in_window} of at most ${guard.max} SCIM deactivations or deletes in the last ${guard.window_minutes} minute(s).`,
      guard.tripped ? ' Further deprovisioning requests get 429 until an admin resets the guard.' : ''),
    guard.last_reset ? h('p', { class: 'hint' }, `Last reset ${when(guard.last_reset)}.`) : null,
    h('div', { class: 'actions' }, reset),
    status);
}

function domainsCard(ctx, domains) {
  const status = h('div', { class: 'status', 'aria-live': 'polite' });
  const name = h('input', { type: 'text', name: 'domain', autocomplete: 'off', placeholder: 'example.com', required: true });
  const act = (label, method, path, done) => busy(status, label, async () => {
    await api(method, path, method === 'POST' && !path.endsWith('/verify') ? { json: { name: name.value.trim() } } : {});
    ctx.flash(notice(done));
    ctx.refresh();
  });
  const rows = domains.map((d) => [
    d.name,
    d.verified ? 'Validated' : 'Not verified',
    h('div', { class: 'actions' },
      d.verified ? null : h('button', { type: 'button', onclick: act('Verifying', 'POST', `/admin/domains/${encodeURIComponent(d.name)}/verify`, `${d.name} is validated.`) }, 'Verify'),
      h('button', { type: 'button', onclick: act('Removing', 'DELETE', `/admin/domains/${encodeURIComponent(d.name)}`, `${d.name} was removed.`) }, 'Remove')),
  ]);
  const form = h('form', { class: 'inline', onsubmit: act('Adding', 'POST', '/admin/domains', 'Domain added; verify it to validate it.') },
    field('Add a domain', name), h('button', { type: 'submit' }, 'Add'));
  return card('Validated domains',
    domains.length ? table({ id: 'domains' }, 'Domains', ['Domain', 'State', ''], rows) : h('p', null, 'No domain yet: DI needs one validated domain.'),
    form, status);
}

function reconcileCard(ctx) {
  const status = h('div', { id: 'reconcile-status', class: 'status', 'aria-live': 'polite' });
  const apply = h('button', { type: 'button', id: 'reconcile-apply', class: 'danger' }, 'Apply to every user');
  apply.addEventListener('click', busy(status, 'Reconciling', async () => {
    const result = await api('POST', '/admin/reconcile', { json: { dry_run: false } });
    return h('div', null, notice(`Reconciled: ${(result.changes_total ?? result.changes.length).toLocaleString('en-US')} user(s) changed.`), previewBlock(result, 'reconcile-result'));
  }));
  const preview = h('button', { type: 'button', id: 'reconcile-preview' }, 'Preview reconcile');
  preview.addEventListener('click', busy(status, 'Computing what reconcile would do', async () => {
    const result = await api('POST', '/admin/reconcile', { json: { dry_run: true } });
    status.closest('.card')?.classList.add('wide');
    return h('div', null, previewBlock(result, 'reconcile-result'),
      result.changes.length ? h('div', { class: 'actions' }, apply) : notice('Every user already has the seat its roles ask for.'));
  }));
  const sweep = h('button', { type: 'button', id: 'sweep' }, 'Run the provisional review sweep');
  sweep.addEventListener('click', busy(status, 'Sweeping', async () => {
    const result = await api('POST', '/admin/provisional/sweep');
    return notice(`Review sweep done: ${(result.changes_total ?? result.changes.length).toLocaleString('en-US')} provisional member(s) changed.`);
  }));
  return card('Reconcile',
    h('p', null, 'Applies the group logic to every user now, instead of disabling DI, re-assigning the groups and enabling it again. Preview first.'),
    h('div', { class: 'actions' }, preview, sweep), status);
}

export function eventRows(events) {
  return events.map((e) => [
    h('time', { datetime: e.at }, when(e.at)),
    actionWords(e.action),
    e.user_id ? userLink(e.user_id, e.user_id.slice(0, 8)) : '—',
    movement(e),
    `${e.actor} (${e.source})`,
    e.reason || '',
  ]);
}

export const EVENT_HEADERS = ['When', 'What', 'User', 'Change', 'By', 'Reason'];

export async function overview(ctx) {
  const [di, metrics, guard, domains, audit] = await Promise.all([
    api('GET', '/admin/di'),
    api('GET', '/metrics'),
    api('GET', '/admin/deprovision-guard'),
    api('GET', '/admin/domains'),
    api('GET', `/admin/audit${query({ limit: 10 })}`),
  ]);
  const base = ctx.plan.base_seat_label;
  return [
    title('Overview'),
    h('div', { class: 'grid' },
      diCard(ctx, di),
      guardCard(ctx, guard),
      chartsCards(userCounts(metrics), base),
      domainsCard(ctx, domains.items),
      reconcileCard(ctx)),
    card('Latest audit events',
      table({ id: 'latest-events' }, 'Latest audit events', EVENT_HEADERS, eventRows(audit.items)),
      h('p', null, h('a', { href: '#/reports' }, 'The whole audit log'))),
  ];
}
