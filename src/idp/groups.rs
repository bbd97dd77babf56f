//! The groups phase of a cycle: the groups the directory's users are in (Entra: assigned groups;
//! Okta: push groups), with the users the cycle linked as members.
//!
//! A group the escrow does not know is looked up by `displayName` and created when missing (Entra
//! creates it empty, with its ADSCIM schema string; Okta with `members: []`). Then its membership
//! follows the directory: Entra sends `Add` and `Remove` PATCHes of the members that changed; Okta a
//! full push (`replace` of `members`, with its path-less rename). A push would outgrow a request
//! body beyond [`MEMBERS_PER_REQUEST`] members, so larger groups change by `add` and `remove` in
//! chunks of that size, as Entra's do. A group no user is in any more is emptied, not deleted.
//!
//! Pass one adds (and creates), pass two removes, so a user moving from one role group to another
//! is never without both for a moment: its seat does not go down and up again.

use super::cycle::{Cx, Cycle, id_of, matching};
use super::directory::DirUser;
use super::escrow::{Escrow, GroupLink};
use super::model::Account;
use super::{Dialect, entra, okta};
use crate::base::text::fold_case;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Members in one membership request (Okta's full push included).
pub const MEMBERS_PER_REQUEST: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    Add,
    Remove,
}

struct GroupTask {
    key: String,
    display: String,
    /// Folded userNames of the linked users the directory puts in the group.
    want: BTreeSet<String>,
    link: Option<GroupLink>,
    /// Counted as updated in pass one already.
    updated: bool,
}

/// What one pass did to a group.
#[derive(Debug, Default, Clone, Copy)]
struct Step {
    created: bool,
    updated: bool,
    added: usize,
    removed: usize,
}

