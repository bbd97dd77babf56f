//! What an IdP compares: a user as the target holds it ([`Account`]: what was last sent, kept in the
//! escrow, or what a matching query found) against what the directory asks for ([`Wanted`]), and
//! the difference of the two ([`Delta`]), which each dialect turns into its own requests.
//!
//! Both IdPs send only what changed. An attribute the directory leaves empty is not sent; one that
//! was sent before and is now empty is cleared. A user the directory marks inactive is only
//! deactivated: its profile and roles are not pushed while it is inactive (they are on reactivation).

use super::directory::DirUser;
use crate::base::text::fold_case;
use crate::scim::resource::{canonical_user, is_active, primary_email, role_values, user_profile};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// A profile attribute the directory carries (the display name is made from the two names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    GivenName,
    FamilyName,
    DisplayName,
    Email,
    Department,
    Division,
    CostCenter,
}

impl Field {
    pub const ALL: [Field; 7] = [
        Field::GivenName,
        Field::FamilyName,
        Field::DisplayName,
        Field::Email,
        Field::Department,
        Field::Division,
        Field::CostCenter,
    ];

    /// The attribute's name in the state file (the SCIM sub-attribute's name).
    pub fn key(self) -> &'static str {
        match self {
            Field::GivenName => "givenName",
            Field::FamilyName => "familyName",
            Field::DisplayName => "displayName",
            Field::Email => "email",
            Field::Department => "department",
            Field::Division => "division",
            Field::CostCenter => "costCenter",
        }
    }

    pub fn from_key(key: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.key() == key)
    }

    /// Whether the attribute lives in the enterprise extension.
    pub fn is_enterprise(self) -> bool {
        matches!(self, Field::Department | Field::Division | Field::CostCenter)
    }
}

/// A role the target holds: its value (`LICENSED_USER`) and the text of the element's `value` as
/// the target keeps it (the value itself, or Entra's JSON text around it), which a removal names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub value: String,
    pub text: String,
}

impl Role {
    pub fn plain(value: &str) -> Role {
        Role { value: value.to_string(), text: value.to_string() }
    }
}

/// A user in the target, as the IdP knows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Account {
    /// The target's id.
    pub id: String,
    pub user_name: String,
    /// Non-empty values only.
    pub fields: BTreeMap<Field, String>,
    pub active: bool,
    pub roles: Vec<Role>,
}

/// What the directory asks for one user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Wanted {
    pub user_name: String,
    /// Non-empty values only.
    pub fields: BTreeMap<Field, String>,
    pub active: bool,
    pub roles: Vec<String>,
}

impl Wanted {
    pub fn of(u: &DirUser) -> Wanted {
        let display = format!("{} {}", u.given_name, u.family_name).trim().to_string();
        let fields = [
            (Field::GivenName, &u.given_name),
            (Field::FamilyName, &u.family_name),
            (Field::DisplayName, &display),
            (Field::Email, &u.email),
            (Field::Department, &u.department),
            (Field::Division, &u.division),
            (Field::CostCenter, &u.cost_center),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(f, v)| (f, v.clone()))
        .collect();
        Wanted { user_name: u.user_name.clone(), fields, active: u.active, roles: u.roles.clone() }
    }

    pub fn get(&self, f: Field) -> Option<&str> {
        self.fields.get(&f).map(String::as_str)
    }
}

/// What differs between an account and what is wanted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Delta {
    /// New or changed values.
    pub set: Vec<(Field, String)>,
    /// Values sent before that the directory now leaves empty.
    pub clear: Vec<Field>,
    /// The new `active`, when it changes.
    pub active: Option<bool>,
    pub add_roles: Vec<String>,
    pub remove_roles: Vec<Role>,
}

impl Delta {
    pub fn is_empty(&self) -> bool {
        self.active.is_none() && !self.touches_profile()
    }

    /// Whether anything besides `active` changes.
    pub fn touches_profile(&self) -> bool {
        !(self.set.is_empty()
            && self.clear.is_empty()
            && self.add_roles.is_empty()
            && self.remove_roles.is_empty())
    }
}

fn holds(roles: &[Role], value: &str) -> bool {
    roles.iter().any(|r| fold_case(&r.value) == fold_case(value))
}

impl Account {
    pub fn get(&self, f: Field) -> Option<&str> {
        self.fields.get(&f).map(String::as_str)
    }

    /// The difference to what is wanted (see the module documentation).
    pub fn delta(&self, wanted: &Wanted) -> Delta {
        let mut d = Delta::default();
        if !wanted.active {
            d.active = self.active.then_some(false);
            return d;
        }
        if !self.active {
            d.active = Some(true);
        }
        for f in Field::ALL {
            match (wanted.get(f), self.get(f)) {
                (Some(w), c) if Some(w) != c => d.set.push((f, w.to_string())),
                (None, Some(_)) => d.clear.push(f),
                _ => {}
            }
        }
        d.add_roles = wanted.roles.iter().filter(|w| !holds(&self.roles, w)).cloned().collect();
        d.remove_roles = self
            .roles
            .iter()
            .filter(|r| !wanted.roles.iter().any(|w| fold_case(w) == fold_case(&r.value)))
            .cloned()
            .collect();
        d
    }

    /// The account once `delta` has been applied; `added` are the roles as they were sent.
    pub fn after(&self, wanted: &Wanted, delta: &Delta, added: Vec<Role>) -> Account {
        let mut next = self.clone();
        if let Some(active) = delta.active {
            next.active = active;
        }
        if wanted.active {
            next.fields = wanted.fields.clone();
            next.roles.retain(|r| !delta.remove_roles.contains(r));
            next.roles.extend(added);
        }
        next
    }

