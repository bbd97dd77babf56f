//! Bearer tokens: `sst_<id>_<secret>`. The id finds the row; only SHA-256(secret) is stored, and
//! the presented secret's hash is compared in constant time. The secret exists in clear only in the
//! answer to the request that created it.

use crate::error::{Error, Result};
use crate::util;
use rusqlite::{Connection, OptionalExtension, params};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Scim,
    Admin,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Scim => "scim",
            Scope::Admin => "admin",
        }
    }
    pub fn parse(s: &str) -> Result<Scope> {
        match s {
            "scim" => Ok(Scope::Scim),
            "admin" => Ok(Scope::Admin),
            other => Err(Error::invalid_value(format!(
                "token scope \"{other}\" is not known: use \"scim\" or \"admin\""
            ))),
        }
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

pub fn create(conn: &Connection, name: &str, scope: Scope) -> Result<NewToken> {
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
        params![id, name, scope.as_str(), util::sha256(secret.as_bytes()).as_slice(), created],
    )?;
    Ok(NewToken {
        token: format!("{PREFIX}{id}_{secret}"),
        info: TokenInfo { id, name: name.to_string(), scope, created, last_used: None, revoked: None },
    })
}

pub fn list(conn: &Connection) -> Result<Vec<TokenInfo>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, name, scope, created, last_used, revoked FROM tokens ORDER BY created, id",
    )?;
    let rows = stmt.query_map([], row_to_info)?;
    let mut out = Vec::new();
    for r in rows {
        out.push(r??);
    }
    Ok(out)
}

fn row_to_info(r: &rusqlite::Row<'_>) -> rusqlite::Result<Result<TokenInfo>> {
    let scope: String = r.get(2)?;
    let (id, name, created, last_used, revoked) = (r.get(0)?, r.get(1)?, r.get(3)?, r.get(4)?, r.get(5)?);
    Ok(Scope::parse(&scope).map(|scope| TokenInfo { id, name, scope, created, last_used, revoked }))
}

pub fn get(conn: &Connection, id: &str) -> Result<TokenInfo> {
    conn.query_row(
        "SELECT id, name, scope, created, last_used, revoked FROM tokens WHERE id = ?1",
        [id],
        row_to_info,
    )
    .optional()?
    .ok_or_else(|| Error::not_found(format!("no token with id \"{id}\"")))?
}

/// Revokes a token; revoking twice is an error that says so.
pub fn revoke(conn: &Connection, id: &str) -> Result<TokenInfo> {
    let info = get(conn, id)?;
    if info.revoked.is_some() {
        return Err(Error::conflict("already_revoked", format!("token \"{id}\" is already revoked")));
    }
    conn.execute("UPDATE tokens SET revoked = ?2 WHERE id = ?1", params![id, util::now_rfc3339()])?;
    get(conn, id)
}

/// The token a bearer string stands for, if it is live and its secret matches.
pub fn verify(conn: &Connection, bearer: &str) -> Result<Option<TokenInfo>> {
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
            let scope: String = r.get(3)?;
            let info = (r.get(1)?, r.get(2)?, scope, r.get(4)?, r.get(5)?, r.get(6)?);
            Ok((hash, info))
        })
        .optional()?;
    let Some((hash, (id, name, scope, created, last_used, revoked))) = row else { return Ok(None) };
    let matches = util::constant_time_eq(&util::sha256(secret.as_bytes()), &hash);
    let revoked: Option<String> = revoked;
    if !matches || revoked.is_some() {
        return Ok(None);
    }
    let scope = Scope::parse(&scope)?;
    Ok(Some(TokenInfo { id, name, scope, created, last_used, revoked }))
}

/// Records the last use, at most once a minute per token, so reads stay reads most of the time.
pub fn needs_touch(info: &TokenInfo, now: &str) -> bool {
    match &info.last_used {
        None => true,
        Some(last) => last.get(..16) != now.get(..16),
    }
}

pub fn touch(conn: &Connection, id: &str, now: &str) -> Result<()> {
    conn.execute("UPDATE tokens SET last_used = ?2 WHERE id = ?1", params![id, now])?;
    Ok(())
}
