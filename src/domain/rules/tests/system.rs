//! Qualifying action, sign-in, review expiry and the plan-model switch.

use super::*;

#[test]
fn qualifying_action_makes_a_viewer_a_provisional_member_for_the_review_period() {
    let settings = di_on();
    let outcome = qualifying_action(&user(Viewer), &ctx(&settings)).unwrap();
    assert_eq!(outcome.state.seat, Some(ProvisionalMember));
    assert_eq!(outcome.state.provisional_until, Some(NOW + 30 * SECONDS_PER_DAY));
    let change = outcome.change.unwrap();
    assert_eq!(change.reason.code, Code::QualifyingAction);
    assert!(change.reason.detail.contains("2023-12-14T22:13:20Z"), "{}", change.reason.detail);
    assert!(!change.takes_member_seat(), "a provisional member does not count against member_seat_limit");
    // Whether DI is on does not matter.
    let off = Settings::default();
    assert_eq!(qualifying_action(&user(Viewer), &ctx(&off)).unwrap().state.seat, Some(ProvisionalMember));
}

#[test]
fn qualifying_action_is_refused_when_auto_upgrade_is_off_and_the_user_stays_viewer() {
    let settings = Settings { auto_upgrade: false, ..di_on() };
    let err = qualifying_action(&user(Viewer), &ctx(&settings)).unwrap_err();
    assert_eq!((err.rule, err.kind), (Rule::AutoUpgradeOff, RefusalKind::Conflict));
    assert!(err.detail.contains("stays viewer"));
}

#[test]
fn qualifying_action_changes_nothing_on_any_other_seat() {
    for auto_upgrade in [true, false] {
        let settings = Settings { auto_upgrade, ..di_on() };
        for seat in [ProvisionalMember, Member, NoAccess, Guest] {
            let state = user(seat);
            assert_eq!(
                qualifying_action(&state, &ctx(&settings)).unwrap(),
                Outcome::unchanged(&state),
                "{seat}"
            );
        }
        let legacy = Settings { plan_model: PlanModel::Legacy, ..settings };
        assert_eq!(qualifying_action(&legacy_user(false), &ctx(&legacy)).unwrap().change, None);
    }
    let err = qualifying_action(&deactivated(), &ctx(&di_on())).unwrap_err();
    assert_eq!(err.rule, Rule::UserDeactivated);
}

#[test]
fn review_of_zero_days_ends_at_the_next_sweep() {
    let settings = Settings { provisional_review_days: 0, ..di_on() };
    let pm = qualifying_action(&user(Viewer), &ctx(&settings)).unwrap().state;
    assert_eq!(pm.provisional_until, Some(NOW));
    assert!(review_expired(&pm, NOW));
    assert_eq!(review_expiry(&pm, &ctx(&settings)).state.seat, Some(Viewer));
}

#[test]
fn review_expiry_downgrades_to_viewer_when_provisional_on_expiry_is_downgrade() {
    let settings = di_on();
    let pm = user(ProvisionalMember);
    let until = pm.provisional_until.unwrap();
    let before_end = Context { now: until - 1, ..ctx(&settings) };
    assert_eq!(review_expiry(&pm, &before_end), Outcome::unchanged(&pm));
    let at_end = Context { now: until, ..ctx(&settings) };
    let outcome = review_expiry(&pm, &at_end);
    assert_eq!((outcome.state.seat, outcome.state.provisional_until), (Some(Viewer), None));
    let change = outcome.change.unwrap();
    assert_eq!(change.reason.code, Code::ReviewExpired);
    assert!(change.is_downgrade());
}

#[test]
fn review_expiry_keeps_the_provisional_member_when_provisional_on_expiry_is_keep() {
    let settings = Settings { provisional_on_expiry: OnExpiry::Keep, ..di_on() };
    let pm = user(ProvisionalMember);
    let late = Context { now: NOW + 365 * SECONDS_PER_DAY, ..ctx(&settings) };
    assert_eq!(review_expiry(&pm, &late), Outcome::unchanged(&pm));
}

#[test]
fn review_expiry_touches_only_provisional_members() {
    let settings = di_on();
    let late = Context { now: i64::MAX, ..ctx(&settings) };
    for seat in [Viewer, Member, NoAccess, Guest] {
        let state = UserState { provisional_until: Some(0), ..user(seat) };
        assert_eq!(review_expiry(&state, &late), Outcome::unchanged(&state), "{seat}");
    }
    assert_eq!(review_expiry(&deactivated(), &late), Outcome::unchanged(&deactivated()));
}

#[test]
fn sign_in_records_the_first_sign_in_only() {
    let first = sign_in(&user(Viewer), 100).unwrap();
    assert_eq!((first.state.first_sign_in, first.change), (Some(100), None));
    let second = sign_in(&first.state, 200).unwrap();
    assert_eq!(second.state.first_sign_in, Some(100));
    assert_eq!(sign_in(&user(Guest), 5).unwrap().state.first_sign_in, Some(5));
}

#[test]
fn sign_in_is_refused_for_a_deactivated_user() {
    let err = sign_in(&deactivated(), 100).unwrap_err();
    assert_eq!((err.rule, err.kind), (Rule::UserDeactivated, RefusalKind::Forbidden));
}

// --- plan-model switch ---------------------------------------------------------------------------

#[test]
fn switching_legacy_to_user_model_maps_licensed_to_member_and_unlicensed_to_viewer() {
    let to_member = switch_plan_model(&legacy_user(true), PlanModel::UserModel);
    assert_eq!((to_member.state.seat, to_member.state.licensed), (Some(Member), true));
    assert_eq!(to_member.change.unwrap().reason.code, Code::PlanModelSwitch);
    let to_viewer = switch_plan_model(&legacy_user(false), PlanModel::UserModel);
    assert_eq!(to_viewer.state.seat, Some(Viewer));
    assert_eq!(switch_plan_model(&deactivated(), PlanModel::UserModel).change, None);
    assert_eq!(switch_plan_model(&user(Guest), PlanModel::UserModel).change, None);
}

#[test]
fn switching_user_model_to_legacy_licenses_members_only() {
    for (seat, licensed) in [(Member, true), (ProvisionalMember, false), (Viewer, false), (NoAccess, false)] {
        let outcome = switch_plan_model(&user(seat), PlanModel::Legacy);
        assert_eq!((outcome.state.seat, outcome.state.licensed), (None, licensed), "{seat}");
        assert_eq!(outcome.state.provisional_until, None);
    }
}
