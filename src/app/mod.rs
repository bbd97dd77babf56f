//! Wiring: what each command does with the store, the listeners, the workers, signals, systemd and
//! shutdown. `run` returns the process exit code: 0 ok, 1 failure (2, usage, is clap's).

mod serve;

use crate::cli::{
    BackupArgs, Cli, Command, DiCommand, DomainCommand, IdpCommand, IdpSyncArgs, InitArgs, JsonArgs,
    ReportCommand, SeatCommand, SettingsCommand, TokenCommand, UsersCommand,
};
use crate::domain::seats::SettingValue;
use crate::error::{Error, Result};
use crate::scim::resource::PlanUserFields;
use crate::service::admin::{self, users::NewPlanUser, users::UserQuery};
use crate::service::seats::Actor;
use crate::service::views::View;
use crate::store::tokens::{self, NewToken, Scope};
use crate::store::{Store, domains, settings, state};
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};

pub fn run(cli: Cli) -> i32 {
    // Every file scim-seat creates (database, WAL, backups, reports, token files) is its owner's
    // alone, whatever the umask of the shell or unit that started it.
    // SAFETY: umask only sets this process's file mode creation mask.
    unsafe {
        libc::umask(0o077);
    }
    match dispatch(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {}", e.detail);
            1
        }
    }
}

fn dispatch(command: Command) -> Result<i32> {
    match command {
        Command::Serve(args) => serve::serve(args),
        Command::Init(args) => init(args),
        Command::Token(cmd) => token(cmd),
        Command::Check(args) => check(args),
        Command::Backup(args) => backup(args),
        Command::Di(cmd) => di(cmd),
        Command::Users(cmd) => users(cmd),
        Command::Seat(SeatCommand::Set { db, id, seat, reason, json }) => {
            let store = Store::open_existing(&db.db)?;
            emit(&admin::users::set_seat(&store, &Actor::cli(), &id, seat, reason.as_deref())?, json)
        }
        Command::Domain(cmd) => domain(cmd),
        Command::Settings(cmd) => settings(cmd),
        Command::Reconcile(args) => {
            let store = Store::open_existing(&args.db.db)?;
            emit(&admin::reconcile::reconcile(&store, &Actor::cli(), !args.apply)?, args.json)
        }
        Command::Report(ReportCommand::Drift(args)) => {
            let reader = Store::open_existing(&args.db.db)?.reader()?;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            if args.json {
                let mut report = admin::reports::DriftText::new(reader, admin::reports::DriftFormat::Json)?;
                write_batches(&mut out, |buf| report.next_batch(buf))?;
                writeln!(out)?;
            } else {
                let mut drift = admin::reports::Drift::new(reader)?;
                write!(out, "{}", crate::output::drift_table_head())?;
                let mut items = Vec::new();
                while drift.next_items(&mut items)? {
                    for item in items.drain(..) {
                        write!(out, "{}", crate::output::drift_table_row(&item))?;
                    }
                }
                write!(out, "{}", crate::output::drift_table_foot(drift.counts()))?;
            }
            out.flush()?;
            Ok(0)
        }
        Command::Report(ReportCommand::Users { db, out, force }) => {
            let store = Store::open_existing(&db.db)?;
            let mut report = admin::reports::UserList::new(store.reader()?)?;
            match out {
                Some(path) => {
                    let mut file = std::io::BufWriter::new(crate::util::create_private_file(&path, force)?);
                    write_batches(&mut file, |buf| report.next_batch(buf))?;
                    file.into_inner().map_err(|e| e.into_error())?.sync_all()?;
                    eprintln!("user list written to {}", path.display());
                }
                None => {
                    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                    write_batches(&mut out, |buf| report.next_batch(buf))?;
                    out.flush()?;
                }
            }
            Ok(0)
        }
        Command::Sweep(args) => {
            let store = Store::open_existing(&args.db.db)?;
            emit(&admin::reconcile::sweep(&store, &Actor::cli())?, args.json)
        }
        Command::Reload(args) => serve::reload(args),
        Command::Idp(IdpCommand::Sync(args)) => idp_sync(args),
    }
}

