//! Explain: every reason it gives.

use super::*;

fn explain_with(state: &UserState, values: &[&str], settings: &Settings, in_use: u64) -> Explanation {
    let table = RoleTable::default();
    let held = held_roles(&table, values, Vec::<String>::new(), None);
    explain(state, &held, &table, &ctx_in_use(settings, in_use))
}

#[test]
fn explain_a_seat_equal_to_its_target_gives_no_reason() {
    let e = explain_with(&user(Member), &["LICENSED_USER"], &di_on(), 0);
    assert_eq!((e.target, e.would_change), (TargetSeat::Member, false));
    assert!(e.reasons.is_empty());
    assert_eq!(e.next, user(Member).snapshot());
}

#[test]
fn explain_provisional_not_downgraded() {
    let e = explain_with(&user(ProvisionalMember), &[], &di_on(), 0);
    assert_eq!(codes(&e), [Code::ProvisionalNotDowngraded]);
    assert!(!e.would_change);
    assert!(e.reasons[0].detail.contains("becomes viewer"));
    let keep = Settings { provisional_on_expiry: OnExpiry::Keep, ..di_on() };
    assert!(explain_with(&user(ProvisionalMember), &[], &keep, 0).reasons[0].detail.contains("keep"));
}

#[test]
fn explain_awaiting_update_call() {
    let e = explain_with(&user(Member), &["SMARTSHEET_USER"], &di_on(), 0);
    assert_eq!(codes(&e), [Code::AwaitingUpdateCall]);
    assert!(e.would_change);
    assert_eq!(e.next.seat, Some(Viewer));
}

#[test]
fn explain_di_off() {
    let e = explain_with(&user(Viewer), &["LICENSED_USER"], &Settings::default(), 0);
    assert_eq!(codes(&e), [Code::DiOff, Code::AwaitingUpdateCall]);
    assert!(e.would_change, "what the first update call after DI is on would do");
}

#[test]
fn explain_viewer_only() {
    let settings = Settings { seat_mapping: SeatMapping::ViewerOnly, ..di_on() };
    let e = explain_with(&user(Viewer), &["LICENSED_USER"], &settings, 0);
    assert_eq!(codes(&e), [Code::ViewerOnly]);
    assert!(!e.would_change);
    let chosen = UserState { manual_seat: true, ..user(Member) };
    assert_eq!(codes(&explain_with(&chosen, &[], &settings, 0)), [Code::ViewerOnly, Code::ManualChange]);
}

#[test]
fn explain_manual_change() {
    let chosen = UserState { manual_seat: true, ..user(NoAccess) };
    let e = explain_with(&chosen, &["LICENSED_USER"], &di_on(), 0);
    assert_eq!(codes(&e), [Code::ManualChange]);
    assert!(e.reasons[0].detail.contains("no_access") && e.reasons[0].detail.contains("member"));
}

#[test]
fn explain_seat_limit() {
    let settings = Settings { member_seat_limit: Some(1), ..di_on() };
    let e = explain_with(&user(Viewer), &["LICENSED_USER"], &settings, 1);
    assert_eq!(codes(&e), [Code::SeatLimit]);
    assert!(!e.would_change);
    assert!(e.reasons[0].detail.contains("1 of 1"));
}

#[test]
fn explain_deactivated_guest_and_not_managed() {
    let cases = [
        (deactivated(), Code::Deactivated),
        (user(Guest), Code::Guest),
        (UserState { managed_by_directory: false, ..user(Viewer) }, Code::NotManaged),
    ];
    for (state, code) in cases {
        let e = explain_with(&state, &["LICENSED_USER"], &di_on(), 0);
        assert_eq!(codes(&e), [code]);
        assert!(!e.would_change);
    }
    assert!(explain_with(&deactivated(), &[], &di_on(), 0).reasons[0].detail.contains("turn DI off"));
}

#[test]
fn explain_legacy_plan() {
    let settings = Settings { plan_model: PlanModel::Legacy, ..di_on() };
    let e = explain_with(&legacy_user(false), &["LICENSED_USER"], &settings, 0);
    assert_eq!(codes(&e), [Code::LegacyPlan, Code::AwaitingUpdateCall]);
    assert_eq!(e.next.describe(), "licensed");
    assert_eq!(codes(&explain_with(&legacy_user(true), &["GROUP_ADMIN"], &settings, 0)), [Code::LegacyPlan]);
}

#[test]
fn explain_shows_unknown_roles() {
    let table = RoleTable::default();
    let held = held_roles(&table, ["JIRA_USER"], ["Smartsheet US Licensed User"], None);
    let settings = di_on();
    let e = explain(&user(Viewer), &held, &table, &ctx(&settings));
    assert_eq!(codes(&e), [Code::UnknownRole, Code::UnknownRole]);
    assert!(e.reasons[1].detail.contains("role_group_prefix"));
}

#[test]
fn every_reason_code_has_its_spec_spelling() {
    let spelled: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    for code in [
        "provisional_not_downgraded",
        "awaiting_update_call",
        "di_off",
        "viewer_only",
        "manual_change",
        "seat_limit",
        "deactivated",
        "legacy_plan",
        "guest",
        "not_managed",
    ] {
        assert!(spelled.contains(&code), "{code}");
    }
}