    /// An account found by a matching query: the directory's empty attributes are left to the
    /// target (first contact never clears what the IdP did not send).
    pub fn keep_only(mut self, wanted: &Wanted) -> Account {
        self.fields.retain(|f, _| wanted.fields.contains_key(f));
        self
    }

    /// Reads a User resource from the target (an answer, so not trusted): the one User reader of
    /// `scim`, after the parts a server owns (`schemas`, `meta`, `groups`) are set aside.
    pub fn from_resource(resource: &Value) -> Result<Account, String> {
        let Value::Object(obj) = resource else { return Err("the user is not a JSON object".into()) };
        let id = match obj.get("id") {
            Some(Value::String(id)) if !id.trim().is_empty() => id.clone(),
            _ => return Err("the user has no \"id\"".into()),
        };
        let mut body = obj.clone();
        for owned in ["schemas", "meta", "groups", "id"] {
            body.remove(owned);
        }
        let doc = canonical_user(&Value::Object(body))
            .map_err(|e| format!("the user cannot be read: {}", e.detail))?;
        let profile = user_profile(&doc);
        let text = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        let fields = [
            (Field::GivenName, text(profile.given_name)),
            (Field::FamilyName, text(profile.family_name)),
            (Field::DisplayName, text(doc.get("displayName").and_then(Value::as_str).map(str::to_string))),
            (Field::Email, text(primary_email(&doc))),
            (Field::Department, text(profile.department)),
            (Field::Division, text(profile.division)),
            (Field::CostCenter, text(profile.cost_center)),
        ]
        .into_iter()
        .filter_map(|(f, v)| v.map(|v| (f, v)))
        .collect();
        let roles = match doc.get("roles") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|item| {
                    let text = item.get("value").and_then(Value::as_str)?;
                    let value = role_values(&json!({ "roles": [item] })).into_iter().next()?;
                    Some(Role { value, text: text.to_string() })
                })
                .collect(),
            _ => Vec::new(),
        };
        Ok(Account {
            id,
            user_name: doc.get("userName").and_then(Value::as_str).unwrap_or_default().to_string(),
            fields,
            active: is_active(&doc),
            roles,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wanted(active: bool, dept: &str, roles: &[&str]) -> Wanted {
        Wanted::of(&DirUser {
            user_name: "ada@example.com".into(),
            given_name: "Ada".into(),
            family_name: "Lovelace".into(),
            department: dept.into(),
            active,
            roles: roles.iter().map(|s| s.to_string()).collect(),
            ..DirUser::default()
        })
    }

    #[test]
    fn only_what_changed_is_in_the_delta() {
        let w = wanted(true, "Sales", &["LICENSED_USER"]);
        let sent = Account {
            id: "1".into(),
            user_name: w.user_name.clone(),
            fields: w.fields.clone(),
            active: true,
            roles: vec![Role::plain("licensed_user")],
        };
        assert!(sent.delta(&w).is_empty(), "same values, role case ignored");
        let moved = wanted(true, "", &["GROUP_ADMIN"]);
        let d = sent.delta(&moved);
        assert_eq!(d.clear, [Field::Department]);
        assert!(d.set.is_empty());
        assert_eq!(d.add_roles, ["GROUP_ADMIN"]);
        assert_eq!(d.remove_roles, [Role::plain("licensed_user")]);
        let next = sent.after(&moved, &d, vec![Role::plain("GROUP_ADMIN")]);
        assert!(next.delta(&moved).is_empty());
    }

    #[test]
    fn an_inactive_user_is_only_deactivated_and_pushed_again_on_reactivation() {
        let w = wanted(true, "Sales", &[]);
        let sent = Account { id: "1".into(), fields: w.fields.clone(), active: true, ..Account::default() };
        let off = wanted(false, "Ops", &["LICENSED_USER"]);
        let d = sent.delta(&off);
        assert_eq!(d, Delta { active: Some(false), ..Delta::default() });
        let gone = sent.after(&off, &d, Vec::new());
        assert!(gone.delta(&off).is_empty(), "nothing more while inactive");
        let back = gone.delta(&wanted(true, "Ops", &[]));
        assert_eq!(back.active, Some(true));
        assert_eq!(back.set, [(Field::Department, "Ops".to_string())]);
    }

    #[test]
    fn a_target_resource_is_read_leniently_and_untrusted() {
        let r = json!({"schemas": ["urn:x:unknown"], "id": "u1", "UserName": "Ada@example.com", "active": "False",
            "name": {"givenName": "Ada"}, "emails": [{"value": "ada@example.com", "type": "work"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Sales"},
            "roles": [{"value": "{\"id\":\"9\",\"value\":\"LICENSED_USER\"}"}, {"type": "GROUP_ADMIN", "value": ""}],
            "meta": {"resourceType": "User"}, "groups": [{"value": "g"}]});
        let a = Account::from_resource(&r).unwrap();
        assert_eq!((a.id.as_str(), a.user_name.as_str(), a.active), ("u1", "Ada@example.com", false));
        assert_eq!(a.get(Field::Department), Some("Sales"));
        assert_eq!(a.get(Field::Email), Some("ada@example.com"));
        assert_eq!(a.roles.len(), 1);
        assert_eq!(a.roles[0].value, "LICENSED_USER");
        assert!(a.roles[0].text.starts_with('{'));
        for bad in
            [json!([1]), json!({"userName": "x"}), json!({"id": "1", "userName": 5}), json!({"id": "1"})]
        {
            assert!(Account::from_resource(&bad).is_err(), "{bad}");
        }
    }
}