/// `idp sync`: one cycle, its summary, exit 1 when anything failed or the cycle stopped.
fn idp_sync(args: IdpSyncArgs) -> Result<i32> {
    let config = crate::idp::SyncConfig {
        dialect: args.dialect,
        directory: args.directory,
        target: args.target,
        token: args.token,
        cacert: args.cacert,
        state: args.state,
        log: args.log,
        dry_run: args.dry_run,
        connections: usize::from(args.connections),
    };
    let summary = crate::idp::sync(&config)?;
    if args.json {
        println!("{}", summary.json());
    } else {
        print!("{}", summary.text());
    }
    let failures = summary.failures();
    let problem = match (failures, summary.stopped.is_some()) {
        (0, false) => None,
        (0, true) => Some("the cycle stopped before any user was attempted; see STOPPED above".to_string()),
        (n, true) => {
            Some(format!("{n} user(s) or group(s) failed and the cycle stopped; the log says which and why"))
        }
        (n, false) => Some(format!("{n} user(s) or group(s) failed; the log says which and why")),
    };
    if let Some(problem) = problem {
        eprintln!("error: {problem}");
        return Ok(1);
    }
    Ok(0)
}

/// Prints an operation's answer: its JSON with `--json`, else a readable form.
fn emit(view: &impl View, as_json: bool) -> Result<i32> {
    if as_json {
        println!("{}", view.json());
    } else {
        print!("{}", crate::output::human(&view.json()));
    }
    Ok(0)
}

fn di(cmd: DiCommand) -> Result<i32> {
    match cmd {
        DiCommand::Enable { db, force, dry_run, json } => {
            let store = Store::open_existing(&db.db)?;
            match admin::di::enable(&store, &Actor::cli(), force, dry_run) {
                Ok(v) => emit(&v, json),
                Err(e) => {
                    // Show the preview the refusal is about, then fail.
                    print_refusal(&e, json);
                    Err(e)
                }
            }
        }
        DiCommand::Disable(args) => {
            emit(&admin::di::disable(&Store::open_existing(&args.db.db)?, &Actor::cli())?, args.json)
        }
        DiCommand::Status(args) => {
            emit(&admin::di::status(&Store::open_existing(&args.db.db)?.reader()?)?, args.json)
        }
    }
}

fn users(cmd: UsersCommand) -> Result<i32> {
    match cmd {
        UsersCommand::Add {
            db,
            user_name,
            seat,
            email,
            given_name,
            family_name,
            division,
            department,
            cost_center,
            json,
        } => {
            let fields = PlanUserFields {
                user_name,
                display_name: None,
                given_name,
                family_name,
                email,
                division,
                department,
                cost_center,
            };
            let new = NewPlanUser { fields, seat, deactivated: false };
            emit(&admin::users::add(&Store::open_existing(&db.db)?, &Actor::cli(), &new)?, json)
        }
        UsersCommand::Import { db, file, dry_run, json } => import(&db.db, &file, dry_run, json),
        UsersCommand::List { db, status, seat, q, managed, include_pending, limit, cursor, all, json } => {
            let store = Store::open_existing(&db.db)?;
            let conn = store.reader()?;
            let limit = limit.map(usize::from).or(all.then_some(admin::MAX_LIMIT));
            let query = UserQuery { status, seat, q, managed, include_pending, cursor, limit };
            if all {
                return list_all(&conn, query, json);
            }
            let page = admin::users::list(&conn, &query)?;
            if json {
                println!("{}", page.json());
            } else {
                print!("{}", crate::output::user_page(&page));
            }
            Ok(0)
        }
        UsersCommand::Show { db, id, json } => {
            emit(&admin::users::get(&Store::open_existing(&db.db)?.reader()?, &id)?, json)
        }
        UsersCommand::Explain { db, id, json } => {
            emit(&admin::users::explain(&Store::open_existing(&db.db)?.reader()?, &id)?, json)
        }
    }
}

