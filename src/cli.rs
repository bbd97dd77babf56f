//! The command line: clap definitions of every command and flag, each serve flag with its
//! environment-variable twin so a systemd `EnvironmentFile=` configures the service. What the user
//! typed is validated into typed values here; `app` acts on them.

use crate::domain::seats::{Seat, SettingKey, Status};
use crate::idp::Dialect;
use crate::store::tokens::Scope;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "scim-seat",
    version,
    about = "SCIM 2.0 provisioning appliance with Directory Integration seat rules"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args, Clone)]
pub struct DbArg {
    /// The SQLite database file.
    #[arg(long, env = "SCIM_SEAT_DB", default_value = "./scim-seat.db", global = true)]
    pub db: PathBuf,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the SCIM and admin listeners (initialises a missing database first).
    Serve(ServeArgs),
    /// Create and initialise the database; prints a first admin token and SCIM token once.
    Init(InitArgs),
    /// Create, list and revoke bearer tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Integrity check and schema version; exit 1 if not ok.
    Check(JsonArgs),
    /// Online backup of the database to FILE, safe while serving.
    Backup(BackupArgs),
    /// The Directory Integration switch (with the same preview and guard as the admin API).
    #[command(subcommand)]
    Di(DiCommand),
    /// The admin view of users.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Manual seat changes (same rules as PUT /admin/users/{id}/seat).
    #[command(subcommand)]
    Seat(SeatCommand),
    /// Validated domains.
    #[command(subcommand)]
    Domain(DomainCommand),
    /// Plan settings.
    #[command(subcommand)]
    Settings(SettingsCommand),
    /// Apply the group logic to existing users (a dry run unless --apply).
    Reconcile(ReconcileArgs),
    /// Reports.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Run the provisional review expiry now.
    Sweep(JsonArgs),
    /// Make a running `serve` reload its TLS pair (SIGHUP) and wait for the outcome: exit 1 if it
    /// refused the new pair (it keeps the old one). The unit's ExecReload.
    Reload(ReloadArgs),
    /// Drive a SCIM target as Entra ID or Okta would: labs without a cloud.
    #[command(subcommand)]
    Idp(IdpCommand),
}

#[derive(Debug, Subcommand)]
pub enum IdpCommand {
    /// One provisioning cycle from a directory CSV: users matched or created, only what changed
    /// sent, users that left deactivated, groups created and their members changed. Exit 1 when
    /// any user or group failed.
    Sync(IdpSyncArgs),
}

