//! The state file (`--state`): what the IdP last sent, as Entra and Okta keep it between cycles, so
//! that the next cycle sends only the differences. It maps each userName to the target's id and the
//! attributes, `active` and roles last sent, and each group to its id and members (by userName).
//!
//! JSON, written whole to a temporary file beside it (mode 0600: it names every user and the
//! target), flushed to disk, then renamed over the old one, so a crash leaves the old or the new
//! file, never half of one. A state file belongs to one target and one dialect; it is refused for
//! another. Only what the target acknowledged is recorded: a failed request is sent again next cycle.

use super::Dialect;
use super::model::{Account, Field, Role};
use crate::base::text::fold_case;
use crate::error::{Error, Result};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

const VERSION: u64 = 1;

/// A group the IdP provisioned: its id and the members it last pushed (folded userNames).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupLink {
    pub id: String,
    pub display_name: String,
    pub members: BTreeSet<String>,
}

/// The escrow of one target and dialect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escrow {
    pub dialect: Dialect,
    pub target: String,
    /// By folded userName.
    pub users: BTreeMap<String, Account>,
    /// By folded display name.
    pub groups: BTreeMap<String, GroupLink>,
}

impl Escrow {
    pub fn empty(dialect: Dialect, target: &str) -> Escrow {
        Escrow { dialect, target: target.to_string(), users: BTreeMap::new(), groups: BTreeMap::new() }
    }

    /// Reads `path`, or an empty escrow when it does not exist yet.
    pub fn load(path: &Path, dialect: Dialect, target: &str) -> Result<Escrow> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Escrow::empty(dialect, target)),
            Err(e) => {
                return Err(Error::invalid_value(format!(
                    "cannot read the state file {}: {e}",
                    path.display()
                )));
            }
        };
        let unreadable = |why: &str| {
            Error::invalid_value(format!(
                "{} is not an idp state file ({why}); give another --state file, or move this one away to \
                 start over (the next cycle then matches every user by userName)",
                path.display()
            ))
        };
        let v: Value = serde_json::from_str(&text).map_err(|e| unreadable(&e.to_string()))?;
        if v["version"].as_u64() != Some(VERSION) {
            return Err(unreadable("unknown version"));
        }
        let written_for = match (v["dialect"].as_str(), v["target"].as_str()) {
            (Some(d), Some(t)) => (d, t),
            _ => return Err(unreadable("no dialect or target")),
        };
        if written_for != (dialect.as_str(), target) {
            return Err(Error::invalid_value(format!(
                "the state file {} was written for {} as {}, not {target} as {}: give each target and dialect \
                 its own --state file",
                path.display(),
                written_for.1,
                written_for.0,
                dialect.as_str()
            )));
        }
        let mut escrow = Escrow::empty(dialect, target);
        for u in v["users"].as_array().ok_or_else(|| unreadable("no users list"))? {
            let account =
                account_of(u).ok_or_else(|| unreadable(&format!("a user entry cannot be read: {u}")))?;
            escrow.users.insert(fold_case(&account.user_name), account);
        }
        for g in v["groups"].as_array().ok_or_else(|| unreadable("no groups list"))? {
            let (name, link) =
                group_of(g).ok_or_else(|| unreadable(&format!("a group entry cannot be read: {g}")))?;
            escrow.groups.insert(fold_case(&name), link);
        }
        Ok(escrow)
    }

    /// Writes the escrow to `path` atomically, mode 0600: one user or group a line, streamed (a
    /// state of 100,000 users is never built as one JSON value).
    pub fn save(&self, path: &Path) -> Result<()> {
        let cannot = |e: std::io::Error| {
            Error::invalid_value(format!("cannot write the state file {}: {e}", path.display()))
        };
        let name =
            path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "state".into());
        let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
        let written = (|| -> std::io::Result<()> {
            let file =
                std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
            let mut w = std::io::BufWriter::new(file);
            write!(
                w,
                "{{\"version\":{VERSION},\"dialect\":{},\"target\":{},\"saved_at\":{},\"users\":[",
                json!(self.dialect.as_str()),
                json!(self.target),
                json!(crate::util::now_rfc3339())
            )?;
            for (i, a) in self.users.values().enumerate() {
                w.write_all(if i == 0 { b"\n" } else { b",\n" })?;
                serde_json::to_writer(&mut w, &account_json(a))?;
            }
            w.write_all(b"\n],\"groups\":[")?;
            for (i, g) in self.groups.values().enumerate() {
                w.write_all(if i == 0 { b"\n" } else { b",\n" })?;
                serde_json::to_writer(
                    &mut w,
                    &json!({ "displayName": g.display_name, "id": g.id, "members": g.members }),
                )?;
            }
            w.write_all(b"\n]}\n")?;
            let file = w.into_inner().map_err(|e| e.into_error())?;
            file.sync_all()?;
            std::fs::rename(&tmp, path)?;
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::File::open(dir)?.sync_all()?;
            }
            Ok(())
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written.map_err(cannot)
    }
}

