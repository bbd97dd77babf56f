//! Roles: role values and group names -> the roles a user holds -> the seat they ask for.
//!
//! Owns: the role table of SPEC.md section 3 (editable through the admin API, validated here), the
//! matching of a role value or a group display name to a role, the list of roles a user holds with
//! where each came from, and what those roles imply: the target seat (most privileged wins), the admin
//! rights, and on legacy plans whether the user is licensed.
//!
//! Does not own: reading roles out of SCIM bodies (Okta's `type`-keyed entries, Entra's
//! `WindowsAzureActiveDirectoryRole` entries and stringified-JSON values are unwrapped by `scim`, which
//! hands over plain role values), group membership storage, or when a target is applied (`plan`).
//!
//! The default table, as the Smartsheet documents print it:
//!
//! | role                       | mapping values                                      | variable name            | seat   | admin rights              |
//! |----------------------------|-----------------------------------------------------|--------------------------|--------|---------------------------|
//! | Smartsheet User            | SMARTSHEET_USER                                     | smartsheetUser           | viewer | —                         |
//! | Smartsheet Licensed User   | LICENSED_USER                                       | smartsheetLicensedUser   | member | —                         |
//! | Smartsheet Group Admin     | GROUP_ADMIN                                         | smartsheetGroupAdmin     | member | group admin               |
//! | Smartsheet Resource Viewer | RESOURCE_VIEWER                                     | smartsheetResourceViewer | member | resource viewer           |
//! | Smartsheet System Admin    | SYSTEM_ADMIN, USER_ADMIN, PAYMENT_ADMIN, DATA_ADMIN | smartsheetSystemAdmin    | viewer | the right(s) of the values held |
//!
//! USER_ADMIN, PAYMENT_ADMIN and DATA_ADMIN each grant their own right; SYSTEM_ADMIN (or the role's
//! variable name, its name, or a group named after it) grants all three.
//!
//! A value matches a role when it equals one of the role's mapping values, its variable name or its
//! name, ignoring case and surrounding whitespace. A group matches the same way; when the plan has a
//! `role_group_prefix` (e.g. `Smartsheet US ` for Okta push groups named after the app label), a group
//! that does not match directly is matched again with the prefix stripped, and then the role's name
//! without its leading `Smartsheet ` also counts (`Smartsheet US Licensed User` -> `Licensed User`).

use super::seats::{Seat, TargetSeat};
use std::fmt;

text_enum! {
    /// An admin right a role grants besides its seat.
    AdminRight {
        GroupAdmin = "group_admin",
        ResourceViewer = "resource_viewer",
        UserAdmin = "user_admin",
        PaymentAdmin = "payment_admin",
        DataAdmin = "data_admin",
    }
}

/// The most roles an edited table may hold.
pub const MAX_ROLES: usize = 100;
/// The longest role name, mapping value or variable name accepted, in characters.
pub const MAX_ROLE_TEXT: usize = 256;

/// One row of the role table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleMapping {
    pub name: String,
    pub mapping_values: Vec<String>,
    pub variable_name: String,
    /// viewer or member (validated by [`RoleTable::new`]).
    pub seat: Seat,
    pub admin_rights: Vec<AdminRight>,
}

impl RoleMapping {
    fn new(
        name: &str,
        values: &[&str],
        variable_name: &str,
        seat: Seat,
        rights: &[AdminRight],
    ) -> RoleMapping {
        RoleMapping {
            name: name.to_string(),
            mapping_values: values.iter().map(|v| v.to_string()).collect(),
            variable_name: variable_name.to_string(),
            seat,
            admin_rights: rights.to_vec(),
        }
    }

    /// The seat this role asks for. The table only holds viewer or member roles.
    pub fn target(&self) -> TargetSeat {
        match self.seat {
            Seat::Member => TargetSeat::Member,
            // Validation admits only viewer besides member.
            _ => TargetSeat::Viewer,
        }
    }

