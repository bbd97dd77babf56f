//! Output for people. Lists print as tables from their types (users, tokens); other answers print
//! as `key: value` lines of their JSON (the CLI prints the JSON itself with `--json`), nested
//! objects indented.

use crate::service::views::{DriftCounts, DriftItem, Page, UserView};
use crate::store::tokens::TokenInfo;
use serde_json::Value;
use std::fmt::Write;

pub fn human(v: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, v, 0);
    out
}

/// Users, one line each.
pub fn user_table(items: &[UserView]) -> String {
    let mut out = user_table_head();
    items.iter().for_each(|u| out.push_str(&user_row(u)));
    let _ = writeln!(out, "{} user(s)", items.len());
    out
}

/// One page of users: the table, then how to ask for the next page when there is one.
pub fn user_page(page: &Page<UserView>) -> String {
    let mut out = user_table(&page.items);
    if let Some(cursor) = &page.next_cursor {
        let _ = writeln!(out, "more: --cursor {}  (or --all for every page)", text(cursor));
    }
    out
}

/// The user table's header line.
pub fn user_table_head() -> String {
    format!("{:<36}  {:<32}  {:<11}  {:<18}  DI\n", "ID", "USERNAME", "STATUS", "SEAT")
}

/// One user's line of the table.
pub fn user_row(u: &UserView) -> String {
    format!(
        "{:<36}  {:<32}  {:<11}  {:<18}  {}\n",
        u.id,
        text(&u.user_name),
        u.status.as_str(),
        // Legacy plans have no seat types: the licence is shown instead.
        match (u.seat, u.status, u.licensed) {
            (Some(seat), _, _) => seat.as_str(),
            (None, crate::domain::seats::Status::Active, true) => "licensed",
            (None, crate::domain::seats::Status::Active, false) => "unlicensed",
            (None, _, _) => "-",
        },
        if u.managed_by_directory { "yes" } else { "no" }
    )
}

/// Tokens, one line each (never a secret: the list has none).
pub fn token_table(items: &[TokenInfo]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{:<18} {:<6} {:<9} {:<26} NAME", "ID", "SCOPE", "STATE", "LAST USED");
    for t in items {
        let _ = writeln!(
            out,
            "{:<18} {:<6} {:<9} {:<26} {}",
            t.id,
            t.scope.as_str(),
            if t.revoked.is_some() { "revoked" } else { "active" },
            t.last_used.as_deref().unwrap_or("never"),
            t.name
        );
    }
    out
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::Null => Some("-".into()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(text(s)),
        Value::Array(a) if a.iter().all(|x| !x.is_object() && !x.is_array()) => Some(if a.is_empty() {
            "-".into()
        } else {
            a.iter().filter_map(scalar).collect::<Vec<_>>().join(", ")
        }),
        _ => None,
    }
}

fn write_value(out: &mut String, v: &Value, indent: usize) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(map) => {
            for (k, val) in map {
                match scalar(val) {
                    Some(s) => {
                        let _ = writeln!(out, "{pad}{}: {s}", text(k));
                    }
                    None => {
                        let _ = writeln!(out, "{pad}{k}:");
                        write_value(out, val, indent + 2);
                    }
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                match scalar(item) {
                    Some(s) => {
                        let _ = writeln!(out, "{pad}- {s}");
                    }
                    None => {
                        let _ = writeln!(out, "{pad}-");
                        write_value(out, item, indent + 2);
                    }
                }
            }
        }
        other => {
            let _ = writeln!(out, "{pad}{}", scalar(other).unwrap_or_default());
        }
    }
}

/// Text a person reads on a terminal: control characters (escape sequences) shown escaped.
pub fn text(s: &str) -> String {
    s.chars()
        .flat_map(|c| if c.is_control() { c.escape_default().collect::<Vec<_>>() } else { vec![c] })
        .collect()
}

/// The drift report, one line per user, then the counts.
/// The drift table's column heads (`report drift`); rows follow as the report is read.
pub fn drift_table_head() -> String {
    format!("{:<36}  {:<32}  {:<18}  {:<8}  REASON\n", "ID", "USERNAME", "SEAT", "TARGET")
}

pub fn drift_table_row(i: &DriftItem) -> String {
    format!(
        "{:<36}  {:<32}  {:<18}  {:<8}  {}\n",
        i.user_id,
        text(&i.user_name),
        i.seat,
        i.target.as_str(),
        i.reason
    )
}

/// The drift table's summary: how many users differ, by reason and by seat.
pub fn drift_table_foot(counts: &DriftCounts) -> String {
    let mut out = format!("{} user(s) differ from the seat their roles ask for\n", counts.total);
    for (what, map) in [("by reason", &counts.by_reason), ("by seat", &counts.by_seat)] {
        let parts: Vec<String> = map.iter().map(|(k, n)| format!("{k} {n}")).collect();
        let _ = writeln!(out, "{what}: {}", if parts.is_empty() { "-".into() } else { parts.join(", ") });
    }
    out
}