impl Cycle<'_> {
    /// Brings every group in line; returns how many were not attempted (the cycle stopped).
    pub(super) fn groups_phase(&self, directory: &[DirUser], escrow: &mut Escrow) -> usize {
        let mut desired: BTreeMap<String, (String, BTreeSet<String>)> = BTreeMap::new();
        for u in directory.iter().filter(|u| !u.deleted) {
            let user = fold_case(&u.user_name);
            let linked = escrow.users.contains_key(&user);
            for g in &u.groups {
                let entry = desired.entry(fold_case(g)).or_insert_with(|| (g.clone(), BTreeSet::new()));
                if linked {
                    entry.1.insert(user.clone());
                }
            }
        }
        for (key, link) in &escrow.groups {
            desired.entry(key.clone()).or_insert_with(|| (link.display_name.clone(), BTreeSet::new()));
        }
        let mut tasks: Vec<GroupTask> = desired
            .into_iter()
            .map(|(key, (display, want))| GroupTask {
                link: escrow.groups.get(&key).cloned(),
                key,
                display,
                want,
                updated: false,
            })
            .collect();
        let mut attempted = vec![false; tasks.len()];
        for pass in [Pass::Add, Pass::Remove] {
            if tasks.is_empty() || self.stopped() {
                break;
            }
            self.log.phase(if pass == Pass::Add { "groups" } else { "group removals" }, tasks.len());
            let results = self.parallel(&tasks, |t| self.group(t, &escrow.users, pass));
            for ((t, r), seen) in tasks.iter_mut().zip(results).zip(attempted.iter_mut()) {
                if let Some((link, updated)) = r {
                    t.link = link;
                    t.updated |= updated;
                    *seen = true;
                }
            }
        }
        let not_attempted = attempted.iter().filter(|a| !**a).count();
        for t in tasks {
            if let Some(link) = t.link {
                escrow.groups.insert(t.key, link);
            }
        }
        not_attempted
    }

    fn group(
        &self,
        t: &GroupTask,
        users: &BTreeMap<String, Account>,
        pass: Pass,
    ) -> (Option<GroupLink>, bool) {
        let mut cx = Cx::new("group", &t.display);
        let mut link = t.link.clone();
        let mut step = Step::default();
        let result = self.sync_group(&mut cx, t, users, pass, &mut link, &mut step);
        let failed = result.err();
        self.finished(&cx, failed.is_some());
        self.log.group_done(
            step.created,
            step.updated && !t.updated,
            step.added,
            step.removed,
            failed.as_deref(),
        );
        (link, step.updated)
    }

    fn sync_group(
        &self,
        cx: &mut Cx,
        t: &GroupTask,
        users: &BTreeMap<String, Account>,
        pass: Pass,
        link: &mut Option<GroupLink>,
        step: &mut Step,
    ) -> Result<(), String> {
        if link.is_none() && pass == Pass::Add {
            *link = Some(self.ensure_group(cx, &t.display, step)?);
        }
        // A group pass one could not find or create is left for the next cycle.
        let Some(l) = link.as_mut() else { return Ok(()) };
        // Members the target deleted (Entra DELETE) are gone from it already.
        l.members.retain(|m| users.contains_key(m));
        let adds: Vec<String> = t.want.difference(&l.members).cloned().collect();
        let removes: Vec<String> = l.members.difference(&t.want).cloned().collect();
        let renamed = l.display_name != t.display;
        let small = t.want.len() <= MEMBERS_PER_REQUEST && l.members.len() <= MEMBERS_PER_REQUEST;
        let id = l.id.clone();
        match (self.dialect, pass) {
            (Dialect::Okta, _) if small => {
                let push_now = match pass {
                    Pass::Add => removes.is_empty() && (!adds.is_empty() || renamed),
                    Pass::Remove => !removes.is_empty(),
                };
                if push_now {
                    let members: Vec<(&str, &str)> = t.want.iter().filter_map(|k| member(users, k)).collect();
                    self.call(cx, "group_push", &okta::push_members(&id, &t.display, &members), Some(&id))
                        .map_err(|m| m.reason())?;
                    l.members = t.want.clone();
                    l.display_name = t.display.clone();
                    *step = Step { added: adds.len(), removed: removes.len(), updated: true, ..*step };
                }
            }
            (Dialect::Entra, Pass::Add) if renamed => {
                self.call(cx, "group_rename", &entra::rename_group(&id, &t.display), Some(&id))
                    .map_err(|m| m.reason())?;
                l.display_name = t.display.clone();
                step.updated = true;
                self.change_members(cx, &id, users, &adds, true, l, step)?;
            }
            (_, Pass::Add) => self.change_members(cx, &id, users, &adds, true, l, step)?,
            (_, Pass::Remove) => self.change_members(cx, &id, users, &removes, false, l, step)?,
        }
        Ok(())
    }

    /// Adds or removes `keys` in chunks; `l` follows each acknowledged chunk.
    #[allow(clippy::too_many_arguments)]
    fn change_members(
        &self,
        cx: &mut Cx,
        id: &str,
        users: &BTreeMap<String, Account>,
        keys: &[String],
        add: bool,
        l: &mut GroupLink,
        step: &mut Step,
    ) -> Result<(), String> {
        for chunk in keys.chunks(MEMBERS_PER_REQUEST) {
            let members: Vec<(&str, &str)> = chunk.iter().filter_map(|k| member(users, k)).collect();
            let req = match self.dialect {
                Dialect::Entra => {
                    entra::change_members(id, add, &members.iter().map(|(m, _)| *m).collect::<Vec<_>>())
                }
                Dialect::Okta => okta::change_members(id, add, &members),
            };
            self.call(cx, if add { "group_add" } else { "group_remove" }, &req, Some(id))
                .map_err(|m| m.reason())?;
            for k in chunk {
                if add {
                    l.members.insert(k.clone());
                } else {
                    l.members.remove(k);
                }
            }
            if add {
                step.added += chunk.len();
            } else {
                step.removed += chunk.len();
            }
            step.updated = true;
        }
        Ok(())
    }

    /// Finds the group by `displayName` or creates it.
    fn ensure_group(&self, cx: &mut Cx, display: &str, step: &mut Step) -> Result<GroupLink, String> {
        if let Some(id) = self.find_group(cx, display)? {
            return Ok(GroupLink { id, display_name: display.to_string(), members: BTreeSet::new() });
        }
        let req = match self.dialect {
            Dialect::Entra => entra::create_group(display),
            Dialect::Okta => okta::create_group(display),
        };
        let id = match self.call(cx, "group_create", &req, None) {
            Ok(Some(reply)) => id_of(&reply).inspect_err(|why| {
                self.problem(
                    cx,
                    "group_create",
                    why,
                    "the create was acknowledged without an \"id\" for the group",
                );
            })?,
            Ok(None) => super::client::placeholder_id("group", display),
            Err(m) if m.status() == Some(409) => self.find_group(cx, display)?.ok_or_else(|| m.reason())?,
            Err(m) => return Err(m.reason()),
        };
        step.created = true;
        Ok(GroupLink { id, display_name: display.to_string(), members: BTreeSet::new() })
    }

    fn find_group(&self, cx: &mut Cx, display: &str) -> Result<Option<String>, String> {
        let req = match self.dialect {
            Dialect::Entra => entra::find_group(display),
            Dialect::Okta => okta::find_group(display),
        };
        let reply = match self.call(cx, "group_match", &req, None) {
            Ok(Some(r)) => r,
            Ok(None) => return Ok(None),
            Err(m) if m.status() == Some(404) && self.dialect == Dialect::Okta => return Ok(None),
            Err(m) => return Err(m.reason()),
        };
        let found = matching(&reply, "displayName", display).inspect_err(|why| {
            self.problem(cx, "group_match", why, "the answer to the group query is not a SCIM ListResponse");
        })?;
        match found.as_slice() {
            [] => Ok(None),
            [one] => match one.get("id") {
                Some(Value::String(id)) if !id.trim().is_empty() => Ok(Some(id.clone())),
                _ => {
                    self.problem(cx, "group_match", "invalid_response", "the group found has no \"id\"");
                    Err("invalid_response".into())
                }
            },
            many => {
                let detail = format!("{} groups answer to displayName {display:?}", many.len());
                self.problem(cx, "group_match", "ambiguous_match", &detail);
                Err("ambiguous_match".into())
            }
        }
    }
}

/// A member's target id and display (its userName), when the user is linked.
fn member<'u>(users: &'u BTreeMap<String, Account>, key: &str) -> Option<(&'u str, &'u str)> {
    users.get(key).map(|a| (a.id.as_str(), a.user_name.as_str()))
}