    /// Everything a value may equal to mean this role: mapping values, variable name, name.
    fn keys(&self) -> impl Iterator<Item = &str> {
        self.mapping_values
            .iter()
            .map(String::as_str)
            .chain([self.variable_name.as_str(), self.name.as_str()])
    }

    fn matches(&self, value: &str) -> bool {
        self.keys().any(|k| eq_ci(k.trim(), value))
    }

    /// The name as a group named `<prefix><short name>` spells it: without a leading `Smartsheet `.
    fn short_name(&self) -> &str {
        strip_prefix_ci(self.name.trim(), "Smartsheet ").map(str::trim).unwrap_or(self.name.trim())
    }
}

/// The role table: validated, so every role names a viewer or member seat and no value means two
/// roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleTable {
    roles: Vec<RoleMapping>,
}

impl Default for RoleTable {
    /// The table of SPEC.md section 3 (a test proves it passes [`RoleTable::new`]'s validation).
    fn default() -> RoleTable {
        use AdminRight::*;
        RoleTable {
            roles: vec![
                RoleMapping::new(
                    "Smartsheet User",
                    &["SMARTSHEET_USER"],
                    "smartsheetUser",
                    Seat::Viewer,
                    &[],
                ),
                RoleMapping::new(
                    "Smartsheet Licensed User",
                    &["LICENSED_USER"],
                    "smartsheetLicensedUser",
                    Seat::Member,
                    &[],
                ),
                RoleMapping::new(
                    "Smartsheet Group Admin",
                    &["GROUP_ADMIN"],
                    "smartsheetGroupAdmin",
                    Seat::Member,
                    &[GroupAdmin],
                ),
                RoleMapping::new(
                    "Smartsheet Resource Viewer",
                    &["RESOURCE_VIEWER"],
                    "smartsheetResourceViewer",
                    Seat::Member,
                    &[ResourceViewer],
                ),
                RoleMapping::new(
                    "Smartsheet System Admin",
                    &["SYSTEM_ADMIN", "USER_ADMIN", "PAYMENT_ADMIN", "DATA_ADMIN"],
                    "smartsheetSystemAdmin",
                    Seat::Viewer,
                    &[UserAdmin, PaymentAdmin, DataAdmin],
                ),
            ],
        }
    }
}

/// Why an edited role table was refused: which role, and what to fix. The service answers 400.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleTableError {
    /// Position of the offending role in the submitted list (0-based), when one role is at fault.
    pub index: Option<usize>,
    pub problem: String,
}

impl RoleTableError {
    pub fn code(&self) -> &'static str {
        "invalid_role_table"
    }
}

impl fmt::Display for RoleTableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.index {
            Some(i) => write!(f, "role #{}: {}", i + 1, self.problem),
            None => f.write_str(&self.problem),
        }
    }
}

impl std::error::Error for RoleTableError {}

