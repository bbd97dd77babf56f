//! The update-call table, every cell, and SCIM create.

use super::*;

/// SPEC.md section 3, "Applying it": (current seat, after target viewer, after target member).
const UPDATE_CALL_TABLE: [(Seat, Seat, Seat); 4] = [
    (Viewer, Viewer, Member),
    (ProvisionalMember, ProvisionalMember, Member),
    (Member, Viewer, Member),
    (NoAccess, Viewer, Member),
];

#[test]
fn update_call_table_every_cell() {
    let settings = di_on();
    for (current, after_viewer, after_member) in UPDATE_CALL_TABLE {
        for (target, expected) in [(TargetSeat::Viewer, after_viewer), (TargetSeat::Member, after_member)] {
            assert_eq!(update_call_seat(current, target), expected, "{current} x {target}");
            let outcome = on_update_call(&user(current), target, false, &ctx(&settings)).unwrap();
            assert_eq!(outcome.state.seat, Some(expected), "{current} x {target}");
            assert_eq!(outcome.state.licensed, expected == Member);
            match outcome.change {
                None => assert_eq!(current, expected, "{current} x {target}: a move must be audited"),
                Some(change) => {
                    assert_ne!(current, expected);
                    assert_eq!(change.from.and_then(|s| s.seat), Some(current));
                    assert_eq!(change.to.and_then(|s| s.seat), Some(expected));
                    let code = if expected.privilege() > current.privilege() {
                        Code::DiUpgrade
                    } else {
                        Code::DiDowngrade
                    };
                    assert_eq!(change.reason.code, code, "{current} x {target}");
                }
            }
            assert!(outcome.events.is_empty());
        }
    }
}

#[test]
fn di_never_targets_provisional_no_access_or_guest() {
    for (current, _, _) in UPDATE_CALL_TABLE {
        for target in [TargetSeat::Viewer, TargetSeat::Member] {
            let after = update_call_seat(current, target);
            assert!(after == target.seat() || (current == ProvisionalMember && after == ProvisionalMember));
        }
    }
    assert_eq!(update_call_seat(Guest, TargetSeat::Member), Guest);
}

#[test]
fn di_never_downgrades_a_provisional_member() {
    let settings = di_on();
    let pm = user(ProvisionalMember);
    let outcome = on_update_call(&pm, TargetSeat::Viewer, false, &ctx(&settings)).unwrap();
    assert_eq!(outcome.state.seat, Some(ProvisionalMember));
    assert_eq!(outcome.state.provisional_until, pm.provisional_until, "the review period runs on");
    assert_eq!(outcome.change, None);
}

#[test]
fn provisional_member_added_to_a_member_group_becomes_member_and_the_review_ends() {
    let settings = di_on();
    let outcome =
        on_update_call(&user(ProvisionalMember), TargetSeat::Member, false, &ctx(&settings)).unwrap();
    assert_eq!(outcome.state.seat, Some(Member));
    assert_eq!(outcome.state.provisional_until, None);
    assert_eq!(outcome.change.unwrap().reason.code, Code::DiUpgrade);
}

#[test]
fn di_overrides_an_admins_no_access_on_the_next_update_call() {
    let settings = di_on();
    let blocked = admin_set_seat(&user(Viewer), NoAccess, None, &ctx(&settings)).unwrap().state;
    assert!(blocked.manual_seat);
    let outcome = on_update_call(&blocked, TargetSeat::Viewer, false, &ctx(&settings)).unwrap();
    assert_eq!(outcome.state.seat, Some(Viewer));
    assert!(!outcome.state.manual_seat);
    assert!(outcome.change.unwrap().reason.detail.contains("overrides"));
}

