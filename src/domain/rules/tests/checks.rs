//! The DI-enable, reconcile, domain and deprovision guards, and the pending filter.

use super::*;

#[test]
fn di_enable_needs_a_validated_domain() {
    let err = check_di_enable(0, 0, true).unwrap_err();
    assert_eq!((err.rule, err.kind), (Rule::NoValidatedDomain, RefusalKind::Conflict));
    assert!(err.detail.contains("domain add"));
}

#[test]
fn di_enable_is_refused_while_it_would_downgrade_members_unless_forced() {
    let err = check_di_enable(1, 2, false).unwrap_err();
    assert_eq!(err.rule, Rule::DiEnableWouldDowngrade);
    assert!(err.detail.contains("2 user(s)") && err.detail.contains("force"));
    assert!(check_di_enable(1, 2, true).is_ok());
    assert!(check_di_enable(1, 0, false).is_ok());
}

#[test]
fn reconcile_applies_only_while_di_is_on() {
    assert_eq!(check_reconcile_apply(&Settings::default()).unwrap_err().rule, Rule::ReconcileNeedsDiOn);
    assert!(check_reconcile_apply(&di_on()).is_ok());
}

#[test]
fn scim_create_must_be_on_a_validated_domain() {
    let settings = di_on();
    let domains = ["example.com", "Corp.Example.ORG."];
    let ok = |name: &str, email: Option<&str>| check_user_domain(name, email, &domains, &settings);
    assert!(ok("ann@example.com", None).is_ok());
    assert!(ok("ANN@EXAMPLE.COM", None).is_ok());
    assert!(ok("bob@corp.example.org", None).is_ok());
    assert!(ok("E12345", Some("bob@corp.example.org")).is_ok(), "userName not an address: primary email");
    let err = ok("ann@other.com", None).unwrap_err();
    assert_eq!((err.rule, err.kind), (Rule::DomainNotValidated, RefusalKind::InvalidValue));
    assert!(err.detail.contains("\"other.com\"") && err.detail.contains("enforce_domains"), "{}", err.detail);
    assert!(ok("ann@sub.example.com", None).is_err(), "a subdomain is validated on its own");
    let err = ok("E12345", None).unwrap_err();
    assert!(err.detail.contains("not an email address"));
    let lab = Settings { enforce_domains: false, ..di_on() };
    assert!(check_user_domain("anything", None, &[] as &[&str], &lab).is_ok());
}

#[test]
fn deprovision_guard_trips_past_max_within_the_window_until_reset() {
    let settings = Settings {
        deprovision_guard: crate::domain::seats::DeprovisionGuard { max: 3, window_minutes: 60 },
        ..di_on()
    };
    assert!(check_deprovision_guard(&settings, false, 2).is_ok(), "the third is allowed");
    let err = check_deprovision_guard(&settings, false, 3).unwrap_err();
    assert_eq!((err.rule, err.kind), (Rule::DeprovisionGuardTripped, RefusalKind::TooManyRequests));
    assert!(err.detail.contains("reset"));
    assert!(check_deprovision_guard(&settings, true, 0).is_err(), "tripped stays tripped until reset");
}

#[test]
fn only_legacy_unlicensed_scim_users_never_signed_in_and_in_no_group_are_pending() {
    // Seed 001 (LCM): legacy plans only.
    let pending = legacy_user(false);
    assert!(is_pending(&pending, PlanModel::Legacy, false));
    assert!(!is_pending(&pending, PlanModel::Legacy, true), "in a group");
    assert!(!is_pending(&UserState { first_sign_in: Some(1), ..pending.clone() }, PlanModel::Legacy, false));
    assert!(!is_pending(&legacy_user(true), PlanModel::Legacy, false), "licensed");
    assert!(!is_pending(
        &UserState { managed_by_directory: false, ..pending.clone() },
        PlanModel::Legacy,
        false
    ));
    // A user-model plan hides nobody: a viewer created through SCIM is listed (issue: viewers vanished).
    for seat in [Viewer, Member, Guest, NoAccess] {
        assert!(!is_pending(&user(seat), PlanModel::UserModel, false), "{seat}");
    }
}