impl RoleTable {
    /// Validates an edited table: at least one and at most [`MAX_ROLES`] roles; every role has a
    /// non-empty name, variable name and at least one mapping value (each at most [`MAX_ROLE_TEXT`]
    /// characters); its seat is viewer or member; and no name, value or variable name (ignoring case
    /// and surrounding whitespace) is claimed by two roles. Decision: these limits are scim-seat's; the
    /// documents only print the default table.
    pub fn new(roles: Vec<RoleMapping>) -> Result<RoleTable, RoleTableError> {
        if roles.is_empty() {
            return Err(RoleTableError {
                index: None,
                problem:
                    "the role table is empty: every user would be a viewer with no admin rights; send at \
                          least one role (GET /admin/role-mappings shows the current table)"
                        .to_string(),
            });
        }
        if roles.len() > MAX_ROLES {
            return Err(RoleTableError {
                index: None,
                problem: format!(
                    "the role table has {} roles; at most {MAX_ROLES} are accepted",
                    roles.len()
                ),
            });
        }
        for (i, role) in roles.iter().enumerate() {
            let fail = |problem: String| Err(RoleTableError { index: Some(i), problem });
            let label = format!("{:?}", role.name);
            if role.name.trim().is_empty() {
                return fail("the role has no name; give it one (e.g. \"Smartsheet Licensed User\")".into());
            }
            if role.variable_name.trim().is_empty() {
                return fail(format!("role {label} has no variable name (e.g. \"smartsheetLicensedUser\")"));
            }
            if role.mapping_values.is_empty() || role.mapping_values.iter().any(|v| v.trim().is_empty()) {
                return fail(format!(
                    "role {label} needs at least one mapping value and no empty ones (e.g. \"LICENSED_USER\")"
                ));
            }
            if let Some(long) = role.keys().find(|k| k.chars().count() > MAX_ROLE_TEXT) {
                return fail(format!(
                    "role {label}: {:?}... is longer than {MAX_ROLE_TEXT} characters",
                    long.chars().take(40).collect::<String>()
                ));
            }
            if !matches!(role.seat, Seat::Viewer | Seat::Member) {
                return fail(format!(
                    "role {label} implies seat {}; a role can imply only viewer or member (DI never targets \
                     provisional_member, no_access or guest)",
                    role.seat
                ));
            }
            for (j, earlier) in roles.iter().enumerate().take(i) {
                if let Some(key) = role.keys().find(|k| earlier.matches(k.trim())) {
                    return fail(format!(
                        "role {label}: {:?} is already claimed by role #{} {:?}; each name, mapping value and \
                         variable name may mean only one role",
                        key.trim(),
                        j + 1,
                        earlier.name
                    ));
                }
            }
        }
        Ok(RoleTable { roles })
    }

    pub fn roles(&self) -> &[RoleMapping] {
        &self.roles
    }

    /// The role of that name (ignoring case), if the table still has it.
    pub fn by_name(&self, name: &str) -> Option<&RoleMapping> {
        self.roles.iter().find(|r| eq_ci(r.name.trim(), name.trim()))
    }

    /// The role a value means: a mapping value, variable name or role name, ignoring case and
    /// surrounding whitespace.
    pub fn resolve(&self, value: &str) -> Option<&RoleMapping> {
        let value = value.trim();
        if value.is_empty() {
            return None;
        }
        self.roles.iter().find(|r| r.matches(value))
    }

    /// The role a group stands for. The display name is matched as a role value first (so
    /// `Smartsheet Licensed User` matches even with a prefix configured); failing that, `prefix` is
    /// stripped (ignoring case) and the rest is matched as a role value or as a role name without its
    /// leading `Smartsheet ` (`Smartsheet US Licensed User` with prefix `Smartsheet US `). Decision: the
    /// short name counts only after a configured prefix was stripped, so an unrelated group called
    /// `Licensed User` does not become a role group by accident.
    pub fn resolve_group(&self, display_name: &str, prefix: Option<&str>) -> Option<&RoleMapping> {
        if let Some(role) = self.resolve(display_name) {
            return Some(role);
        }
        let prefix = prefix.map(str::trim_start).filter(|p| !p.trim().is_empty())?;
        let rest = strip_prefix_ci(display_name.trim_start(), prefix)?.trim();
        if rest.is_empty() {
            return None;
        }
        self.resolve(rest).or_else(|| self.roles.iter().find(|r| eq_ci(r.short_name(), rest)))
    }
}

/// Where a held role came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RoleSource {
    /// The user's `roles` attribute.
    RolesAttribute,
    /// Membership in the SCIM group of this display name.
    Group(String),
}

impl RoleSource {
    /// `roles_attribute` or `group`, as in the admin user shape.
    pub fn as_str(&self) -> &'static str {
        match self {
            RoleSource::RolesAttribute => "roles_attribute",
            RoleSource::Group(_) => "group",
        }
    }

    /// The group's display name, for a group source.
    pub fn group(&self) -> Option<&str> {
        match self {
            RoleSource::RolesAttribute => None,
            RoleSource::Group(name) => Some(name),
        }
    }
}