#[test]
fn a_manual_seat_is_kept_until_the_next_update_call_then_the_table_applies_from_it() {
    let settings = di_on();
    // The IdP asks for viewer; an admin makes the user a member.
    let chosen = admin_set_seat(&user(Viewer), Member, None, &ctx(&settings)).unwrap().state;
    assert_eq!((chosen.seat, chosen.manual_seat), (Some(Member), true));
    // Nothing recomputes it in between: explain says so.
    let why = explain(&chosen, &[], &RoleTable::default(), &ctx(&settings));
    assert_eq!(codes(&why), [Code::ManualChange]);
    assert!(why.would_change);
    // The next update call applies the table from member: target viewer -> viewer.
    let outcome = on_update_call(&chosen, TargetSeat::Viewer, false, &ctx(&settings)).unwrap();
    assert_eq!(outcome.state.seat, Some(Viewer));
    assert!(!outcome.state.manual_seat);
    assert!(outcome.change.unwrap().reason.detail.contains("replacing the seat an admin chose"));
    // An admin's choice that agrees with the target survives the update call.
    let agreed = admin_set_seat(&user(Viewer), Member, None, &ctx(&settings)).unwrap().state;
    let outcome = on_update_call(&agreed, TargetSeat::Member, false, &ctx(&settings)).unwrap();
    assert_eq!((outcome.state.seat, outcome.change), (Some(Member), None));
}

#[test]
fn update_calls_are_refused_while_di_is_off() {
    let settings = Settings::default();
    let err = on_update_call(&user(Viewer), TargetSeat::Member, false, &ctx(&settings)).unwrap_err();
    assert_eq!((err.rule, err.kind), (Rule::DiOff, RefusalKind::Forbidden));
    assert!(err.detail.contains("DI on"));
    assert_eq!(on_create(TargetSeat::Viewer, &ctx(&settings)).unwrap_err().rule, Rule::DiOff);
    assert_eq!(scim_deactivate(&user(Viewer), &ctx(&settings)).unwrap_err().rule, Rule::DiOff);
    assert_eq!(scim_delete(&user(Viewer), &ctx(&settings)).unwrap_err().rule, Rule::DiOff);
    assert_eq!(
        scim_reactivate(&deactivated(), TargetSeat::Viewer, &ctx(&settings)).unwrap_err().rule,
        Rule::DiOff
    );
}

#[test]
fn update_calls_give_a_deactivated_user_no_seat() {
    let settings = di_on();
    for target in [TargetSeat::Viewer, TargetSeat::Member] {
        let outcome = on_update_call(&deactivated(), target, false, &ctx(&settings)).unwrap();
        assert_eq!(outcome, Outcome::unchanged(&deactivated()));
        assert_eq!(outcome.state.seat, None);
    }
}

#[test]
fn update_calls_leave_guests_and_unmanaged_users_untouched() {
    let settings = di_on();
    let unmanaged = UserState { managed_by_directory: false, ..user(Viewer) };
    for state in [user(Guest), unmanaged] {
        let outcome = on_update_call(&state, TargetSeat::Member, false, &ctx(&settings)).unwrap();
        assert_eq!(outcome, Outcome::unchanged(&state));
    }
}

#[test]
fn viewer_only_update_calls_move_no_seat() {
    let settings = Settings { seat_mapping: SeatMapping::ViewerOnly, ..di_on() };
    for seat in [Viewer, ProvisionalMember, Member, NoAccess] {
        for target in [TargetSeat::Viewer, TargetSeat::Member] {
            let state = UserState { manual_seat: true, ..user(seat) };
            let outcome = on_update_call(&state, target, false, &ctx(&settings)).unwrap();
            assert_eq!(outcome, Outcome::unchanged(&state), "{seat} x {target}");
        }
    }
}

#[test]
fn viewer_only_provisions_every_scim_user_as_viewer() {
    let settings = Settings { seat_mapping: SeatMapping::ViewerOnly, ..di_on() };
    let outcome = on_create(TargetSeat::Member, &ctx(&settings)).unwrap();
    assert_eq!(outcome.state.seat, Some(Viewer));
    let change = outcome.change.unwrap();
    assert_eq!(change.reason.code, Code::Provisioned);
    assert!(change.reason.detail.contains("viewer_only"));
}

