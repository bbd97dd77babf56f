// Importing a plan from a user list CSV: always a dry run first, showing what would happen (or every
// refused row with its line), then the import itself, all or none.

import { api } from './api.js';
import { busy, card, field, fill, h, notice, problem, table, title } from './dom.js';

const COLUMNS = 'Name, Email, Status, Seat type, Division, Department, Cost Center (Roles, Managed by DI and Last updated are read but not applied)';

function outcome(report) {
  const verb = report.applied ? 'created' : 'would be created';
  return notice(`${report.rows} row(s): ${report.created} ${verb}, ${report.skipped_identical} skipped as identical (already on the plan as written).`);
}

function refusal(err) {
  const rows = err.body?.rows || [];
  return h('div', null, problem(err),
    rows.length ? table({ id: 'import-refused' }, 'Refused rows', ['Line', 'Why'], rows.map((r) => [String(r.line), r.why])) : null);
}

export async function importPage(ctx) {
  const text = h('textarea', { id: 'import-csv', rows: 10, spellcheck: 'false', autocomplete: 'off', wrap: 'off' });
  const file = h('input', { type: 'file', id: 'import-file', accept: '.csv,text/csv' });
  const status = h('div', { id: 'import-status', 'aria-live': 'polite' });
  const check = h('button', { type: 'button', id: 'import-check', class: 'primary' }, 'Check (dry run)');
  const apply = h('button', { type: 'button', id: 'import-apply', disabled: true }, 'Import');
  // The text the last successful dry run checked: only that text may be imported.
  let checked = null;
  const changed = () => {
    apply.disabled = text.value !== checked;
  };
  text.addEventListener('input', changed);
  file.addEventListener('change', async () => {
    if (file.files[0]) {
      text.value = await file.files[0].text();
      changed();
    }
  });
  const run = (dryRun) => busy(status, dryRun ? 'Checking every row' : 'Importing', async () => {
    const csv = text.value;
    if (!csv.trim()) return notice('Paste a CSV or choose a file first.', 'warn');
    try {
      const report = await api('POST', `/admin/users/import${dryRun ? '?dry_run=true' : ''}`, { csv });
      checked = dryRun ? csv : null;
      changed();
      if (dryRun) return h('div', null, outcome(report), h('p', null, 'Nothing was changed yet. Import to apply it.'));
      ctx.flash(h('div', null, outcome(report), h('p', null, h('a', { href: '#/users' }, 'See the users'))));
      ctx.refresh();
      return undefined;
    } catch (err) {
      checked = null;
      changed();
      return refusal(err);
    }
  });
  check.addEventListener('click', run(true));
  apply.addEventListener('click', run(false));
  return [
    title('Import a plan'),
    card('User list CSV',
      h('p', null, 'Plan users as if added in Admin Center (not managed by DI), all or none. A header row names the columns, in any order: ',
        COLUMNS, '. Email is required. Up to 1 MiB here (about 10,000 rows); the command line imports any size.'),
      field('CSV text', text, 'Paste it, or choose a file below.'),
      field('Or a file', file),
      h('div', { class: 'actions' }, check, apply),
      status),
  ];
}