/// `users list --all`: every page from the cursor on, each written (and flushed) as it is read, so
/// memory follows one page whatever the plan's size. JSON keeps the shape of a page (`items`, and a
/// `next_cursor` that is null). A reader that goes away (`| head`) ends the listing quietly.
fn list_all(conn: &crate::store::Reader, mut query: UserQuery, json: bool) -> Result<i32> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = (|| -> std::io::Result<Result<usize>> {
        let mut count = 0usize;
        let head = if json { "{\"items\":[".to_string() } else { crate::output::user_table_head() };
        out.write_all(head.as_bytes())?;
        loop {
            let page = match admin::users::list(conn, &query) {
                Ok(page) => page,
                Err(e) => return Ok(Err(e)),
            };
            for u in &page.items {
                if json {
                    if count > 0 {
                        out.write_all(b",")?;
                    }
                    serde_json::to_writer(&mut out, &u.json())?;
                } else {
                    out.write_all(crate::output::user_row(u).as_bytes())?;
                }
                count += 1;
            }
            out.flush()?;
            match page.next_cursor.and_then(|c| c.parse().ok()) {
                Some(next) => query.cursor = Some(next),
                None => break,
            }
        }
        if json {
            out.write_all(b"],\"next_cursor\":null}\n")?;
        } else {
            writeln!(out, "{count} user(s)")?;
        }
        out.flush()?;
        Ok(Ok(count))
    })();
    match written {
        Ok(listed) => listed.map(|_| 0),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(0),
        Err(e) => Err(Error::internal(format!("cannot write the list: {e}"))),
    }
}

/// `users import`: progress on a terminal, a summary at the end, every bad row on a refusal (exit 1).
fn import(db: &Path, file: &Path, dry_run: bool, json: bool) -> Result<i32> {
    use std::io::IsTerminal;
    let text = std::fs::read_to_string(file)
        .map_err(|e| Error::invalid_value(format!("cannot read {}: {e}", file.display())))?;
    let store = Store::open_existing(db)?;
    let tty = std::io::stderr().is_terminal();
    let mut progress = |done: usize, total: usize| {
        if tty {
            eprint!("\r{done} of {total} rows checked");
            if done == total {
                eprintln!();
            }
        }
    };
    match admin::import::import(&store, &Actor::cli(), &text, dry_run, &mut progress) {
        Ok(report) => {
            if json {
                println!("{}", report.json());
            } else {
                println!(
                    "{}{} row(s): {} created, {} skipped as identical, 0 refused",
                    if report.dry_run { "dry run, nothing imported: " } else { "" },
                    report.rows,
                    report.created,
                    report.skipped
                );
            }
            Ok(0)
        }
        Err(e) => {
            if json {
                println!("{}", e.admin_body());
            } else if let Some(rows) =
                e.extra.as_deref().and_then(|x| x.get("rows")).and_then(|r| r.as_array())
            {
                for r in rows {
                    println!(
                        "line {}: {}",
                        r["line"],
                        crate::output::text(r["why"].as_str().unwrap_or_default())
                    );
                }
                println!("0 created, 0 skipped as identical, {} refused", rows.len());
            }
            Err(e)
        }
    }
}

fn domain(cmd: DomainCommand) -> Result<i32> {
    match cmd {
        DomainCommand::Add { db, name, json } => {
            emit(&admin::domains::add(&Store::open_existing(&db.db)?, &Actor::cli(), &name)?, json)
        }
        DomainCommand::Verify { db, name, json } => {
            emit(&admin::domains::verify(&Store::open_existing(&db.db)?, &Actor::cli(), &name)?, json)
        }
        DomainCommand::List(args) => {
            emit(&admin::domains::list(&Store::open_existing(&args.db.db)?.reader()?)?, args.json)
        }
    }
}

