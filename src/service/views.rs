//! What the admin operations answer, as types, and the one place they become JSON. The admin API
//! sends [`View::json`]; the CLI prints the same JSON with `--json` and a readable form of the types
//! otherwise (`crate::output`).

use crate::base::calendar;
use crate::domain::roles::{AdminRight, HeldRole, RoleMapping};
use crate::domain::rules::Change;
use crate::domain::seats::{Seat, SettingKey, SettingValue, Settings, Status};
use crate::store::audit::Event;
use crate::store::domains::Domain;
use crate::store::tokens::{NewToken, TokenInfo};
use serde_json::{Map, Value, json};

/// An answer of an admin operation.
pub trait View {
    fn json(&self) -> Value;
}

/// A user as the administrator sees it.
#[derive(Debug, Clone)]
pub struct UserView {
    pub id: String,
    pub user_name: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub status: Status,
    /// `None` on legacy plans (licensed or not instead) and for deactivated users.
    pub seat: Option<Seat>,
    pub seat_label: Option<&'static str>,
    pub licensed: bool,
    pub managed_by_directory: bool,
    pub guest: bool,
    pub scim_visible: bool,
    pub manual_seat: bool,
    pub admin_roles: Vec<AdminRight>,
    pub roles: Vec<HeldRole>,
    pub division: Option<String>,
    pub department: Option<String>,
    pub cost_center: Option<String>,
    pub created: String,
    pub last_modified: String,
    pub provisional_until: Option<i64>,
    pub first_sign_in: Option<i64>,
    /// When the IdP's re-creation of this user (deleted through SCIM) was first refused.
    pub recreate_refused_at: Option<String>,
}

impl View for UserView {
    fn json(&self) -> Value {
        let roles: Vec<Value> = self
            .roles
            .iter()
            .map(|h| {
                let mut r = json!({ "role": h.role, "value": h.value, "source": h.source.as_str() });
                if let Some(g) = h.source.group() {
                    r["group"] = Value::from(g);
                }
                r
            })
            .collect();
        let mut v = json!({
            "id": self.id,
            "userName": self.user_name,
            "displayName": self.display_name,
            "email": self.email,
            "status": self.status.as_str(),
            "seat": self.seat.map(Seat::as_str),
            "seat_label": self.seat_label,
            "licensed": self.licensed,
            "managed_by_directory": self.managed_by_directory,
            "guest": self.guest,
            "scim_visible": self.scim_visible,
            "manual_seat": self.manual_seat,
            "admin_roles": self.admin_roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
            "roles": roles,
            "division": self.division,
            "department": self.department,
            "cost_center": self.cost_center,
            "created": self.created,
            "last_modified": self.last_modified,
        });
        if let Some(t) = self.provisional_until {
            v["provisional_until"] = Value::from(calendar::rfc3339(t));
        }
        if let Some(t) = self.first_sign_in {
            v["first_sign_in"] = Value::from(calendar::rfc3339(t));
        }
        if let Some(at) = &self.recreate_refused_at {
            v["recreate_refused_at"] = Value::from(at.clone());
        }
        v
    }
}

/// One page of a list and the cursor of the next, if any.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T: View> View for Page<T> {
    fn json(&self) -> Value {
        json!({
            "items": self.items.iter().map(View::json).collect::<Vec<_>>(),
            "next_cursor": self.next_cursor,
        })
    }
}

