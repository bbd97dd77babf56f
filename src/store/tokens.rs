//! Bearer tokens: `sst_<id>_<secret>`. The id finds the row; only SHA-256(secret) is stored, and
//! the presented secret's hash is compared in constant time. The secret exists in clear only in the
//! answer to the request that created it.

use super::sealed::Conn as _;
use super::{Read, WriteTx};
use crate::error::{Error, Result};
use crate::util;
use rusqlite::{OptionalExtension, params};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Scim,
    Admin,
    /// Reads `/metrics` only (a Prometheus scrape job); an admin token reads it too.
    Metrics,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Scim, Scope::Admin, Scope::Metrics];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Scim => "scim",
            Scope::Admin => "admin",
            Scope::Metrics => "metrics",
        }
    }

    /// Parses a scope name, ignoring case and surrounding whitespace (the one reading, for the CLI
    /// and the admin API alike).
    pub fn parse(s: &str) -> Result<Scope> {
        Scope::ALL.iter().copied().find(|v| v.as_str().eq_ignore_ascii_case(s.trim())).ok_or_else(|| {
            Error::invalid_value(format!(
                "token scope \"{s}\" is not known: use \"scim\", \"admin\" or \"metrics\""
            ))
        })
    }
}

impl std::str::FromStr for Scope {
    type Err = Error;
    fn from_str(s: &str) -> Result<Scope> {
        Scope::parse(s)
    }
}

#[derive(Debug, Clone)]
pub struct TokenInfo {
    pub id: String,
    pub name: String,
    pub scope: Scope,
    pub created: String,
    pub last_used: Option<String>,
    pub revoked: Option<String>,
}

/// A newly created token: the only value that carries the secret.
pub struct NewToken {
    pub info: TokenInfo,
    pub token: String,
}

const PREFIX: &str = "sst_";
const MAX_NAME: usize = 200;

pub fn create(tx: &WriteTx<'_>, name: &str, scope: Scope) -> Result<NewToken> {
    let conn = tx.conn();
    let name = name.trim();
    if name.is_empty() || name.len() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(Error::invalid_value(format!(
            "a token name must be 1 to {MAX_NAME} printable characters"
        )));
    }
    let mut id_bytes = [0u8; 8];
    let mut secret_bytes = [0u8; 32];
    util::random_bytes(&mut id_bytes)?;
    util::random_bytes(&mut secret_bytes)?;
    let id = util::hex(&id_bytes);
    let secret = util::hex(&secret_bytes);
    let created = util::now_rfc3339();
    conn.execute(
        "INSERT INTO tokens (id, name, scope, hash, created) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, name, scope, util::sha256(secret.as_bytes()).as_slice(), created],
    )?;
    Ok(NewToken {
        token: format!("{PREFIX}{id}_{secret}"),
        info: TokenInfo { id, name: name.to_string(), scope, created, last_used: None, revoked: None },
    })
}

pub fn list(db: &impl Read) -> Result<Vec<TokenInfo>> {
    let conn = db.conn();
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, scope, created, last_used, revoked FROM tokens ORDER BY created, id",
    )?;
    let rows = stmt.query_map([], row_to_info)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn row_to_info(r: &rusqlite::Row<'_>) -> rusqlite::Result<TokenInfo> {
    Ok(TokenInfo {
        id: r.get(0)?,
        name: r.get(1)?,
        scope: r.get(2)?,
        created: r.get(3)?,
        last_used: r.get(4)?,
        revoked: r.get(5)?,
    })
}

pub fn get(db: &impl Read, id: &str) -> Result<TokenInfo> {
    let conn = db.conn();
    conn.query_row(
        "SELECT id, name, scope, created, last_used, revoked FROM tokens WHERE id = ?1",
        [id],
        row_to_info,
    )
    .optional()?
    .ok_or_else(|| Error::not_found(format!("no token with id \"{id}\"")))
}

/// Revokes a token; revoking twice is an error that says so.
pub fn revoke(tx: &WriteTx<'_>, id: &str) -> Result<TokenInfo> {
    let conn = tx.conn();
    let info = get(tx, id)?;
    if info.revoked.is_some() {
        return Err(Error::conflict("already_revoked", format!("token \"{id}\" is already revoked")));
    }
    conn.execute("UPDATE tokens SET revoked = ?2 WHERE id = ?1", params![id, util::now_rfc3339()])?;
    get(tx, id)
}

/// The token a bearer string stands for, if it is live and its secret matches.
pub fn verify(db: &impl Read, bearer: &str) -> Result<Option<TokenInfo>> {
    let conn = db.conn();
    let Some(rest) = bearer.strip_prefix(PREFIX) else { return Ok(None) };
    let Some((id, secret)) = rest.split_once('_') else { return Ok(None) };
    if id.len() != 16 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let row = conn
        .prepare_cached(
            "SELECT hash, id, name, scope, created, last_used, revoked FROM tokens WHERE id = ?1",
        )?
        .query_row([id], |r| {
            let hash: Vec<u8> = r.get(0)?;
            let info = TokenInfo {
                id: r.get(1)?,
                name: r.get(2)?,
                scope: r.get(3)?,
                created: r.get(4)?,
                last_used: r.get(5)?,
                revoked: r.get(6)?,
            };
            Ok((hash, info))
        })
        .optional()?;
    let Some((hash, info)) = row else { return Ok(None) };
    let matches = util::constant_time_eq(&util::sha256(secret.as_bytes()), &hash);
    Ok((matches && info.revoked.is_none()).then_some(info))
}

/// Records the last use, at most once a minute per token, so reads stay reads most of the time.
pub fn needs_touch(info: &TokenInfo, now: &str) -> bool {
    match &info.last_used {
        None => true,
        Some(last) => last.get(..16) != now.get(..16),
    }
}

pub fn touch(tx: &WriteTx<'_>, id: &str, now: &str) -> Result<()> {
    let conn = tx.conn();
    conn.execute("UPDATE tokens SET last_used = ?2 WHERE id = ?1", params![id, now])?;
    Ok(())
}