fn settings(cmd: SettingsCommand) -> Result<i32> {
    match cmd {
        SettingsCommand::Show(args) => {
            emit(&admin::settings::get(&Store::open_existing(&args.db.db)?.reader()?)?, args.json)
        }
        SettingsCommand::Set { db, key, value, force, dry_run, json } => {
            let store = Store::open_existing(&db.db)?;
            let value = key
                .parse_text(&value)
                .map_err(|e| Error::invalid_value(e.to_string()).with_code(e.code()))?;
            set_setting(&store, key.as_str(), value, force, dry_run, json)
        }
        SettingsCommand::Unset { db, key, json } => {
            set_setting(&Store::open_existing(&db.db)?, key.as_str(), SettingValue::Null, false, false, json)
        }
    }
}

/// `settings set` and `unset`: a guarded switch that would move seats prints its preview and exits 1
/// unless `--force`; `--dry-run` only prints the preview.
fn set_setting(
    store: &Store,
    key: &str,
    value: SettingValue,
    force: bool,
    dry_run: bool,
    json: bool,
) -> Result<i32> {
    match admin::settings::set(store, &Actor::cli(), &[(key.to_string(), value)], force, dry_run) {
        Ok(admin::settings::Changed::Settings(v)) => emit(&v, json),
        Ok(admin::settings::Changed::Preview(v)) => emit(&v, json),
        Err(e) => {
            print_refusal(&e, json);
            Err(e)
        }
    }
}

/// Shows what a refusal is about (a preview), before the error line.
fn print_refusal(e: &Error, json: bool) {
    if let Some(extra) = e.extra.as_deref() {
        if json {
            println!("{}", e.admin_body());
        } else {
            print!("{}", crate::output::human(extra));
        }
    }
}
/// Creates the first tokens (and, for a lab, validates the domain and turns DI on) in one
/// transaction, each step in the audit log.
pub(super) fn initialise(store: &Store, lab: Option<&str>, actor: &Actor) -> Result<(NewToken, NewToken)> {
    store.write(|tx| {
        if state::is_initialised(tx)? {
            return Err(Error::conflict(
                "already_initialised",
                format!(
                    "{} is already initialised; tokens are managed with `scim-seat token`",
                    store.path().display()
                ),
            ));
        }
        let admin = tokens::create(tx, "initial admin", Scope::Admin)?;
        let scim = tokens::create(tx, "initial scim", Scope::Scim)?;
        let now = crate::util::now_rfc3339();
        crate::service::seats::audit(
            tx,
            actor,
            "initialised",
            None,
            None,
            None,
            "database initialised: the first admin token (\"initial admin\") and SCIM token (\"initial scim\") created",
        )?;
        if let Some(domain) = lab {
            let d = domains::add(tx, domain, true)?;
            settings::set(tx, crate::domain::seats::SettingKey::DiEnabled, &SettingValue::Bool(true))?;
            state::set_di_changed(tx, &now)?;
            let events = [
                ("domain_verified", format!("lab: domain {} added and verified", d.name)),
                ("di_enabled", "lab: Directory Integration turned on (no user to preview yet)".to_string()),
            ];
            for (action, reason) in events {
                crate::service::seats::audit(tx, actor, action, None, None, None, &reason)?;
            }
        }
        state::set_initialised(tx, &now)?;
        Ok((admin, scim))
    })
}

