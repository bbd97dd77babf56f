//! Output for people: a readable rendering of the JSON an operation returns (the CLI prints the
//! JSON itself with `--json`). Lists of users become a table; other objects become `key: value`
//! lines, nested objects indented.

use serde_json::Value;
use std::fmt::Write;

pub fn human(v: &Value) -> String {
    let mut out = String::new();
    if let Some(items) = v.get("items").and_then(Value::as_array)
        && items.iter().all(|i| i.get("userName").is_some() && i.get("status").is_some())
    {
        user_table(&mut out, items);
        return out;
    }
    write_value(&mut out, v, 0);
    out
}

fn user_table(out: &mut String, items: &[Value]) {
    let _ = writeln!(out, "{:<36}  {:<32}  {:<11}  {:<18}  DI", "ID", "USERNAME", "STATUS", "SEAT");
    for u in items {
        let s = |k: &str| u.get(k).and_then(Value::as_str).unwrap_or("-").to_string();
        let managed = if u.get("managed_by_directory").and_then(Value::as_bool).unwrap_or(false) {
            "yes"
        } else {
            "no"
        };
        let _ = writeln!(
            out,
            "{:<36}  {:<32}  {:<11}  {:<18}  {managed}",
            s("id"),
            s("userName"),
            s("status"),
            s("seat")
        );
    }
    let _ = writeln!(out, "{} user(s)", items.len());
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::Null => Some("-".into()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
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
                        let _ = writeln!(out, "{pad}{k}: {s}");
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