#[test]
fn legacy_plan_licenses_when_a_role_implies_member_and_unlicenses_on_the_last_one_removed() {
    let settings = Settings { plan_model: PlanModel::Legacy, ..di_on() };
    let unlicensed = legacy_user(false);
    let licensed =
        on_update_call(&unlicensed, target_of(&["LICENSED_USER"], &[]), false, &ctx(&settings)).unwrap();
    assert!(licensed.state.licensed);
    assert_eq!(licensed.state.seat, None, "no seat types on legacy plans");
    let change = licensed.change.unwrap();
    assert_eq!(
        (change.reason.code, change.from.unwrap().describe(), change.to.unwrap().describe()),
        (Code::DiUpgrade, "unlicensed", "licensed")
    );
    let removed =
        on_update_call(&licensed.state, target_of(&["SYSTEM_ADMIN"], &[]), false, &ctx(&settings)).unwrap();
    assert!(!removed.state.licensed);
    assert_eq!(removed.change.unwrap().reason.code, Code::DiDowngrade);
    // Legacy creation: licensed when a role implies member, no seat.
    let created = on_create(TargetSeat::Member, &ctx(&settings)).unwrap();
    assert_eq!((created.state.seat, created.state.licensed), (None, true));
    // seat_mapping does not apply to legacy plans.
    let viewer_only = Settings { seat_mapping: SeatMapping::ViewerOnly, ..settings.clone() };
    assert!(
        on_update_call(&unlicensed, TargetSeat::Member, false, &ctx(&viewer_only)).unwrap().state.licensed
    );
}

#[test]
fn legacy_plan_deactivates_a_user_who_loses_its_last_role() {
    // Seed 001 (LCM): removed from the role group -> deactivated during the next provisioning cycle.
    let settings = Settings { plan_model: PlanModel::Legacy, ..di_on() };
    let licensed = legacy_user(true);
    let out = on_update_call(&licensed, TargetSeat::Viewer, true, &ctx(&settings)).unwrap();
    assert!(!out.state.is_active() && !out.state.licensed, "{out:?}");
    let change = out.change.unwrap();
    assert_eq!((change.reason.code, change.to.unwrap().describe()), (Code::Deactivated, "deactivated"));
    assert!(change.reason.detail.contains("last role"), "{}", change.reason.detail);
    // A user that had no role loses none: it stays unlicensed and active.
    let out = on_update_call(&legacy_user(false), TargetSeat::Viewer, false, &ctx(&settings)).unwrap();
    assert!(out.state.is_active() && !out.state.licensed);
    // On a user-model plan losing the last role is an ordinary update call: member -> viewer.
    let out = on_update_call(&user(Member), TargetSeat::Viewer, true, &ctx(&di_on())).unwrap();
    assert_eq!((out.state.is_active(), out.state.seat), (true, Some(Viewer)));
}

#[test]
fn seat_limit_leaves_the_seat_and_records_a_seat_limit_event() {
    let settings = Settings { member_seat_limit: Some(2), ..di_on() };
    for current in [Viewer, ProvisionalMember, NoAccess] {
        let state = UserState { manual_seat: true, ..user(current) };
        let outcome = on_update_call(&state, TargetSeat::Member, false, &ctx_in_use(&settings, 2)).unwrap();
        assert_eq!(outcome.state.seat, Some(current), "{current}");
        assert_eq!(outcome.change, None);
        assert!(outcome.hit_seat_limit());
        assert!(outcome.events[0].detail.contains("2 of 2"));
        assert!(!outcome.state.manual_seat, "the update call still happened");
        // With a seat free the upgrade is made.
        let outcome = on_update_call(&state, TargetSeat::Member, false, &ctx_in_use(&settings, 1)).unwrap();
        assert_eq!(outcome.state.seat, Some(Member));
    }
}

#[test]
fn seat_limit_never_blocks_a_member_staying_member_or_a_downgrade() {
    let settings = Settings { member_seat_limit: Some(0), ..di_on() };
    let stay = on_update_call(&user(Member), TargetSeat::Member, false, &ctx_in_use(&settings, 5)).unwrap();
    assert_eq!((stay.state.seat, stay.events.len()), (Some(Member), 0));
    let down = on_update_call(&user(Member), TargetSeat::Viewer, false, &ctx_in_use(&settings, 5)).unwrap();
    assert_eq!(down.state.seat, Some(Viewer));
    // no_access -> viewer is not a member seat.
    let back = on_update_call(&user(NoAccess), TargetSeat::Viewer, false, &ctx_in_use(&settings, 5)).unwrap();
    assert_eq!(back.state.seat, Some(Viewer));
}