/// The first start's tokens: printed on a terminal or a pipe, but never into the journal (systemd
/// sets `JOURNAL_STREAM` when stdout goes there): then they are written to `initial-tokens` (mode
/// 0600) beside the database, and only that file's path is logged.
pub(super) fn hand_over_first_tokens(db: &Path, admin: &NewToken, scim: &NewToken) -> Result<()> {
    if std::env::var_os("JOURNAL_STREAM").is_none() {
        print_tokens(admin, scim, false);
        return Ok(());
    }
    let dir = match db.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let path = dir.join("initial-tokens");
    let mut file = crate::util::create_private_file(&path, true)?;
    let text =
        format!("admin token (shown once): {}\nscim token (shown once): {}\n", admin.token, scim.token);
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    log::warn!(
        "first start: the initial admin and SCIM tokens are in {} (mode 0600); read them, store them safely, \
         then delete the file",
        path.display()
    );
    Ok(())
}

fn print_tokens(admin: &NewToken, scim: &NewToken, as_json: bool) {
    if as_json {
        println!("{}", json!({ "admin_token": admin.token, "scim_token": scim.token }));
    } else {
        println!("admin token (shown once): {}", admin.token);
        println!("scim token (shown once): {}", scim.token);
    }
}

fn init(args: InitArgs) -> Result<i32> {
    if let Some(domain) = &args.lab {
        domains::normalize(domain)?;
    }
    let store = Store::open(&args.db.db)?;
    let (admin, scim) = initialise(&store, args.lab.as_deref(), &Actor::cli())?;
    if let (Some(host), Some(dir)) = (&args.self_signed, &args.tls_dir) {
        let (cert, key) = crate::http::tls::self_signed(host, dir)?;
        if !args.json {
            println!("self-signed certificate: {} (key {})", cert.display(), key.display());
        }
    }
    print_tokens(&admin, &scim, args.json);
    Ok(0)
}

fn token(cmd: TokenCommand) -> Result<i32> {
    match cmd {
        TokenCommand::Create { db, scope, name, json } => {
            let t = admin::tokens::create(&Store::open_existing(&db.db)?, &Actor::cli(), &name, scope)?;
            if json {
                println!("{}", t.json());
            } else {
                println!(
                    "token {} ({}, scope {}) created; shown once:",
                    t.info.id,
                    t.info.name,
                    scope.as_str()
                );
                println!("{}", t.token);
            }
        }
        TokenCommand::List(args) => {
            let list = admin::tokens::list(&Store::open_existing(&args.db.db)?.reader()?)?;
            if args.json {
                println!("{}", list.json());
            } else {
                print!("{}", crate::output::token_table(&list.items));
            }
        }
        TokenCommand::Revoke { db, id, json } => {
            let t = admin::tokens::revoke(&Store::open_existing(&db.db)?, &Actor::cli(), &id)?;
            if json {
                println!("{}", t.json());
            } else {
                println!("token {} ({}) revoked", t.id, t.name);
            }
        }
    }
    Ok(0)
}

fn check(args: JsonArgs) -> Result<i32> {
    let crate::store::Check { ok, problems, schema_version: version } =
        crate::store::check_file(&args.db.db)?;
    if args.json {
        println!("{}", json!({ "ok": ok, "schema_version": version, "problems": problems }));
    } else if ok {
        println!("ok: integrity check passed, schema version {version}");
    } else {
        println!("NOT OK (schema version {version}):");
        for p in &problems {
            println!("  {p}");
        }
    }
    Ok(if ok { 0 } else { 1 })
}

fn backup(args: BackupArgs) -> Result<i32> {
    let store = Store::open_existing(&args.db.db)?;
    store.backup(&args.file, args.force)?;
    println!("backup written to {}", args.file.display());
    Ok(0)
}

/// Writes a report made a batch at a time: memory follows one batch.
fn write_batches(out: &mut impl Write, mut next: impl FnMut(&mut Vec<u8>) -> Result<bool>) -> Result<()> {
    let mut buf = Vec::with_capacity(64 * 1024);
    loop {
        buf.clear();
        let more = next(&mut buf)?;
        out.write_all(&buf)?;
        if !more {
            return Ok(());
        }
    }
}
