// API tokens: create (the secret is shown once, with a copy button), list, revoke.

import { api } from './api.js';
import { busy, card, field, fill, h, notice, select, table, title } from './dom.js';
import { when } from './words.js';

const SCOPES = [['scim', 'scim — for the IdP’s provisioning'], ['admin', 'admin — this console and the admin API'], ['metrics', 'metrics — a Prometheus scrape job']];

async function copy(text, input) {
  try {
    await navigator.clipboard.writeText(text);
    return notice('Copied.');
  } catch {
    // No clipboard permission (plain HTTP on another host): select it for Ctrl+C.
    input.focus();
    input.select();
    return notice('Selected: press Ctrl+C (or ⌘C) to copy.', 'warn');
  }
}

function secret(created) {
  const input = h('input', { type: 'text', id: 'new-token', readOnly: true, value: created.token, class: 'secret', spellcheck: 'false' });
  const status = h('div', { 'aria-live': 'polite' });
  const button = h('button', { type: 'button', id: 'copy-token', class: 'primary' }, 'Copy');
  button.addEventListener('click', async () => fill(status, await copy(created.token, input)));
  return h('div', { class: 'notice warn', id: 'token-secret' },
    h('p', null, h('strong', null, `Token “${created.name}” (${created.scope}) created.`),
      ' This is the only time its secret is shown: copy it now.'),
    field('Secret', input), h('div', { class: 'actions' }, button), status);
}

export async function tokens(ctx) {
  const list = await api('GET', '/admin/tokens');
  const status = h('div', { class: 'status', 'aria-live': 'polite' });
  const name = h('input', { type: 'text', id: 'token-name', required: true, autocomplete: 'off', maxlength: 200 });
  const scope = select({ id: 'token-scope' }, SCOPES, 'scim');
  const form = h('form', { id: 'token-form', onsubmit: busy(status, 'Creating', async () => {
    const created = await api('POST', '/admin/tokens', { json: { name: name.value.trim(), scope: scope.value } });
    name.value = '';
    return secret(created);
  }) },
  field('Name', name, 'What it is for, e.g. “Entra ID production”.'), field('Scope', scope),
  h('button', { type: 'submit', class: 'primary' }, 'Create token'));
  const revoke = (t) => () => {
    const yes = h('button', { type: 'button', class: 'danger', id: 'revoke-confirm' }, `Revoke “${t.name}”`);
    yes.addEventListener('click', busy(status, 'Revoking', async () => {
      await api('DELETE', `/admin/tokens/${encodeURIComponent(t.id)}`);
      ctx.flash(notice(`Token “${t.name}” revoked: requests with it are refused from now on.`));
      ctx.refresh();
    }));
    fill(status, h('div', { class: 'notice warn' },
      h('p', null, `Revoke “${t.name}” (${t.scope})? Whatever uses it stops working at once.`),
      h('div', { class: 'actions' }, yes, h('button', { type: 'button', onclick: () => fill(status) }, 'Cancel'))));
    yes.focus();
  };
  const rows = list.items.map((t) => [
    t.name, t.scope, when(t.created), t.last_used ? when(t.last_used) : 'never',
    t.revoked ? `Revoked ${when(t.revoked)}` : h('button', { type: 'button', class: 'revoke', 'data-token': t.id, onclick: revoke(t) }, 'Revoke…'),
  ]);
  return [
    title('Tokens'),
    card('Create a token', form, status),
    card('Tokens', table({ id: 'tokens-table' }, 'Tokens', ['Name', 'Scope', 'Created', 'Last used', ''], rows)),
  ];
}