#[derive(Debug, Args)]
pub struct IdpSyncArgs {
    /// Whose provisioning traffic: entra or okta.
    #[arg(long)]
    pub dialect: Dialect,
    /// The directory: a CSV with a header row naming userName, givenName, familyName, email,
    /// department, division, costCenter, active, roles, groups, deleted (roles and groups `;`-separated).
    #[arg(long, value_name = "FILE")]
    pub directory: PathBuf,
    /// The target's SCIM base URL, e.g. https://scim.example.com/v2 (http:// for a lab on loopback).
    #[arg(long, value_name = "URL")]
    pub target: String,
    /// The bearer token the target issued (the environment variable keeps it out of `ps`).
    #[arg(long, env = "SCIM_SEAT_IDP_TOKEN", hide_env_values = true)]
    pub token: String,
    /// Trust exactly this PEM certificate (or chain) instead of the system's CA store.
    #[arg(long, value_name = "PEM")]
    pub cacert: Option<PathBuf>,
    /// The escrow: what was last sent, so that the next cycle sends only the differences.
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Append every request (action, target id, status, error) and the summary as JSON lines.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Send only the reads (matching queries); print every write instead of sending it.
    #[arg(long)]
    pub dry_run: bool,
    /// Requests in flight at once, one keep-alive connection each.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub connections: u16,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum DiCommand {
    /// Turn DI on: refused (exit 1) when members would be downgraded, unless --force.
    Enable {
        #[command(flatten)]
        db: DbArg,
        /// Turn DI on even though the preview downgrades members.
        #[arg(long)]
        force: bool,
        /// Only show the preview.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
    /// Turn DI off (SCIM writes are then refused).
    Disable(JsonArgs),
    /// Whether DI is on, since when, and the validated domains.
    Status(JsonArgs),
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Add a plan user as if added in Admin Center (not managed by DI until the IdP's first write).
    Add {
        #[command(flatten)]
        db: DbArg,
        /// The userName (usually the work email).
        user_name: String,
        /// viewer, member or no_access.
        #[arg(long)]
        seat: Seat,
        /// The work email, when it differs from the userName.
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        given_name: Option<String>,
        #[arg(long)]
        family_name: Option<String>,
        #[arg(long)]
        division: Option<String>,
        #[arg(long)]
        department: Option<String>,
        #[arg(long)]
        cost_center: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Import plan users from a user list CSV (the columns `report users` writes): all or none.
    Import {
        #[command(flatten)]
        db: DbArg,
        /// The CSV file.
        file: PathBuf,
        /// Only check every row against the plan; import nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
    /// List users (pending ones too with --include-pending).
    List {
        #[command(flatten)]
        db: DbArg,
        /// active or deactivated (any case).
        #[arg(long)]
        status: Option<Status>,
        /// A seat type: viewer (also contributor), provisional_member, member, no_access, guest.
        #[arg(long)]
        seat: Option<Seat>,
        /// The start of a userName, display name, email, or the domain of either (any case).
        #[arg(long)]
        q: Option<String>,
        /// Only the users Directory Integration manages (true) or only the others (false).
        #[arg(long)]
        managed: Option<bool>,
        /// Legacy plans: list pending users too (active, unlicensed, never signed in, in no group).
        #[arg(long)]
        include_pending: bool,
        /// Users a page, 1 to 1000 (default 100; with --all, 1000).
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..=1000))]
        limit: Option<u16>,
        /// Start after this cursor: the `next_cursor` the previous page printed.
        #[arg(long)]
        cursor: Option<i64>,
        /// Every page from the cursor on, each written as it is read (for a pipe or a file).
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// One user.
    Show {
        #[command(flatten)]
        db: DbArg,
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Why a user has its seat.
    Explain {
        #[command(flatten)]
        db: DbArg,
        id: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum SeatCommand {
    /// Set a user's seat: viewer, member, no_access (provisional_member is system-triggered only).
    Set {
        #[command(flatten)]
        db: DbArg,
        id: String,
        seat: Seat,
        #[arg(long)]
        reason: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum DomainCommand {
    /// Add a domain (not yet verified).
    Add {
        #[command(flatten)]
        db: DbArg,
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Mark a domain verified.
    Verify {
        #[command(flatten)]
        db: DbArg,
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// List domains.
    List(JsonArgs),
}

#[derive(Debug, Subcommand)]
pub enum SettingsCommand {
    /// Every plan setting.
    Show(JsonArgs),
    /// Change one setting, e.g. `settings set auto_upgrade false` (text is kept as typed).
    /// seat_mapping and plan_model are guarded: a change that would move seats is refused (exit 1,
    /// with the list) unless --force.
    Set {
        #[command(flatten)]
        db: DbArg,
        key: SettingKey,
        value: String,
        /// Apply a guarded switch even though its preview moves seats.
        #[arg(long)]
        force: bool,
        /// Only show what the change would do to seats.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
    /// Clear an optional setting (member_seat_limit, role_group_prefix): null, its default.
    Unset {
        #[command(flatten)]
        db: DbArg,
        key: SettingKey,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct ReconcileArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// Apply the changes (default: only report them).
    #[arg(long)]
    pub apply: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// The user list CSV (Name, Email, Status, Seat type, Roles, Managed by DI, Division, …).
    Users {
        #[command(flatten)]
        db: DbArg,
        /// Write to FILE (mode 0600, never through a link) instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Replace the --out file if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Every user whose seat differs from the seat its roles ask for, with the reason.
    Drift(JsonArgs),
}

#[derive(Debug, Args)]
pub struct JsonArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// Print JSON instead of text for people.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ReloadArgs {
    /// The serving process (systemd passes $MAINPID).
    #[arg(long)]
    pub pid: u32,
    /// How long to wait for its answer, in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    pub timeout_ms: u64,
}

#[derive(Debug, Args)]
pub struct BackupArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// Where to write the copy (mode 0600; it must not exist unless --force).
    pub file: PathBuf,
    /// Replace FILE if it exists (a link there is replaced, never followed).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// Print the tokens as JSON: {"admin_token": …, "scim_token": …}.
    #[arg(long)]
    pub json: bool,
    /// Lab mode: validate DOMAIN and turn Directory Integration on, so provisioning works at once.
    #[arg(long, value_name = "DOMAIN")]
    pub lab: Option<String>,
    /// Also write a self-signed certificate for HOST (labs only) into --tls-dir.
    #[arg(long, value_name = "HOST", requires = "tls_dir")]
    pub self_signed: Option<String>,
    /// Directory for the self-signed certificate and key.
    #[arg(long, value_name = "DIR")]
    pub tls_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token; its secret is printed once.
    Create {
        #[command(flatten)]
        db: DbArg,
        /// scim (for the IdP) or admin (for the admin API).
        #[arg(long)]
        scope: Scope,
        /// A name that tells people what the token is for.
        #[arg(long)]
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// List tokens (never their secrets).
    List(JsonArgs),
    /// Revoke a token by id.
    Revoke {
        #[command(flatten)]
        db: DbArg,
        id: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args, Clone)]
pub struct ServeArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// SCIM listener address (an IP literal and port; port 0 picks a free one).
    #[arg(long, env = "SCIM_SEAT_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Admin listener address.
    #[arg(long, env = "SCIM_SEAT_ADMIN_LISTEN", default_value = "127.0.0.1:8081")]
    pub admin_listen: SocketAddr,
    /// PEM certificate chain; with --tls-key both listeners speak HTTPS.
    #[arg(long, env = "SCIM_SEAT_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key.
    #[arg(long, env = "SCIM_SEAT_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Allow plain HTTP on a non-loopback address (logs a warning).
    #[arg(long, env = "SCIM_SEAT_INSECURE_HTTP")]
    pub insecure_http: bool,
    /// Base path of the SCIM surface, e.g. /v2, /scim/v2, /ftp/scim.
    #[arg(long, env = "SCIM_SEAT_BASE_PATH", default_value = "/v2")]
    pub base_path: String,
    /// Externally visible SCIM base URL for `meta.location` (default: from the listener).
    #[arg(long, env = "SCIM_SEAT_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Worker threads answering SCIM requests.
    #[arg(long, env = "SCIM_SEAT_WORKERS", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub workers: u16,
    /// Open connections allowed per listener.
    #[arg(long, env = "SCIM_SEAT_MAX_CONNECTIONS", default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub max_connections: u32,
    /// Open connections one client address may hold per listener (0: a quarter of --max-connections).
    #[arg(long, env = "SCIM_SEAT_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = 0)]
    pub max_connections_per_address: u32,
    /// Milliseconds a kept-alive connection may wait for its next request.
    #[arg(long, env = "SCIM_SEAT_IDLE_TIMEOUT_MS", default_value_t = 60_000)]
    pub idle_timeout_ms: u64,
    /// Milliseconds from the first byte of a request head to its end.
    #[arg(long, env = "SCIM_SEAT_HEAD_TIMEOUT_MS", default_value_t = 10_000)]
    pub head_timeout_ms: u64,
    /// Milliseconds for a TLS handshake.
    #[arg(long, env = "SCIM_SEAT_HANDSHAKE_TIMEOUT_MS", default_value_t = 10_000)]
    pub handshake_timeout_ms: u64,
    /// Milliseconds for a request body and for each response write.
    #[arg(long, env = "SCIM_SEAT_IO_TIMEOUT_MS", default_value_t = 30_000)]
    pub io_timeout_ms: u64,
    /// Milliseconds a SCIM filter that no index serves may scan before it is refused (400 tooMany).
    #[arg(long, env = "SCIM_SEAT_SCAN_TIMEOUT_MS", default_value_t = 5_000)]
    pub scan_timeout_ms: u64,
    /// On a database that does not exist yet: validate DOMAIN and turn DI on (see `init --lab`).
    #[arg(long, value_name = "DOMAIN")]
    pub lab: Option<String>,
}

impl ServeArgs {
    /// The base path normalised to "" or "/a/b" (leading slash, no trailing slash, no doubles).
    pub fn normalized_base_path(&self) -> String {
        let parts: Vec<&str> = self.base_path.split('/').filter(|s| !s.is_empty()).collect();
        if parts.is_empty() { String::new() } else { format!("/{}", parts.join("/")) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn base_path_is_normalised() {
        let cli = Cli::parse_from(["scim-seat", "serve", "--base-path", "scim//v2/"]);
        let Command::Serve(s) = cli.command else { panic!("not serve") };
        assert_eq!(s.normalized_base_path(), "/scim/v2");
        let cli = Cli::parse_from(["scim-seat", "serve", "--base-path", "/"]);
        let Command::Serve(s) = cli.command else { panic!("not serve") };
        assert_eq!(s.normalized_base_path(), "");
    }
}