#[test]
fn seat_limit_counts_licences_on_legacy_plans() {
    let settings = Settings { plan_model: PlanModel::Legacy, member_seat_limit: Some(1), ..di_on() };
    let outcome =
        on_update_call(&legacy_user(false), TargetSeat::Member, false, &ctx_in_use(&settings, 1)).unwrap();
    assert!(!outcome.state.licensed);
    assert!(outcome.hit_seat_limit());
}

// --- creation ---------------------------------------------------------------------------------

#[test]
fn scim_create_starts_on_the_seat_its_roles_ask_for() {
    let settings = di_on();
    for (values, seat) in [
        (&[][..], Viewer),
        (&["SMARTSHEET_USER"][..], Viewer),
        (&["SYSTEM_ADMIN"][..], Viewer),
        (&["LICENSED_USER"][..], Member),
        (&["smartsheetGroupAdmin"][..], Member),
    ] {
        let outcome = on_create(target_of(values, &[]), &ctx(&settings)).unwrap();
        let state = &outcome.state;
        assert_eq!(
            (state.status, state.seat, state.managed_by_directory),
            (Status::Active, Some(seat), true)
        );
        assert!(!state.manual_seat && !state.is_guest);
        let change = outcome.change.unwrap();
        assert_eq!(change.from, None, "created from nothing");
        assert_eq!(change.to, Some(state.snapshot()));
        assert_eq!(change.reason.code, Code::Provisioned);
    }
}

#[test]
fn scim_create_never_starts_a_user_as_provisional_member() {
    let settings = di_on();
    for target in [TargetSeat::Viewer, TargetSeat::Member] {
        assert_ne!(on_create(target, &ctx(&settings)).unwrap().state.seat, Some(ProvisionalMember));
    }
}

#[test]
fn scim_create_at_the_seat_limit_starts_as_viewer_with_a_seat_limit_event() {
    let settings = Settings { member_seat_limit: Some(3), ..di_on() };
    let outcome = on_create(TargetSeat::Member, &ctx_in_use(&settings, 3)).unwrap();
    assert_eq!(outcome.state.seat, Some(Viewer));
    assert!(outcome.hit_seat_limit());
    let change = outcome.change.unwrap();
    assert_eq!(change.reason.code, Code::Provisioned);
    assert!(change.reason.detail.contains("member_seat_limit is reached"), "{}", change.reason.detail);
}

#[test]
fn group_changes_after_create_are_update_calls() {
    // Okta creates the user with no role, then pushes the group "Smartsheet Licensed User".
    let settings = di_on();
    let created = on_create(target_of(&[], &[]), &ctx(&settings)).unwrap().state;
    assert_eq!(created.seat, Some(Viewer));
    let added =
        on_update_call(&created, target_of(&[], &["Smartsheet Licensed User"]), false, &ctx(&settings))
            .unwrap();
    assert_eq!(added.state.seat, Some(Member));
    // Removed from the group: the remaining groups (none) ask for viewer.
    let removed = on_update_call(&added.state, target_of(&[], &[]), false, &ctx(&settings)).unwrap();
    assert_eq!(removed.state.seat, Some(Viewer));
    assert_eq!(removed.change.unwrap().reason.code, Code::DiDowngrade);
}

#[test]
fn group_mapping_is_not_retroactive_until_an_update_call_arrives() {
    // The vendor's example: in the System Admin and Licensed User groups, provisioned as viewer under
    // the old behaviour, still a viewer on launch day until a group change sends an update call.
    let settings = di_on();
    let table = RoleTable::default();
    let held = held_roles(
        &table,
        Vec::<String>::new(),
        ["Smartsheet System Admin", "Smartsheet Licensed User"],
        None,
    );
    let before = user(Viewer);
    let why = explain(&before, &held, &table, &ctx(&settings));
    assert_eq!(why.target, TargetSeat::Member);
    assert_eq!(codes(&why), [Code::AwaitingUpdateCall]);
    assert!(why.would_change);
    let after = on_update_call(&before, target_seat(&held, &table), false, &ctx(&settings)).unwrap();
    assert_eq!(after.state.seat, Some(Member));
    assert_eq!(explain(&after.state, &held, &table, &ctx(&settings)).reasons, []);
}
