//! The manual seat change table, every cell, and its refusals.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Cell {
    Same,
    Yes,
    No(Rule),
}

/// SPEC.md section 3, "Manual seat changes by an admin": rows `from`, columns
/// viewer, member, no_access, provisional_member.
const MANUAL_TABLE: [(Seat, [Cell; 4]); 4] = {
    use Cell::{No, Same, Yes};
    [
        (Viewer, [Same, Yes, Yes, No(Rule::ProvisionalSystemTriggeredOnly)]),
        (ProvisionalMember, [Yes, Yes, Yes, Same]),
        (Member, [Yes, Same, Yes, No(Rule::MemberToProvisionalNever)]),
        (NoAccess, [Yes, Yes, Same, No(Rule::NoAccessToProvisional)]),
    ]
};
const MANUAL_COLUMNS: [Seat; 4] = [Viewer, Member, NoAccess, ProvisionalMember];

#[test]
fn manual_change_table_every_cell() {
    for settings in [di_on(), Settings::default()] {
        for (from, row) in MANUAL_TABLE {
            for (to, cell) in MANUAL_COLUMNS.into_iter().zip(row) {
                let state = user(from);
                let result = admin_set_seat(&state, to, None, &ctx(&settings));
                match cell {
                    Cell::Same => {
                        assert_eq!(manual_change_rule(from, to), ManualRule::Unchanged);
                        assert_eq!(result.unwrap(), Outcome::unchanged(&state), "{from} -> {to}");
                    }
                    Cell::Yes => {
                        assert_eq!(manual_change_rule(from, to), ManualRule::Allowed);
                        let outcome = result.unwrap_or_else(|e| panic!("{from} -> {to}: {e}"));
                        assert_eq!(outcome.state.seat, Some(to));
                        assert!(outcome.state.manual_seat);
                        assert_eq!(outcome.state.provisional_until, None, "{from} -> {to}");
                        let change = outcome.change.unwrap();
                        assert_eq!(change.reason.code, Code::ManualChange);
                        assert!(change.reason.detail.contains(&format!("from {from} to {to}")));
                    }
                    Cell::No(rule) => {
                        assert_eq!(manual_change_rule(from, to), ManualRule::Refused(rule));
                        let err = result.unwrap_err();
                        assert_eq!((err.rule, err.kind), (rule, RefusalKind::Conflict), "{from} -> {to}");
                        assert!(err.detail.contains("provisional"), "{}", err.detail);
                    }
                }
            }
        }
    }
}

#[test]
fn provisional_refusals_name_the_rule_and_the_way_out() {
    let settings = di_on();
    let err = admin_set_seat(&user(Viewer), ProvisionalMember, None, &ctx(&settings)).unwrap_err();
    assert!(err.detail.contains("system-triggered only") && err.detail.contains("qualifying_action"));
    assert_eq!(err.code(), "provisional_system_triggered_only");
    let err = admin_set_seat(&user(Member), ProvisionalMember, None, &ctx(&settings)).unwrap_err();
    assert!(err.detail.contains("never") && err.detail.contains("viewer or no_access"));
}

#[test]
fn manual_changes_are_refused_for_deactivated_users() {
    let settings = di_on();
    for to in [Viewer, Member, NoAccess] {
        let err = admin_set_seat(&deactivated(), to, None, &ctx(&settings)).unwrap_err();
        assert_eq!(err.rule, Rule::UserDeactivated);
        assert!(err.detail.contains("reactivate it first"));
    }
}

#[test]
fn manual_changes_never_make_or_change_a_guest() {
    let settings = di_on();
    for from in [Viewer, Member, NoAccess, ProvisionalMember] {
        assert_eq!(manual_change_rule(from, Guest), ManualRule::Refused(Rule::GuestAdminOnly));
        let err = admin_set_seat(&user(from), Guest, None, &ctx(&settings)).unwrap_err();
        assert_eq!(err.rule, Rule::GuestAdminOnly);
    }
    for to in [Viewer, Member, NoAccess] {
        assert_eq!(
            admin_set_seat(&user(Guest), to, None, &ctx(&settings)).unwrap_err().rule,
            Rule::GuestAdminOnly
        );
    }
}

#[test]
fn manual_upgrade_to_member_respects_the_seat_limit() {
    let settings = Settings { member_seat_limit: Some(4), ..di_on() };
    for from in [Viewer, ProvisionalMember, NoAccess] {
        let err = admin_set_seat(&user(from), Member, None, &ctx_in_use(&settings, 4)).unwrap_err();
        assert_eq!((err.rule, err.kind), (Rule::SeatLimit, RefusalKind::Conflict));
        assert!(err.detail.contains("raise member_seat_limit"));
        assert!(admin_set_seat(&user(from), Member, None, &ctx_in_use(&settings, 3)).is_ok());
    }
    // Downgrades are never limited.
    assert!(admin_set_seat(&user(Member), Viewer, None, &ctx_in_use(&settings, 9)).is_ok());
}

#[test]
fn manual_change_on_a_legacy_plan_sets_the_licence() {
    let settings = Settings { plan_model: PlanModel::Legacy, ..di_on() };
    let licensed = admin_set_seat(&legacy_user(false), Member, None, &ctx(&settings)).unwrap();
    assert_eq!((licensed.state.licensed, licensed.state.seat), (true, None));
    let unlicensed = admin_set_seat(&licensed.state, Viewer, None, &ctx(&settings)).unwrap();
    assert!(!unlicensed.state.licensed);
    assert_eq!(admin_set_seat(&legacy_user(false), Viewer, None, &ctx(&settings)).unwrap().change, None);
    let err = admin_set_seat(&legacy_user(false), NoAccess, None, &ctx(&settings)).unwrap_err();
    assert_eq!(err.rule, Rule::LegacyPlan);
    assert!(err.detail.contains("plan_model = user_model"));
    let full = Settings { member_seat_limit: Some(0), ..settings };
    assert_eq!(
        admin_set_seat(&legacy_user(false), Member, None, &ctx(&full)).unwrap_err().rule,
        Rule::SeatLimit
    );
}

#[test]
fn manual_change_detail_carries_the_admins_reason_and_the_di_warning() {
    let settings = di_on();
    let outcome = admin_set_seat(&user(Viewer), Member, Some(" project lead "), &ctx(&settings)).unwrap();
    let detail = outcome.change.unwrap().reason.detail;
    assert!(detail.contains("(admin's reason: project lead)"), "{detail}");
    assert!(detail.contains("next update call"), "{detail}");
    let off = Settings::default();
    let detail =
        admin_set_seat(&user(Viewer), Member, None, &ctx(&off)).unwrap().change.unwrap().reason.detail;
    assert!(!detail.contains("next update call"), "{detail}");
}