/// A role value a user holds, where it came from, and the role it resolved to (`None`: unknown,
/// kept so `explain` can show it, seat-neutral).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldRole {
    pub value: String,
    pub source: RoleSource,
    /// The name of the role in the table, or `None` when the value matches no role.
    pub role: Option<String>,
}

/// The roles a user holds: the union of the values of the `roles` attribute and of the groups the user
/// is in, in that order. Empty values are skipped (Okta sends `""` for a role not held); a value
/// repeated from the same source is listed once. Decision: groups that match no role are kept with
/// `role: None`, because a group pushed to this app that maps to nothing is usually a misnamed role
/// group or a missing `role_group_prefix`, and `explain` should show it.
pub fn held_roles<A, G, S, T>(
    table: &RoleTable,
    roles_attribute: A,
    groups: G,
    prefix: Option<&str>,
) -> Vec<HeldRole>
where
    A: IntoIterator<Item = S>,
    S: AsRef<str>,
    G: IntoIterator<Item = T>,
    T: AsRef<str>,
{
    let mut held: Vec<HeldRole> = Vec::new();
    for value in roles_attribute {
        let value = value.as_ref().trim();
        if value.is_empty()
            || held.iter().any(|h| h.source == RoleSource::RolesAttribute && eq_ci(&h.value, value))
        {
            continue;
        }
        held.push(HeldRole {
            value: value.to_string(),
            source: RoleSource::RolesAttribute,
            role: table.resolve(value).map(|r| r.name.clone()),
        });
    }
    for group in groups {
        let group = group.as_ref();
        let shown = group.trim();
        if shown.is_empty() || held.iter().any(|h| h.source.group().is_some_and(|g| eq_ci(g, shown))) {
            continue;
        }
        held.push(HeldRole {
            value: shown.to_string(),
            source: RoleSource::Group(group.to_string()),
            role: table.resolve_group(group, prefix).map(|r| r.name.clone()),
        });
    }
    held
}

/// The roles of the table that the held roles resolve to (unknown values and roles since removed
/// from the table are left out).
fn known<'t>(held: &'t [HeldRole], table: &'t RoleTable) -> impl Iterator<Item = &'t RoleMapping> {
    held.iter().filter_map(|h| h.role.as_deref()).filter_map(|name| table.by_name(name))
}

/// The seat the IdP asks for: the most privileged seat any held role implies (member > viewer). A
/// user with no role, only unknown roles, or only viewer roles (assigned to the app, SMARTSHEET_USER,
/// System Admin) gets viewer.
pub fn target_seat(held: &[HeldRole], table: &RoleTable) -> TargetSeat {
    if known(held, table).any(|r| r.target() == TargetSeat::Member) {
        TargetSeat::Member
    } else {
        TargetSeat::Viewer
    }
}

/// The admin rights granted by the held roles, each once, in [`AdminRight::ALL`] order.
pub fn admin_rights(held: &[HeldRole], table: &RoleTable) -> Vec<AdminRight> {
    let granted = |right: &AdminRight| {
        held.iter().any(|h| {
            let Some(role) = h.role.as_deref().and_then(|name| table.by_name(name)) else { return false };
            if !role.admin_rights.contains(right) {
                return false;
            }
            // A value that names one of the role's rights (USER_ADMIN, PAYMENT_ADMIN, DATA_ADMIN)
            // grants that right alone; any other value of the role (SYSTEM_ADMIN, its variable name,
            // its name, a group named after it) grants all of the role's rights.
            match role.admin_rights.iter().find(|r| eq_ci(r.as_str(), h.value.trim())) {
                Some(named) => named == right,
                None => true,
            }
        })
    };
    AdminRight::ALL.iter().copied().filter(granted).collect()
}

/// Legacy plans: a user is licensed when some held role implies member; removing the last such role
/// makes the user unlicensed.
pub fn licensed(held: &[HeldRole], table: &RoleTable) -> bool {
    target_seat(held, table) == TargetSeat::Member
}

