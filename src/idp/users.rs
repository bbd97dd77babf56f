//! The users phase of a cycle. For each user of the directory, as both IdPs do it:
//!
//! - a user the escrow does not know is looked up by `userName` (Entra's `userName eq` query, Okta's
//!   filtered list; Okta imports the target's users instead, a paged list of all of them, when that
//!   takes fewer requests); when found it is linked and only what differs is sent, when missing it
//!   is created (a 409 means it exists after all: it is looked up again and linked);
//! - a known user gets only the differences to what was last sent: Entra one PATCH, Okta a PATCH of
//!   `active` and, for profile or role changes, GET then PUT of the whole user;
//! - a user the directory marks inactive, or that left the directory, is deactivated (`active`
//!   false, never deleted); one marked deleted is deleted by Entra and deactivated by Okta, which
//!   never deletes users;
//! - a user whose target id answers 404 is forgotten, so the next cycle matches it again.

use super::cycle::{Cx, Cycle, id_of, matching};
use super::directory::DirUser;
use super::escrow::Escrow;
use super::log::Done;
use super::model::{Account, Delta, Wanted};
use super::{Dialect, entra, okta};
use crate::base::text::fold_case;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// Users on one page of Okta's import (Okta's own page size).
const IMPORT_PAGE: usize = 100;

/// One user to bring in line: a row of the directory, or a user of the escrow that left it.
struct UserTask<'e> {
    key: String,
    row: Option<&'e DirUser>,
    link: Option<&'e Account>,
    /// What the import found for a user the escrow does not know (`None`: not imported, query it).
    imported: Option<Option<Account>>,
}

impl UserTask<'_> {
    fn deleted(&self) -> bool {
        self.row.is_some_and(|u| u.deleted)
    }

    /// What the directory asks (made when the user's turn comes, not kept for every user at once).
    fn wanted(&self) -> Wanted {
        match (self.row, self.link) {
            (Some(u), _) => Wanted::of(u),
            // Gone from the directory: out of scope, deactivated.
            (None, Some(a)) => Wanted { user_name: a.user_name.clone(), active: false, ..Wanted::default() },
            (None, None) => Wanted::default(),
        }
    }
}

/// What the escrow keeps of a user after its turn.
enum Record {
    Keep,
    Set(Account),
    Remove,
}

enum Created {
    New(Account),
    Exists(Account),
}

