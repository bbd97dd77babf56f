//! The DI-enable and reconcile preview.

use super::*;

fn population() -> Vec<(&'static str, UserState, TargetSeat)> {
    vec![
        ("m-stays", user(Member), TargetSeat::Member),
        ("m-down", user(Member), TargetSeat::Viewer),
        ("v-up", user(Viewer), TargetSeat::Member),
        ("pm-kept", user(ProvisionalMember), TargetSeat::Viewer),
        ("pm-up", user(ProvisionalMember), TargetSeat::Member),
        ("na-back", user(NoAccess), TargetSeat::Viewer),
        ("gone", deactivated(), TargetSeat::Member),
        ("guest", user(Guest), TargetSeat::Member),
        ("unmanaged", UserState { managed_by_directory: false, ..user(Member) }, TargetSeat::Viewer),
    ]
}

#[test]
fn preview_lists_each_change_with_its_reason_and_counts_up_and_downgrades() {
    let settings = di_on();
    let preview = preview_update_calls(population(), &ctx_in_use(&settings, 3));
    let listed: Vec<(&str, &str, &str, &str)> = preview
        .changes
        .iter()
        .map(|i| {
            (
                i.user,
                i.change.from.unwrap().describe(),
                i.change.to.unwrap().describe(),
                i.change.reason.code.as_str(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("m-down", "member", "viewer", "di_downgrade"),
            ("v-up", "viewer", "member", "di_upgrade"),
            ("pm-up", "provisional_member", "member", "di_upgrade"),
            ("na-back", "no_access", "viewer", "di_upgrade"),
        ]
    );
    assert_eq!((preview.downgrades, preview.upgrades), (1, 3));
    assert!(preview.seat_limited.is_empty());
    // Applying stores each item's state: the same as the update call would.
    for item in &preview.changes {
        assert_eq!(Some(item.state.snapshot()), item.change.to);
    }
}

#[test]
fn di_enable_preview_is_computed_as_if_di_were_on() {
    let off = Settings::default();
    let preview = preview_update_calls(population(), &ctx(&off));
    assert_eq!((preview.downgrades, preview.upgrades), (1, 3));
}

#[test]
fn preview_under_viewer_only_moves_nobody() {
    let settings = Settings { seat_mapping: SeatMapping::ViewerOnly, ..di_on() };
    let preview = preview_update_calls(population(), &ctx(&settings));
    assert!(preview.changes.is_empty());
}

#[test]
fn preview_frees_seats_by_downgrades_first_then_upgrades_take_them_in_order() {
    // Limit 3, 3 in use: "m-down" frees one, so "v-up" gets it and "pm-up" is seat-limited.
    let settings = Settings { member_seat_limit: Some(3), ..di_on() };
    let preview = preview_update_calls(population(), &ctx_in_use(&settings, 3));
    let users: Vec<&str> = preview.changes.iter().map(|i| i.user).collect();
    assert_eq!(users, ["m-down", "v-up", "na-back"]);
    assert_eq!(preview.seat_limited, ["pm-up"]);
    assert_eq!((preview.downgrades, preview.upgrades), (1, 2));
}