/// A user after a seat change, reactivation or system event.
#[derive(Debug, Clone)]
pub struct UserStep {
    pub user: UserView,
    pub changed: bool,
    /// The first system event the step recorded (code, detail).
    pub event: Option<(&'static str, String)>,
    /// What the user's next update call will do to the seat just set, when it will undo it.
    pub warning: Option<String>,
}

impl View for UserStep {
    fn json(&self) -> Value {
        let mut v = self.user.json();
        v["changed"] = Value::Bool(self.changed);
        if let Some((code, detail)) = &self.event {
            v["event"] = json!({ "code": code, "detail": detail });
        }
        if let Some(warning) = &self.warning {
            v["warning"] = Value::from(warning.clone());
        }
        v
    }
}

/// Why a user has its seat.
#[derive(Debug, Clone)]
pub struct Explained {
    pub user: UserView,
    pub target: Seat,
    pub next: &'static str,
    pub would_change: bool,
    /// (code, detail)
    pub reasons: Vec<(String, String)>,
}

impl View for Explained {
    fn json(&self) -> Value {
        let mut v = self.user.json();
        v["target_seat"] = Value::from(self.target.as_str());
        v["next"] = Value::from(self.next);
        v["would_change"] = Value::Bool(self.would_change);
        v["reasons"] =
            self.reasons.iter().map(|(code, detail)| json!({ "code": code, "detail": detail })).collect();
        v
    }
}

/// Something removed: a user, a guest (`id`) or a domain (`name`).
#[derive(Debug, Clone)]
pub struct Removed {
    pub key: &'static str,
    pub value: String,
}

impl View for Removed {
    fn json(&self) -> Value {
        let mut v = json!({ "removed": true });
        v[self.key] = Value::from(self.value.clone());
        v
    }
}

/// The plan settings, each with its type, and advice about their combination.
#[derive(Debug, Clone)]
pub struct SettingsView {
    pub settings: Settings,
}

fn setting_json(value: &SettingValue) -> Value {
    match value {
        SettingValue::Null => Value::Null,
        SettingValue::Bool(b) => Value::Bool(*b),
        SettingValue::Number(n) => Value::from(*n),
        SettingValue::Text(t) => Value::from(t.clone()),
    }
}

impl View for SettingsView {
    fn json(&self) -> Value {
        let mut out = Map::new();
        let mut guard = Map::new();
        for (key, value) in self.settings.values() {
            match key.as_str().strip_prefix("deprovision_guard.") {
                Some(sub) => guard.insert(sub.to_string(), setting_json(&value)),
                None => out.insert(key.as_str().to_string(), setting_json(&value)),
            };
        }
        out.insert("deprovision_guard".into(), Value::Object(guard));
        out.insert("advice".into(), json!(self.settings.advice()));
        Value::Object(out)
    }
}

/// Reads a settings PATCH body: keys (a nested `deprovision_guard` object included) parsed into
/// [`SettingKey`]s and each JSON value into the [`SettingValue`] of its JSON type, unchanged (the
/// domain then checks the type against the key).
pub fn settings_patch(body: &Value) -> crate::error::Result<Vec<(String, SettingValue)>> {
    use crate::error::Error;
    let obj =
        body.as_object().ok_or_else(|| Error::invalid_value("send a JSON object of settings to change"))?;
    let value_of = |key: &str, v: &Value| -> crate::error::Result<SettingValue> {
        Ok(match v {
            Value::Null => SettingValue::Null,
            Value::Bool(b) => SettingValue::Bool(*b),
            Value::String(s) => SettingValue::Text(s.clone()),
            Value::Number(n) => SettingValue::Number(n.as_u64().ok_or_else(|| {
                Error::invalid_value(format!("{key} cannot be {n}: numbers are whole and 0 or more"))
                    .with_code("invalid_setting_value")
            })?),
            _ => {
                let expected = SettingKey::parse(key)
                    .map_or("a string, number, boolean or null", |k| k.value_type().describe());
                return Err(Error::invalid_value(format!("{key} takes {expected}, not {v}"))
                    .with_code("invalid_setting_type"));
            }
        })
    };
    let mut pairs = Vec::new();
    for (k, v) in obj {
        match v {
            Value::Object(inner) => {
                for (sk, sv) in inner {
                    let key = format!("{k}.{sk}");
                    pairs.push((key.clone(), value_of(&key, sv)?));
                }
            }
            other => pairs.push((k.clone(), value_of(k, other)?)),
        }
    }
    if pairs.is_empty() {
        return Err(Error::invalid_value("the body names no setting to change"));
    }
    Ok(pairs)
}

/// The DI switch.
#[derive(Debug, Clone)]
pub struct DiStatus {
    pub enabled: bool,
    pub changed_at: Option<String>,
    pub validated_domains: Vec<String>,
}

impl View for DiStatus {
    fn json(&self) -> Value {
        json!({ "enabled": self.enabled, "changed_at": self.changed_at, "validated_domains": self.validated_domains })
    }
}

/// One user's change in a preview, a reconcile or a sweep.
#[derive(Debug, Clone)]
pub struct ChangeItem {
    pub user_id: String,
    pub user_name: String,
    pub change: Change,
}

impl ChangeItem {
    fn json(&self, with_detail: bool) -> Value {
        let mut v = json!({
            "user_id": self.user_id,
            "userName": self.user_name,
            "from": self.change.from.map(|s| s.describe()),
            "to": self.change.to.map(|s| s.describe()),
            "reason": self.change.reason.code.as_str(),
        });
        if with_detail {
            v["detail"] = Value::from(self.change.reason.detail.clone());
        }
        v
    }
}

/// What the next update call of every directory-managed user would do (DI enable, reconcile).
#[derive(Debug, Clone)]
pub struct PreviewView {
    pub changes: Vec<ChangeItem>,
    /// (user id, userName) of users whose upgrade the member seat limit blocks.
    pub seat_limited: Vec<(String, String)>,
    /// How many users change, and how many upgrades the seat limit blocks, listed or not.
    pub changed: usize,
    pub limited: usize,
    pub downgrades: usize,
    pub upgrades: usize,
    pub applied: bool,
    /// DI's state after the call, for the DI switch.
    pub enabled: Option<bool>,
    /// Plan users no IdP has touched yet: (how many, how many hold a member seat or licence).
    pub untouched: Option<(usize, usize)>,
    /// How a held downgrade is treated (`match_downgrade`), for the note on untouched plan users.
    pub hold: bool,
}

impl View for PreviewView {
    fn json(&self) -> Value {
        let mut v = json!({
            "changes": self.changes.iter().map(|c| c.json(true)).collect::<Vec<_>>(),
            "seat_limited": self.seat_limited.iter()
                .map(|(id, name)| json!({ "user_id": id, "userName": name, "reason": "seat_limit" }))
                .collect::<Vec<_>>(),
            "changes_total": self.changed,
            "seat_limited_total": self.limited,
            "listed_at_most": crate::domain::rules::PREVIEW_LISTED,
            "downgrades": self.downgrades,
            "upgrades": self.upgrades,
            "applied": self.applied,
        });
        if let Some(enabled) = self.enabled {
            v["enabled"] = Value::Bool(enabled);
        }
        if let Some((users, members)) = self.untouched {
            let held = if self.hold {
                "held while match_downgrade = hold (the seat is kept and flagged downgrade_held)"
            } else {
                "applied at once: match_downgrade = apply"
            };
            v["untouched_plan_users"] = json!({
                "users": users,
                "members": members,
                "note": format!(
                    "{users} plan user(s) no IdP has touched yet, {members} of them with a member seat: the IdP's first \
                     sync over each is its first update call, which downgrades a member unless the IdP sends a member \
                     role (or a member role group) for it; such a downgrade is {held}"
                ),
            });
        }
        v
    }
}

/// The provisional review sweep.
#[derive(Debug, Clone)]
pub struct SweepView {
    /// The first [`crate::domain::rules::PREVIEW_LISTED`] changes, as a preview lists them.
    pub changes: Vec<ChangeItem>,
    /// How many provisional members the sweep changed, listed or not.
    pub changed: usize,
}

impl View for SweepView {
    fn json(&self) -> Value {
        json!({
            "changes": self.changes.iter().map(|c| c.json(false)).collect::<Vec<_>>(),
            "changes_total": self.changed,
            "listed_at_most": crate::domain::rules::PREVIEW_LISTED,
            "applied": true,
        })
    }
}

impl View for Domain {
    fn json(&self) -> Value {
        json!({ "name": self.name, "verified": self.verified, "created": self.created })
    }
}

/// The role table.
#[derive(Debug, Clone)]
pub struct RoleMappings {
    pub roles: Vec<RoleMapping>,
    pub role_group_prefix: Option<String>,
}

impl View for RoleMappings {
    fn json(&self) -> Value {
        let items: Vec<Value> = self
            .roles
            .iter()
            .map(|r| {
                json!({
                    "name": r.name,
                    "mapping_values": r.mapping_values,
                    "variable_name": r.variable_name,
                    "seat": r.seat.as_str(),
                    "admin_rights": r.admin_rights.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({ "items": items, "role_group_prefix": self.role_group_prefix, "next_cursor": null })
    }
}

impl View for Event {
    fn json(&self) -> Value {
        json!({
            "id": self.id, "at": self.at, "actor": self.actor, "source": self.source, "action": self.action,
            "user_id": self.user_id,
            "before": { "seat": self.before_seat, "status": self.before_status },
            "after": { "seat": self.after_seat, "status": self.after_status },
            "reason": self.reason, "request_id": self.request_id,
        })
    }
}

/// The deprovision guard.
#[derive(Debug, Clone)]
pub struct GuardView {
    pub tripped: bool,
    pub deprovisions_in_window: u64,
    pub max: u64,
    pub window_minutes: u64,
    pub last_reset: Option<i64>,
}

impl View for GuardView {
    fn json(&self) -> Value {
        json!({
            "tripped": self.tripped,
            "deprovisions_in_window": self.deprovisions_in_window,
            "max": self.max,
            "window_minutes": self.window_minutes,
            "last_reset": self.last_reset.map(calendar::rfc3339),
        })
    }
}

impl View for TokenInfo {
    fn json(&self) -> Value {
        json!({
            "id": self.id, "name": self.name, "scope": self.scope.as_str(), "created": self.created,
            "last_used": self.last_used, "revoked": self.revoked,
        })
    }
}

impl View for NewToken {
    /// The only answer that carries a token's secret.
    fn json(&self) -> Value {
        json!({ "id": self.info.id, "name": self.info.name, "scope": self.info.scope.as_str(), "token": self.token })
    }
}

/// What an import did (or, with a dry run, would do).
#[derive(Debug, Clone)]
pub struct ImportReport {
    pub rows: usize,
    pub created: usize,
    /// Already on the plan exactly as the row says.
    pub skipped: usize,
    pub dry_run: bool,
    pub applied: bool,
}

impl View for ImportReport {
    fn json(&self) -> Value {
        json!({
            "rows": self.rows, "created": self.created, "skipped_identical": self.skipped, "refused": 0,
            "dry_run": self.dry_run, "applied": self.applied,
        })
    }
}

/// One user whose seat differs from the seat its roles ask for.
#[derive(Debug, Clone)]
pub struct DriftItem {
    pub user_id: String,
    pub user_name: String,
    /// The seat held (or licensed/unlicensed on legacy plans).
    pub seat: String,
    pub target: Seat,
    pub reason: String,
    pub detail: String,
}

impl DriftItem {
    pub fn json(&self) -> Value {
        json!({"user_id": self.user_id, "userName": self.user_name, "seat": self.seat,
               "target_seat": self.target.as_str(), "reason": self.reason, "detail": self.detail})
    }

    /// The item as a line of the drift CSV ([`DRIFT_CSV_COLUMNS`]).
    pub fn csv_record(&self) -> String {
        crate::base::csv::record(&[
            self.user_id.as_str(),
            &self.user_name,
            &self.seat,
            self.target.as_str(),
            &self.reason,
            &self.detail,
        ])
    }
}

/// The columns of the drift CSV, in order.
pub const DRIFT_CSV_COLUMNS: [&str; 6] = ["User ID", "userName", "Seat", "Target seat", "Reason", "Detail"];

/// The drift report's totals: how many users differ, by reason and by seat held. Bounded whatever
/// the plan's size (a few reasons, a few seats), so a streamed report keeps them to the end.
#[derive(Debug, Clone, Default)]
pub struct DriftCounts {
    pub total: usize,
    pub by_reason: std::collections::BTreeMap<String, usize>,
    pub by_seat: std::collections::BTreeMap<String, usize>,
}

impl DriftCounts {
    pub fn add(&mut self, item: &DriftItem) {
        self.total += 1;
        *self.by_reason.entry(item.reason.clone()).or_insert(0) += 1;
        *self.by_seat.entry(item.seat.clone()).or_insert(0) += 1;
    }
}

/// The whole-plan runs in progress in this process (`GET /admin/operations`).
#[derive(Debug, Clone)]
pub struct OperationsView {
    pub items: Vec<crate::service::progress::Running>,
}

impl View for OperationsView {
    fn json(&self) -> Value {
        let items: Vec<Value> = self
            .items
            .iter()
            .map(|r| {
                json!({
                    "id": r.id.to_string(),
                    "kind": r.kind,
                    "started": r.started,
                    "elapsed_ms": r.elapsed_ms,
                    "users_read": r.done,
                    "users_to_read": r.total,
                    "percent": r.percent,
                })
            })
            .collect();
        json!({ "items": items, "next_cursor": null })
    }
}