impl Cycle<'_> {
    /// Brings every user in line; returns how many were not attempted (the cycle stopped).
    pub(super) fn users_phase(
        &self,
        directory: &[DirUser],
        escrow: &mut Escrow,
        target_users: Option<usize>,
    ) -> usize {
        let mut tasks = Vec::with_capacity(directory.len());
        let mut in_directory = HashSet::with_capacity(directory.len());
        for u in directory {
            let key = fold_case(&u.user_name);
            in_directory.insert(key.clone());
            tasks.push(UserTask { link: escrow.users.get(&key), key, row: Some(u), imported: None });
        }
        let mut out_of_scope = 0;
        for (key, a) in &escrow.users {
            if in_directory.contains(key) {
                continue;
            }
            out_of_scope += 1;
            if a.active {
                tasks.push(UserTask { key: key.clone(), row: None, link: Some(a), imported: None });
            }
        }
        drop(in_directory);
        self.log.with_summary(|s| s.out_of_scope = out_of_scope);
        let unlinked = tasks.iter().filter(|t| t.link.is_none() && !t.deleted()).count();
        if self.dialect == Dialect::Okta
            && let Some(total) = target_users
            && unlinked > 0
            && total.div_ceil(IMPORT_PAGE) < unlinked
            && let Some(mut found) = self.import_users(total)
        {
            for t in tasks.iter_mut().filter(|t| t.link.is_none() && !t.deleted()) {
                t.imported = Some(found.remove(&t.key));
            }
        }
        self.log.phase("users", tasks.len());
        let keys: Vec<String> = tasks.iter().map(|t| t.key.clone()).collect();
        let results = self.parallel(&tasks, |t| self.user(t));
        drop(tasks);
        let mut not_attempted = 0;
        for (key, r) in keys.into_iter().zip(results) {
            match r {
                None => not_attempted += 1,
                Some(Record::Keep) => {}
                Some(Record::Set(a)) => {
                    escrow.users.insert(key, a);
                }
                Some(Record::Remove) => {
                    escrow.users.remove(&key);
                }
            }
        }
        not_attempted
    }

    fn user(&self, t: &UserTask) -> Record {
        let wanted = t.wanted();
        let mut cx = Cx::new("user", &wanted.user_name);
        let mut record = Record::Keep;
        let mut matched = false;
        let done = match self.sync_user(&mut cx, t, &wanted, &mut record, &mut matched) {
            Ok(done) => done,
            Err(reason) => {
                if reason == "http_404" {
                    record = Record::Remove;
                }
                Done::Failed(reason)
            }
        };
        self.finished(&cx, matches!(done, Done::Failed(_)));
        self.log.user_done(&done, matched);
        record
    }

    fn sync_user(
        &self,
        cx: &mut Cx,
        t: &UserTask,
        w: &Wanted,
        record: &mut Record,
        matched: &mut bool,
    ) -> Result<Done, String> {
        if t.deleted() {
            return self.delete_user(cx, t, w, record);
        }
        let found = match (&t.link, &t.imported) {
            (Some(_), _) => None,
            (None, Some(imported)) => imported.clone().map(|a| a.keep_only(w)),
            (None, None) => self.find_user(cx, w)?.map(|a| a.keep_only(w)),
        };
        let account = match &t.link {
            Some(a) => (*a).clone(),
            None => match found {
                Some(found) => {
                    *matched = true;
                    found
                }
                None if !w.active => return Ok(Done::Skipped("inactive_not_in_target")),
                None => match self.create_user(cx, w)? {
                    Created::New(a) => {
                        *record = Record::Set(a);
                        return Ok(Done::Created);
                    }
                    Created::Exists(found) => {
                        *matched = true;
                        found.keep_only(w)
                    }
                },
            },
        };
        // Linked from here on, even when the update below fails.
        if t.link.is_none() {
            *record = Record::Set(account.clone());
        }
        let delta = account.delta(w);
        if delta.is_empty() {
            return Ok(Done::Skipped("unchanged"));
        }
        self.update_user(cx, &account, w, &delta, record)?;
        Ok(if delta.active == Some(false) { Done::Deactivated } else { Done::Updated })
    }

    fn delete_user(
        &self,
        cx: &mut Cx,
        t: &UserTask,
        w: &Wanted,
        record: &mut Record,
    ) -> Result<Done, String> {
        let Some(link) = t.link else { return Ok(Done::Skipped("deleted_not_in_target")) };
        match self.dialect {
            Dialect::Entra => match self.call(cx, "delete", &entra::delete_user(&link.id), Some(&link.id)) {
                Ok(_) => {
                    *record = Record::Remove;
                    Ok(Done::Deleted)
                }
                // Already gone: what was asked for.
                Err(m) if m.status() == Some(404) => {
                    *record = Record::Remove;
                    Ok(Done::Deleted)
                }
                Err(m) => Err(m.reason()),
            },
            Dialect::Okta if link.active => {
                let delta = Delta { active: Some(false), ..Delta::default() };
                let off = Wanted { active: false, ..w.clone() };
                self.update_user(cx, link, &off, &delta, record)?;
                Ok(Done::Deactivated)
            }
            Dialect::Okta => Ok(Done::Skipped("unchanged")),
        }
    }

    /// Okta's import: every user of the target, by folded userName, pages fetched in parallel.
    /// `None` when a page fails or cannot be read (the users are then queried one by one); a
    /// userName two users answer to is left out (its query reports the ambiguity).
    fn import_users(&self, total: usize) -> Option<HashMap<String, Account>> {
        let starts: Vec<usize> = (0..total.div_ceil(IMPORT_PAGE)).map(|p| p * IMPORT_PAGE + 1).collect();
        let pages = self.parallel(&starts, |start| {
            let mut cx = Cx::new("target", "import");
            let reply =
                self.call(&mut cx, "import", &okta::list_users(*start, IMPORT_PAGE), None).ok().flatten()?;
            match reply.json.as_ref().and_then(|j| j.get("Resources")) {
                Some(Value::Array(items)) => {
                    items.iter().map(Account::from_resource).collect::<Result<Vec<_>, _>>().ok()
                }
                None => Some(Vec::new()),
                Some(_) => None,
            }
        });
        let mut found = HashMap::with_capacity(total);
        let mut twice = HashSet::new();
        for page in pages {
            let Some(Some(accounts)) = page else {
                self.log.problem("target", "import", "import", "invalid_response", "a page of the import failed or could not be read: every user is queried by userName instead");
                return None;
            };
            for a in accounts {
                let key = fold_case(&a.user_name);
                if found.insert(key.clone(), a).is_some() {
                    twice.insert(key);
                }
            }
        }
        for key in twice {
            found.remove(&key);
        }
        Some(found)
    }

    /// The matching query; `None` when the target has no such user.
    fn find_user(&self, cx: &mut Cx, w: &Wanted) -> Result<Option<Account>, String> {
        let req = match self.dialect {
            Dialect::Entra => entra::find_user(&w.user_name),
            Dialect::Okta => okta::find_user(&w.user_name),
        };
        let reply = match self.call(cx, "match", &req, None) {
            Ok(Some(reply)) => reply,
            Ok(None) => return Ok(None),
            // Okta reads a 404 as "no such user"; Entra quarantines a job whose queries answer 404.
            Err(m) if m.status() == Some(404) && self.dialect == Dialect::Okta => return Ok(None),
            Err(m) if m.status() == Some(404) => {
                self.problem(
                    cx,
                    "match",
                    "filter_404",
                    "a filter query must answer 200 with an empty list, not 404: Entra puts such a job in quarantine",
                );
                return Err("filter_404".into());
            }
            Err(m) => return Err(m.reason()),
        };
        let found = matching(&reply, "userName", &w.user_name).inspect_err(|why| {
            self.problem(cx, "match", why, "the answer to the matching query is not a SCIM ListResponse");
        })?;
        match found.as_slice() {
            [] => Ok(None),
            [one] => Account::from_resource(one).map(Some).map_err(|detail| {
                self.problem(cx, "match", "invalid_response", &detail);
                "invalid_response".to_string()
            }),
            many => {
                let detail = format!("{} users answer to userName {:?}", many.len(), w.user_name);
                self.problem(cx, "match", "ambiguous_match", &detail);
                Err("ambiguous_match".into())
            }
        }
    }

    fn create_user(&self, cx: &mut Cx, w: &Wanted) -> Result<Created, String> {
        let (req, roles) = match self.dialect {
            Dialect::Entra => entra::create_user(w),
            Dialect::Okta => okta::create_user(w),
        };
        let account = |id: String| Account {
            id,
            user_name: w.user_name.clone(),
            fields: w.fields.clone(),
            active: true,
            roles: roles.clone(),
        };
        match self.call(cx, "create", &req, None) {
            Ok(Some(reply)) => match id_of(&reply) {
                Ok(id) => Ok(Created::New(account(id))),
                Err(why) => {
                    self.problem(
                        cx,
                        "create",
                        &why,
                        "the create was acknowledged without an \"id\" for the new user",
                    );
                    Err(why)
                }
            },
            Ok(None) => Ok(Created::New(account(super::client::placeholder_id("user", &w.user_name)))),
            // It exists after all (created by someone else, or an earlier answer was lost): match it.
            Err(m) if m.status() == Some(409) => match self.find_user(cx, w)? {
                Some(found) => Ok(Created::Exists(found)),
                None => Err(m.reason()),
            },
            Err(m) => Err(m.reason()),
        }
    }

    /// Sends `delta` in the dialect's shapes; `record` follows each acknowledged step.
    fn update_user(
        &self,
        cx: &mut Cx,
        account: &Account,
        w: &Wanted,
        delta: &Delta,
        record: &mut Record,
    ) -> Result<(), String> {
        let id = account.id.as_str();
        let action = match delta.active {
            Some(false) => "deactivate",
            Some(true) => "reactivate",
            None => "update",
        };
        match self.dialect {
            Dialect::Entra => {
                let (req, added) = entra::update_user(id, delta);
                self.call(cx, action, &req, Some(id)).map_err(|m| m.reason())?;
                *record = Record::Set(account.after(w, delta, added));
            }
            Dialect::Okta => {
                let mut now = account.clone();
                if let Some(active) = delta.active {
                    self.call(cx, action, &okta::set_active(id, active), Some(id)).map_err(|m| m.reason())?;
                    now.active = active;
                    *record = Record::Set(now.clone());
                }
                if w.active && delta.touches_profile() {
                    let fetched = match self.call(cx, "read", &okta::get_user(id), Some(id)) {
                        Ok(Some(r)) => match r.json {
                            Some(v @ Value::Object(_)) => v,
                            _ => {
                                self.problem(
                                    cx,
                                    "read",
                                    "invalid_response",
                                    "the user's GET answered no JSON object",
                                );
                                return Err("invalid_response".into());
                            }
                        },
                        Ok(None) => Value::Null,
                        Err(m) => return Err(m.reason()),
                    };
                    let (req, roles) = okta::put_user(id, &fetched, w, delta);
                    self.call(cx, "update", &req, Some(id)).map_err(|m| m.reason())?;
                    *record = Record::Set(Account {
                        user_name: w.user_name.clone(),
                        fields: w.fields.clone(),
                        active: true,
                        roles,
                        ..now
                    });
                }
            }
        }
        Ok(())
    }
}