/// Equal ignoring case (Unicode simple lowercase), without allocating.
fn eq_ci(a: &str, b: &str) -> bool {
    a.chars().flat_map(char::to_lowercase).eq(b.chars().flat_map(char::to_lowercase))
}

/// `text` without `prefix` when it starts with it, ignoring case.
fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let mut rest = text.char_indices();
    for p in prefix.chars() {
        match rest.next() {
            Some((_, t)) if p == t || p.to_lowercase().eq(t.to_lowercase()) => {}
            _ => return None,
        }
    }
    let at = rest.next().map_or(text.len(), |(i, _)| i);
    text.get(at..)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> RoleTable {
        RoleTable::default()
    }

    fn role_of(value: &str) -> Option<String> {
        table().resolve(value).map(|r| r.name.clone())
    }

    /// (role, mapping values, variable name, seat, admin rights)
    type Row = (&'static str, &'static [&'static str], &'static str, Seat, &'static [AdminRight]);

    /// SPEC.md section 3, row by row.
    const SPEC_ROLE_TABLE: [Row; 5] = [
        ("Smartsheet User", &["SMARTSHEET_USER"], "smartsheetUser", Seat::Viewer, &[]),
        ("Smartsheet Licensed User", &["LICENSED_USER"], "smartsheetLicensedUser", Seat::Member, &[]),
        (
            "Smartsheet Group Admin",
            &["GROUP_ADMIN"],
            "smartsheetGroupAdmin",
            Seat::Member,
            &[AdminRight::GroupAdmin],
        ),
        (
            "Smartsheet Resource Viewer",
            &["RESOURCE_VIEWER"],
            "smartsheetResourceViewer",
            Seat::Member,
            &[AdminRight::ResourceViewer],
        ),
        (
            "Smartsheet System Admin",
            &["SYSTEM_ADMIN", "USER_ADMIN", "PAYMENT_ADMIN", "DATA_ADMIN"],
            "smartsheetSystemAdmin",
            Seat::Viewer,
            &[AdminRight::UserAdmin, AdminRight::PaymentAdmin, AdminRight::DataAdmin],
        ),
    ];

    #[test]
    fn default_table_is_the_spec_table_and_passes_validation() {
        let t = table();
        assert_eq!(t.roles().len(), SPEC_ROLE_TABLE.len());
        for (role, (name, values, variable, seat, rights)) in t.roles().iter().zip(SPEC_ROLE_TABLE) {
            assert_eq!(role.name, name);
            assert_eq!(role.mapping_values, values.to_vec());
            assert_eq!(role.variable_name, variable);
            assert_eq!(role.seat, seat);
            assert_eq!(role.admin_rights, rights.to_vec());
        }
        assert_eq!(RoleTable::new(t.roles().to_vec()), Ok(t));
    }

    #[test]
    fn every_mapping_value_variable_name_and_role_name_resolves_ignoring_case_and_spaces() {
        for (name, values, variable, _, _) in SPEC_ROLE_TABLE {
            let mut keys: Vec<String> = values.iter().map(|v| v.to_string()).collect();
            keys.push(variable.to_string());
            keys.push(name.to_string());
            for key in keys {
                for spelling in [key.clone(), key.to_lowercase(), key.to_uppercase(), format!("  {key}\t")] {
                    assert_eq!(role_of(&spelling).as_deref(), Some(name), "{spelling:?}");
                }
            }
        }
    }

    #[test]
    fn unknown_and_empty_values_resolve_to_no_role() {
        assert_eq!(role_of("JIRA_USER"), None);
        assert_eq!(role_of("Licensed"), None);
        assert_eq!(role_of(""), None);
        assert_eq!(role_of("   "), None);
    }

    #[test]
    fn group_named_like_a_role_matches_directly_even_with_a_prefix_configured() {
        let t = table();
        for prefix in [None, Some("Smartsheet US ")] {
            let r = t.resolve_group("Smartsheet Licensed User", prefix).map(|r| r.name.as_str());
            assert_eq!(r, Some("Smartsheet Licensed User"), "{prefix:?}");
            let r = t.resolve_group("smartsheetGroupAdmin", prefix).map(|r| r.name.as_str());
            assert_eq!(r, Some("Smartsheet Group Admin"));
        }
    }

    #[test]
    fn group_prefix_is_stripped_ignoring_case_then_value_or_short_name_matches() {
        let t = table();
        let p = Some("Smartsheet US ");
        let cases = [
            ("Smartsheet US Licensed User", "Smartsheet Licensed User"),
            ("smartsheet us licensed user", "Smartsheet Licensed User"),
            ("Smartsheet US LICENSED_USER", "Smartsheet Licensed User"),
            ("Smartsheet US System Admin", "Smartsheet System Admin"),
            ("SMARTSHEET US  Resource Viewer ", "Smartsheet Resource Viewer"),
            ("Smartsheet US Smartsheet User", "Smartsheet User"),
        ];
        for (group, role) in cases {
            assert_eq!(t.resolve_group(group, p).map(|r| r.name.as_str()), Some(role), "{group}");
        }
        // A prefix configured without its trailing space works the same.
        let r = t.resolve_group("Smartsheet US Group Admin", Some("Smartsheet US")).map(|r| r.name.as_str());
        assert_eq!(r, Some("Smartsheet Group Admin"));
    }

    #[test]
    fn group_short_name_matches_only_after_a_prefix_is_stripped() {
        let t = table();
        assert!(t.resolve_group("Licensed User", None).is_none());
        assert!(t.resolve_group("Smartsheet US Licensed User", None).is_none());
        assert!(t.resolve_group("Smartsheet EU Licensed User", Some("Smartsheet US ")).is_none());
        assert!(t.resolve_group("Smartsheet US ", Some("Smartsheet US ")).is_none());
        assert!(t.resolve_group("Engineering", Some("Smartsheet US ")).is_none());
    }

    #[test]
    fn held_roles_are_the_union_of_the_roles_attribute_and_the_groups() {
        let held = held_roles(
            &table(),
            ["LICENSED_USER", "", "licensed_user", "JIRA_USER"],
            ["Smartsheet System Admin", "Engineering", "engineering"],
            None,
        );
        let summary: Vec<(&str, &str, Option<&str>)> =
            held.iter().map(|h| (h.value.as_str(), h.source.as_str(), h.role.as_deref())).collect();
        assert_eq!(
            summary,
            [
                ("LICENSED_USER", "roles_attribute", Some("Smartsheet Licensed User")),
                ("JIRA_USER", "roles_attribute", None),
                ("Smartsheet System Admin", "group", Some("Smartsheet System Admin")),
                ("Engineering", "group", None),
            ]
        );
        assert_eq!(held[2].source.group(), Some("Smartsheet System Admin"));
        assert_eq!(held[0].source.group(), None);
    }

    #[test]
    fn held_roles_use_the_prefix_for_groups_only() {
        let t = table();
        let held = held_roles(
            &t,
            ["Smartsheet US Licensed User"],
            ["Smartsheet US Licensed User"],
            Some("Smartsheet US "),
        );
        assert_eq!(held[0].role, None, "a role value is not a group name");
        assert_eq!(held[1].role.as_deref(), Some("Smartsheet Licensed User"));
    }

    fn target_of(values: &[&str], groups: &[&str]) -> TargetSeat {
        let t = table();
        target_seat(&held_roles(&t, values, groups, None), &t)
    }

    #[test]
    fn no_role_means_viewer() {
        assert_eq!(target_of(&[], &[]), TargetSeat::Viewer);
        assert_eq!(target_of(&["SMARTSHEET_USER"], &[]), TargetSeat::Viewer);
    }

    #[test]
    fn each_role_implies_its_seat() {
        for (name, values, variable, seat, _) in SPEC_ROLE_TABLE {
            for key in values.iter().copied().chain([variable, name]) {
                assert_eq!(target_of(&[key], &[]).seat(), seat, "roles attribute {key}");
                assert_eq!(target_of(&[], &[key]).seat(), seat, "group {key}");
            }
        }
    }

    #[test]
    fn most_privileged_seat_wins_across_roles_and_sources() {
        assert_eq!(target_of(&["SYSTEM_ADMIN", "LICENSED_USER"], &[]), TargetSeat::Member);
        assert_eq!(target_of(&["SYSTEM_ADMIN"], &["Smartsheet Licensed User"]), TargetSeat::Member);
        assert_eq!(
            target_of(&["SMARTSHEET_USER"], &["Smartsheet Resource Viewer", "Smartsheet User"]),
            TargetSeat::Member
        );
        assert_eq!(target_of(&["SYSTEM_ADMIN", "SMARTSHEET_USER"], &[]), TargetSeat::Viewer);
    }

    #[test]
    fn unknown_roles_are_seat_neutral() {
        assert_eq!(target_of(&["JIRA_USER", "SALESFORCE_ADMIN"], &["Engineering"]), TargetSeat::Viewer);
        assert_eq!(target_of(&["JIRA_USER", "GROUP_ADMIN"], &[]), TargetSeat::Member);
    }

    #[test]
    fn roles_removed_from_the_table_since_are_seat_neutral() {
        let t = table();
        let held = held_roles(&t, ["LICENSED_USER"], Vec::<String>::new(), None);
        let edited: Vec<RoleMapping> =
            t.roles().iter().filter(|r| r.name != "Smartsheet Licensed User").cloned().collect();
        let edited = RoleTable::new(edited).unwrap();
        assert_eq!(target_seat(&held, &t), TargetSeat::Member);
        assert_eq!(target_seat(&held, &edited), TargetSeat::Viewer);
    }

    #[test]
    fn admin_rights_come_from_the_roles_held() {
        let t = table();
        let rights = |values: &[&str]| admin_rights(&held_roles(&t, values, Vec::<String>::new(), None), &t);
        assert_eq!(rights(&["LICENSED_USER"]), []);
        assert_eq!(rights(&["GROUP_ADMIN"]), [AdminRight::GroupAdmin]);
        assert_eq!(rights(&["RESOURCE_VIEWER"]), [AdminRight::ResourceViewer]);
        // Each sub-role grants its own right (SPEC section 3); SYSTEM_ADMIN grants all three.
        assert_eq!(rights(&["PAYMENT_ADMIN"]), [AdminRight::PaymentAdmin]);
        assert_eq!(rights(&["user_admin"]), [AdminRight::UserAdmin]);
        assert_eq!(rights(&["DATA_ADMIN", "GROUP_ADMIN"]), [AdminRight::GroupAdmin, AdminRight::DataAdmin]);
        assert_eq!(rights(&["USER_ADMIN", "DATA_ADMIN"]), [AdminRight::UserAdmin, AdminRight::DataAdmin]);
        let all = [AdminRight::UserAdmin, AdminRight::PaymentAdmin, AdminRight::DataAdmin];
        assert_eq!(rights(&["SYSTEM_ADMIN"]), all);
        assert_eq!(rights(&["smartsheetSystemAdmin"]), all);
        assert_eq!(rights(&["Smartsheet System Admin"]), all);
        assert_eq!(
            rights(&["DATA_ADMIN", "GROUP_ADMIN", "smartsheetSystemAdmin"]),
            [AdminRight::GroupAdmin, AdminRight::UserAdmin, AdminRight::PaymentAdmin, AdminRight::DataAdmin]
        );
    }

    #[test]
    fn legacy_licensed_when_some_role_implies_member() {
        let t = table();
        let lic = |values: &[&str]| licensed(&held_roles(&t, values, Vec::<String>::new(), None), &t);
        assert!(lic(&["LICENSED_USER"]));
        assert!(lic(&["SYSTEM_ADMIN", "GROUP_ADMIN"]));
        assert!(!lic(&["SYSTEM_ADMIN"]));
        assert!(!lic(&["SMARTSHEET_USER"]));
        assert!(!lic(&[]), "removing the last licensing role makes the user unlicensed");
    }

    fn custom(name: &str, values: &[&str], variable: &str, seat: Seat) -> RoleMapping {
        RoleMapping::new(name, values, variable, seat, &[])
    }

    #[test]
    fn an_edited_table_is_used_for_matching() {
        let mut roles = table().roles().to_vec();
        roles.push(custom("Contractors", &["CONTRACTOR"], "contractor", Seat::Member));
        let t = RoleTable::new(roles).unwrap();
        assert_eq!(t.resolve("contractor").map(|r| r.name.as_str()), Some("Contractors"));
        let held = held_roles(&t, Vec::<String>::new(), ["CONTRACTORS"], None);
        assert_eq!(target_seat(&held, &t), TargetSeat::Member);
    }

    #[test]
    fn edited_table_validation_names_the_role_and_the_fix() {
        let base = || table().roles().to_vec();
        let with = |extra: RoleMapping| {
            let mut roles = base();
            roles.push(extra);
            RoleTable::new(roles).unwrap_err().to_string()
        };
        // (the table, a phrase the error must contain)
        let cases: Vec<(String, &str)> = vec![
            (RoleTable::new(Vec::new()).unwrap_err().to_string(), "empty"),
            (with(custom("  ", &["X"], "x", Seat::Member)), "no name"),
            (with(custom("X", &["X"], " ", Seat::Member)), "no variable name"),
            (with(custom("X", &[], "x", Seat::Member)), "at least one mapping value"),
            (with(custom("X", &["A", ""], "x", Seat::Member)), "no empty ones"),
            (with(custom("X", &["X"], "x", Seat::NoAccess)), "only viewer or member"),
            (with(custom("X", &["X"], "x", Seat::ProvisionalMember)), "only viewer or member"),
            (with(custom("X", &["X"], "x", Seat::Guest)), "only viewer or member"),
            (with(custom("X", &["licensed_user"], "x", Seat::Member)), "already claimed by role #2"),
            (with(custom("X", &["X"], "SMARTSHEETUSER", Seat::Member)), "already claimed by role #1"),
            (with(custom("Smartsheet group admin", &["X"], "x", Seat::Member)), "already claimed by role #3"),
            (with(custom("X", &["x".repeat(MAX_ROLE_TEXT + 1).as_str()], "x", Seat::Member)), "longer than"),
        ];
        for (text, phrase) in cases {
            assert!(text.contains(phrase), "{text:?} should say {phrase:?}");
        }
        let err = RoleTable::new(vec![
            custom("A", &["A"], "a", Seat::Member),
            custom("B", &["a"], "b", Seat::Member),
        ])
        .unwrap_err();
        assert_eq!(err.index, Some(1));
        assert_eq!(err.code(), "invalid_role_table");
        let too_many: Vec<RoleMapping> = (0..=MAX_ROLES)
            .map(|i| custom(&format!("R{i}"), &[&format!("V{i}")], &format!("v{i}"), Seat::Viewer))
            .collect();
        assert!(RoleTable::new(too_many).unwrap_err().to_string().contains("at most"));
    }

    #[test]
    fn a_role_may_repeat_its_own_name_as_a_value() {
        let t = RoleTable::new(vec![custom("ADMINS", &["ADMINS", "admins"], "admins", Seat::Viewer)]);
        assert!(t.is_ok());
    }

    #[test]
    fn admin_right_text_round_trips() {
        for right in AdminRight::ALL {
            assert_eq!(AdminRight::parse(right.as_str()), Some(*right));
        }
        assert!(AdminRight::allowed().contains("payment_admin"));
    }
}
