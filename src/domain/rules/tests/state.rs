//! Snapshots as the audit log and the previews show them.

use super::*;

#[test]
fn snapshots_describe_seat_licence_or_status() {
    assert_eq!(user(NoAccess).snapshot().to_string(), "no_access");
    assert_eq!(legacy_user(true).snapshot().describe(), "licensed");
    assert_eq!(legacy_user(false).snapshot().describe(), "unlicensed");
    assert_eq!(deactivated().snapshot().describe(), "deactivated");
    assert_eq!(Viewer.label(BaseSeatLabel::Contributor), "Contributor");
}