fn account_json(a: &Account) -> Value {
    let fields: Map<String, Value> = a.fields.iter().map(|(f, v)| (f.key().to_string(), json!(v))).collect();
    let roles: Vec<Value> = a.roles.iter().map(|r| json!({ "value": r.value, "text": r.text })).collect();
    json!({ "userName": a.user_name, "id": a.id, "active": a.active, "fields": fields, "roles": roles })
}

fn account_of(v: &Value) -> Option<Account> {
    let mut fields = BTreeMap::new();
    for (k, val) in v["fields"].as_object()? {
        fields.insert(Field::from_key(k)?, val.as_str()?.to_string());
    }
    let mut roles = Vec::new();
    for r in v["roles"].as_array()? {
        roles.push(Role { value: r["value"].as_str()?.to_string(), text: r["text"].as_str()?.to_string() });
    }
    Some(Account {
        id: v["id"].as_str()?.to_string(),
        user_name: v["userName"].as_str().filter(|s| !s.is_empty())?.to_string(),
        fields,
        active: v["active"].as_bool()?,
        roles,
    })
}

fn group_of(v: &Value) -> Option<(String, GroupLink)> {
    let name = v["displayName"].as_str().filter(|s| !s.is_empty())?.to_string();
    let members =
        v["members"].as_array()?.iter().map(|m| m.as_str().map(fold_case)).collect::<Option<_>>()?;
    Some((name.clone(), GroupLink { id: v["id"].as_str()?.to_string(), display_name: name, members }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_saved_escrow_reads_back_and_is_private() {
        let dir = std::env::temp_dir().join(format!("scim-seat-escrow-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state.json");
        let mut e = Escrow::empty(Dialect::Entra, "http://127.0.0.1:1/v2");
        let mut fields = BTreeMap::new();
        fields.insert(Field::Department, "Sales".to_string());
        e.users.insert(
            "ada@example.com".into(),
            Account {
                id: "u1".into(),
                user_name: "Ada@example.com".into(),
                fields,
                active: true,
                roles: vec![Role {
                    value: "LICENSED_USER".into(),
                    text: "{\"value\":\"LICENSED_USER\"}".into(),
                }],
            },
        );
        e.groups.insert(
            "sales".into(),
            GroupLink {
                id: "g1".into(),
                display_name: "Sales".into(),
                members: ["ada@example.com".to_string()].into(),
            },
        );
        e.save(&path).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(Escrow::load(&path, Dialect::Entra, "http://127.0.0.1:1/v2").unwrap(), e);
        let other = Escrow::load(&path, Dialect::Okta, "http://127.0.0.1:1/v2").unwrap_err();
        assert!(other.detail.contains("its own --state file"), "{}", other.detail);
        std::fs::write(&path, "{\"version\": 1, \"users\": 3}").unwrap();
        assert!(
            Escrow::load(&path, Dialect::Entra, "x").unwrap_err().detail.contains("not an idp state file")
        );
        let missing = Escrow::load(&dir.join("none.json"), Dialect::Okta, "t").unwrap();
        assert!(missing.users.is_empty() && missing.groups.is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
