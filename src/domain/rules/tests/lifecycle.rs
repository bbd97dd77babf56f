//! Deprovisioning, reactivation, removal and guests.

use super::*;

#[test]
fn scim_deactivation_frees_the_seat_and_keeps_the_user() {
    let settings = di_on();
    for seat in [Viewer, ProvisionalMember, Member, NoAccess] {
        let state = UserState { first_sign_in: Some(NOW - 5), ..user(seat) };
        let outcome = scim_deactivate(&state, &ctx(&settings)).unwrap();
        let s = &outcome.state;
        assert_eq!(
            (s.status, s.seat, s.licensed, s.provisional_until),
            (Status::Deactivated, None, false, None)
        );
        assert_eq!(s.first_sign_in, Some(NOW - 5), "data is kept");
        let change = outcome.change.unwrap();
        assert_eq!(change.reason.code, Code::Deactivated);
        assert_eq!(change.to.unwrap().describe(), "deactivated");
        assert_eq!(change.frees_member_seat(), seat == Member);
        assert!(change.is_downgrade());
    }
    assert_eq!(scim_deactivate(&deactivated(), &ctx(&settings)).unwrap(), Outcome::unchanged(&deactivated()));
}

#[test]
fn scim_delete_deactivates_by_default_and_removes_for_good_with_deprovision_delete() {
    let settings = di_on();
    match scim_delete(&user(Member), &ctx(&settings)).unwrap() {
        ScimDelete::Deactivated(outcome) => {
            assert_eq!(outcome.state.status, Status::Deactivated);
            assert!(outcome.change.unwrap().reason.detail.contains("404"));
        }
        other => panic!("{other:?}"),
    }
    match scim_delete(&deactivated(), &ctx(&settings)).unwrap() {
        ScimDelete::Deactivated(outcome) => assert_eq!(outcome.change, None),
        other => panic!("{other:?}"),
    }
    let delete = Settings { deprovision: Deprovision::Delete, ..di_on() };
    match scim_delete(&user(Member), &ctx(&delete)).unwrap() {
        ScimDelete::Removed(change) => {
            assert_eq!((change.to, change.reason.code), (None, Code::Deleted));
            assert!(change.frees_member_seat());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn scim_never_changes_guests() {
    let settings = di_on();
    let guest = user(Guest);
    assert_eq!(scim_deactivate(&guest, &ctx(&settings)).unwrap_err().rule, Rule::GuestAdminOnly);
    assert_eq!(scim_delete(&guest, &ctx(&settings)).unwrap_err().rule, Rule::GuestAdminOnly);
    let gone = UserState { status: Status::Deactivated, seat: None, ..guest };
    assert_eq!(
        scim_reactivate(&gone, TargetSeat::Viewer, &ctx(&settings)).unwrap_err().rule,
        Rule::GuestAdminOnly
    );
}

#[test]
fn scim_reactivation_is_refused_while_di_is_on_with_the_way_out() {
    let settings = di_on();
    let err = scim_reactivate(&deactivated(), TargetSeat::Member, &ctx(&settings)).unwrap_err();
    assert_eq!((err.rule, err.kind), (Rule::ScimReactivationRefused, RefusalKind::Mutability));
    assert!(err.detail.contains("turn DI off, reactivate the user in admin"), "{}", err.detail);
    assert!(err.detail.contains("turn DI on"));
    // active=true on an active user is no reactivation.
    assert_eq!(scim_reactivate(&user(Viewer), TargetSeat::Member, &ctx(&settings)).unwrap().change, None);
}

#[test]
fn scim_reactivation_when_allowed_gives_the_seat_the_roles_ask_for() {
    let settings = Settings { scim_reactivation: ScimReactivation::Allow, ..di_on() };
    let gone = UserState { first_sign_in: Some(7), ..deactivated() };
    let outcome = scim_reactivate(&gone, TargetSeat::Member, &ctx(&settings)).unwrap();
    assert_eq!((outcome.state.status, outcome.state.seat), (Status::Active, Some(Member)));
    assert_eq!(outcome.state.first_sign_in, Some(7));
    assert_eq!(outcome.change.unwrap().reason.code, Code::Reactivated);
    let full = Settings { member_seat_limit: Some(1), ..settings.clone() };
    let limited = scim_reactivate(&gone, TargetSeat::Member, &ctx_in_use(&full, 1)).unwrap();
    assert_eq!(limited.state.seat, Some(Viewer));
    assert!(limited.hit_seat_limit());
}

#[test]
fn admin_reactivation_only_while_di_is_off_and_starts_as_viewer() {
    let on = di_on();
    let err = admin_reactivate(&deactivated(), &ctx(&on)).unwrap_err();
    assert_eq!((err.rule, err.kind), (Rule::ReactivationNeedsDiOff, RefusalKind::Conflict));
    assert!(err.detail.contains("turn DI off"));
    let off = Settings::default();
    let outcome = admin_reactivate(&deactivated(), &ctx(&off)).unwrap();
    assert_eq!((outcome.state.status, outcome.state.seat), (Status::Active, Some(Viewer)));
    assert!(outcome.state.manual_seat);
    assert_eq!(outcome.change.unwrap().reason.code, Code::Reactivated);
    let legacy = Settings { plan_model: PlanModel::Legacy, ..Settings::default() };
    let outcome = admin_reactivate(&deactivated(), &ctx(&legacy)).unwrap();
    assert_eq!((outcome.state.seat, outcome.state.licensed), (None, false));
    assert_eq!(admin_reactivate(&user(Member), &ctx(&off)).unwrap().change, None);
}

#[test]
fn admin_removal_needs_di_off_but_guests_go_any_time() {
    let on = di_on();
    let err = admin_remove(&user(Member), &ctx(&on)).unwrap_err();
    assert_eq!(err.rule, Rule::RemovalNeedsDiOff);
    assert!(err.detail.contains("turn DI off"));
    let change = admin_remove(&user(Member), &ctx(&Settings::default())).unwrap();
    assert_eq!((change.to, change.reason.code), (None, Code::Removed));
    assert!(admin_remove(&user(Guest), &ctx(&on)).is_ok());
}

#[test]
fn guests_are_created_in_admin_with_the_guest_seat() {
    let outcome = new_guest();
    assert_eq!(outcome.state.seat, Some(Guest));
    assert!(outcome.state.is_guest && !outcome.state.managed_by_directory);
    assert_eq!(outcome.change.unwrap().reason.code, Code::GuestAdded);
}
