//! A Group PATCH as [`GroupChanges`]: displayName, externalId and membership changes in request
//! order, worked out without loading the members, so the caller applies them at O(changed members).

use super::parse::{OpKind, PatchOp, context, path_names};
use super::user::read_only_error;
use crate::error::{Error, Result};
use crate::scim::filter::{self, CompareOp, Filter};
use crate::scim::resource::{GroupOpValue, Members, json_kind};
use crate::scim::schema::{self, Resolved};
use serde_json::Value;

/// What a Group PATCH asks for, in request order for members.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupChanges {
    /// The new displayName (the last one sent wins).
    pub display_name: Option<String>,
    /// `Some(None)` clears externalId, `Some(Some(x))` sets it.
    pub external_id: Option<Option<String>>,
    pub members: Vec<MemberOp>,
}

/// One membership change; ids are user ids, without duplicates within one change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberOp {
    Add(Vec<String>),
    Remove(Vec<String>),
    RemoveAll,
    Replace(Vec<String>),
}

/// The changes a Group PATCH asks for, without loading members: displayName, externalId, and
/// membership changes in request order. The operations' values (member lists) are moved, not
/// copied.
pub fn group_changes(ops: Vec<PatchOp<GroupOpValue>>) -> Result<GroupChanges> {
    let mut ch = GroupChanges::default();
    for (i, mut op) in ops.into_iter().enumerate() {
        let value = op.value.take().unwrap_or(GroupOpValue::Single(Value::Null));
        group_op(&mut ch, &op, value).map_err(|e| context(e, i, Some(&op)))?;
    }
    Ok(ch)
}

fn group_op(ch: &mut GroupChanges, op: &PatchOp<GroupOpValue>, value: GroupOpValue) -> Result<()> {
    let Some(pp) = &op.path else {
        let GroupOpValue::Object(obj) = value else {
            return Err(Error::invalid_syntax(
                "an operation without a 'path' needs an object of attributes as 'value'",
            ));
        };
        for (key, v) in &obj.attrs {
            // Okta's rename carries `id`; unknown keys are ignored as in user PATCH.
            let Ok(Resolved::Attr { def, sub: None, .. }) = schema::resolve_group(key) else { continue };
            match def.name {
                "displayName" => ch.display_name = Some(display_name_of(v, key)?),
                "externalId" => ch.external_id = Some(external_id_of(v, key)?),
                _ => {}
            }
        }
        for (key, list) in obj.members {
            push_members(ch, op.op, list, &key)?;
        }
        return Ok(());
    };
    let text = op.path_text.clone().unwrap_or_else(|| pp.path.attr.clone());
    let (name, sub_after_filter) = path_names(pp)?;
    let resolved = schema::resolve_group(&name).map_err(|why| {
        Error::invalid_path(format!(
            "path '{text}' does not name a Group attribute ({why}); use 'displayName', 'externalId', \
             'members' or 'members[value eq \"<user id>\"]'"
        ))
    })?;
    let Resolved::Attr { def, sub, .. } = resolved else {
        return Err(Error::invalid_path(format!(
            "path '{text}' names the whole Group; name an attribute, or leave 'path' out"
        )));
    };
    let sub = sub.map(|s| s.name).or(sub_after_filter.as_deref());
    match def.name {
        "members" => {
            if let Some(s) = sub {
                return Err(Error::invalid_path(format!(
                    "path '{text}': members' '{s}' cannot be changed; add or remove whole members with \
                     path 'members'"
                )));
            }
            match (op.op, &pp.filter) {
                (OpKind::Remove, None) => {
                    let list = value.into_members();
                    if list.is_null() {
                        ch.members.push(MemberOp::RemoveAll);
                    } else {
                        let ids = list.ids("value")?;
                        if !ids.is_empty() {
                            ch.members.push(MemberOp::Remove(ids));
                        }
                    }
                }
                (OpKind::Remove, Some(f)) => ch.members.push(MemberOp::Remove(filter_ids(f, &text)?)),
                (_, None) => push_members(ch, op.op, value.into_members(), "value")?,
                (_, Some(_)) => {
                    return Err(Error::invalid_path(format!(
                        "path '{text}': a filter on members is only supported with remove; to add members \
                         use path 'members' with a value list"
                    )));
                }
            }
            Ok(())
        }
        _ if pp.filter.is_some() || sub.is_some() => Err(Error::invalid_path(format!(
            "path '{text}': '{}' takes neither a filter nor a sub-attribute",
            def.name
        ))),
        "displayName" => {
            if op.op == OpKind::Remove {
                return Err(Error::mutability(
                    "'displayName' is required and cannot be removed; replace it with a new name instead",
                ));
            }
            ch.display_name = Some(display_name_of(&value.as_single(), &text)?);
            Ok(())
        }
        "externalId" => {
            ch.external_id =
                Some(if op.op == OpKind::Remove { None } else { external_id_of(&value.as_single(), &text)? });
            Ok(())
        }
        _ => Err(read_only_error(def, &text)),
    }
}

fn push_members(ch: &mut GroupChanges, op: OpKind, list: Members, label: &str) -> Result<()> {
    let ids = if list.is_null() { Vec::new() } else { list.ids(label)? };
    match op {
        OpKind::Replace => ch.members.push(MemberOp::Replace(ids)),
        OpKind::Add if !ids.is_empty() => ch.members.push(MemberOp::Add(ids)),
        // A path-less remove is refused by parse_ops; an empty add changes nothing.
        _ => {}
    }
    Ok(())
}

fn display_name_of(v: &Value, label: &str) -> Result<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Ok(s.clone()),
        other => Err(Error::invalid_value(format!(
            "'{label}' must be a non-empty string (the group's name), got {}",
            json_kind(other)
        ))),
    }
}

fn external_id_of(v: &Value, label: &str) -> Result<Option<String>> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        other => {
            Err(Error::invalid_value(format!("'{label}' must be a string or null, got {}", json_kind(other))))
        }
    }
}

/// The ids of `members[value eq "a" or value eq "b"]`; any other filter is refused.
fn filter_ids(f: &Filter, text: &str) -> Result<Vec<String>> {
    let refuse = || {
        Error::invalid_filter(format!(
            "path '{text}': a members filter must be value eq \"<user id>\", possibly joined with 'or', \
             e.g. members[value eq \"2819c223\" or value eq \"902c246b\"]"
        ))
    };
    let mut ids: Vec<String> = Vec::new();
    let mut stack = vec![f];
    while let Some(f) = stack.pop() {
        match f {
            Filter::Or(a, b) if stack.len() < 2 * filter::MAX_FILTER_DEPTH => {
                stack.push(b);
                stack.push(a);
            }
            Filter::Compare { path, op: CompareOp::Eq, value: Value::String(id) } => {
                let is_value = path.urn.is_none()
                    && match &path.sub {
                        None => path.attr.eq_ignore_ascii_case("value"),
                        Some(s) => {
                            path.attr.eq_ignore_ascii_case("members") && s.eq_ignore_ascii_case("value")
                        }
                    };
                if !is_value {
                    return Err(refuse());
                }
                if !ids.contains(id) {
                    ids.push(id.clone());
                }
            }
            _ => return Err(refuse()),
        }
    }
    Ok(ids)
}
