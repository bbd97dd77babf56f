// The console's shell: sign-in with an admin token, the navigation, and a router over the address's
// fragment (#/users, #/user/ID, …) that renders one page at a time from the admin API.

import { api, onTokenRefused, session } from './api.js';
import { field, fill, h, problem, watchProgress } from './dom.js';
import { importPage } from './import.js';
import { overview } from './overview.js';
import { reports } from './reports.js';
import { settings } from './settings.js';
import { tokens } from './tokens.js';
import { user } from './user.js';
import { users } from './users.js';

const PAGES = [
  ['overview', 'Overview', overview],
  ['users', 'Users', users],
  ['settings', 'Settings', settings],
  ['tokens', 'Tokens', tokens],
  ['reports', 'Reports', reports],
  ['import', 'Import', importPage],
];

const root = document.getElementById('app');
let shell = null;
let flashed = null;
let generation = 0;

// Why the API refused a token, in words a person can act on.
function refusalWords(err) {
  if (err.status === 401) return 'This token was refused: it is wrong, or it has been revoked. Paste a valid admin token (scim-seat token create --scope admin --name NAME prints one).';
  if (err.status === 403) return 'This token is valid but is not an admin token (its scope is scim or metrics). The console needs a token of scope admin.';
  if (err.status === 429) return 'Too many refused tokens from this address: wait a little, then try again.';
  return err.detail || String(err);
}

function signIn(message) {
  shell = null;
  generation += 1;
  const input = h('input', { type: 'password', id: 'token', name: 'token', autocomplete: 'off', spellcheck: 'false', required: true });
  const status = h('div', { id: 'signin-status', 'aria-live': 'assertive' },
    message ? h('div', { class: `notice ${message.kind}`, role: 'alert' }, message.text) : null);
  const button = h('button', { type: 'submit', id: 'sign-in', class: 'primary' }, 'Sign in');
  const form = h('form', { id: 'signin', class: 'card signin' },
    h('h1', null, 'scim-seat admin console'),
    h('p', null, 'Sign in with an admin token. It is kept in this browser tab only (sessionStorage), sent with each request to this appliance, and gone when the tab closes or you sign out.'),
    field('Admin token', input, 'Starts with sst_. A first one is printed by scim-seat init.'),
    button, status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (!token) return;
    button.disabled = true;
    fill(status, h('p', { role: 'status' }, 'Checking the token…'));
    try {
      await api('GET', '/admin/di', { token });
      session.save(token);
      input.value = '';
      route(true);
    } catch (err) {
      fill(status, h('div', { class: 'notice error', role: 'alert', id: 'signin-error' }, refusalWords(err)));
      input.select();
    } finally {
      button.disabled = false;
    }
  });
  root.classList.remove('loading');
  fill(root, h('main', { id: 'main', class: 'narrow' }, form));
  input.focus();
}

function signOut(message) {
  session.clear();
  history.replaceState(null, '', location.pathname);
  signIn(message);
}

// A long action shows how far the appliance's newest whole-plan run is (GET /admin/operations).
watchProgress(async () => (await api('GET', '/admin/operations')).items.at(-1));

onTokenRefused(() => signOut({ kind: 'error', text: 'The appliance refused your token (it was revoked, or the database changed): you are signed out. Sign in again with a valid admin token.' }));

function buildShell() {
  const links = PAGES.map(([path, name]) => h('a', { href: `#/${path}`, 'data-page': path }, name));
  const di = h('span', { id: 'di-badge', class: 'badge' });
  const main = h('main', { id: 'main', tabindex: '-1' });
  const top = h('header', { class: 'top' },
    h('a', { class: 'brand', href: '#/overview' }, 'scim-seat'),
    h('nav', { 'aria-label': 'Console' }, h('ul', null, links.map((a) => h('li', null, a)))),
    di,
    h('button', { type: 'button', id: 'sign-out', onclick: () => signOut({ kind: 'ok', text: 'Signed out: the token is forgotten.' }) }, 'Sign out'));
  root.classList.remove('loading');
  fill(root, top, main);
  return { links, di, main };
}

// Which page the fragment names, with its parameters and query.
function parse(hash) {
  const [path, search] = hash.replace(/^#\/?/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const query = Object.fromEntries(new URLSearchParams(search || ''));
  if (parts[0] === 'user' && parts[1]) return { page: 'users', render: user, params: { id: parts[1] }, query };
  const found = PAGES.find(([p]) => p === parts[0]) || PAGES[0];
  return { page: found[0], render: found[2], params: {}, query };
}

async function route(focus) {
  if (!session.token()) return signIn();
  const hash = location.hash.startsWith('#/') ? location.hash : '#/overview';
  if (!shell) shell = buildShell();
  const mine = ++generation;
  const { page, render, params, query } = parse(hash);
  for (const a of shell.links) {
    if (a.dataset.page === page) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  shell.main.setAttribute('aria-busy', 'true');
  try {
    const plan = await api('GET', '/admin/settings');
    fill(shell.di, `DI ${plan.di_enabled ? 'on' : 'off'}`);
    shell.di.className = `badge ${plan.di_enabled ? 'on' : 'off'}`;
    const ctx = {
      plan,
      params,
      query,
      go: (to) => { location.hash = to; },
      refresh: () => route(false),
      flash: (node) => { flashed = node; },
    };
    const content = await render(ctx);
    if (mine !== generation) return undefined;
    const note = flashed;
    flashed = null;
    fill(shell.main, note ? h('div', { id: 'flash' }, note) : null, content);
    const heading = document.getElementById('page-title');
    if (heading) document.title = `${heading.firstChild?.textContent || heading.textContent} — scim-seat`;
    if (focus && heading) heading.focus();
  } catch (err) {
    if (mine === generation && err.status !== 401) fill(shell.main, problem(err));
  } finally {
    if (mine === generation) shell.main.removeAttribute('aria-busy');
  }
  return undefined;
}

// The skip link moves the focus to the page's heading (not to a #main fragment, which is no page).
document.querySelector('.skip')?.addEventListener('click', (event) => {
  event.preventDefault();
  (document.getElementById('page-title') || document.querySelector('#main input') || document.getElementById('main'))?.focus();
});
window.addEventListener('hashchange', () => route(true));
route(false);
