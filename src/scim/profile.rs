//! The profile facts of a user document that the administrator's views and reports show, read from
//! where the SCIM schemas put them, so that no code outside the protocol layer knows those paths.

use super::ENTERPRISE_USER_SCHEMA;
use serde_json::Value;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserProfile {
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub title: Option<String>,
    pub division: Option<String>,
    pub department: Option<String>,
    pub cost_center: Option<String>,
}

fn text(doc: &Value, path: &[&str]) -> Option<String> {
    let mut v = doc;
    for p in path {
        v = v.get(p)?;
    }
    v.as_str().map(str::to_string)
}

/// The profile of a canonical user document (core attributes at the top, the enterprise extension
/// under its URN).
pub fn user_profile(doc: &Value) -> UserProfile {
    UserProfile {
        given_name: text(doc, &["name", "givenName"]),
        family_name: text(doc, &["name", "familyName"]),
        title: text(doc, &["title"]),
        division: text(doc, &[ENTERPRISE_USER_SCHEMA, "division"]),
        department: text(doc, &[ENTERPRISE_USER_SCHEMA, "department"]),
        cost_center: text(doc, &[ENTERPRISE_USER_SCHEMA, "costCenter"]),
    }
}

impl UserProfile {
    /// "Given Family", or `None` when neither is known.
    pub fn full_name(&self) -> Option<String> {
        let name = [self.given_name.as_deref(), self.family_name.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        (!name.trim().is_empty()).then(|| name.trim().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_core_and_enterprise_attributes() {
        let mut doc = json!({
            "userName": "a@b.c", "title": "Eng", "name": {"givenName": "Ada", "familyName": "Lovelace"},
        });
        doc[ENTERPRISE_USER_SCHEMA] = json!({"division": "R&D", "department": "Maths", "costCenter": "42"});
        let p = user_profile(&doc);
        assert_eq!(p.full_name().as_deref(), Some("Ada Lovelace"));
        assert_eq!(
            (p.title.as_deref(), p.division.as_deref(), p.department.as_deref(), p.cost_center.as_deref()),
            (Some("Eng"), Some("R&D"), Some("Maths"), Some("42"))
        );
        assert_eq!(user_profile(&json!({"userName": "x"})), UserProfile::default());
        assert_eq!(UserProfile::default().full_name(), None);
    }
}
