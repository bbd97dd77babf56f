//! Named fault points, for faults the integration tests cannot cause from outside (a COMMIT that
//! fails). Compiled in only with the `fault-injection` cargo feature, which is off by default, is
//! refused in release builds, and is turned on only by the test command; otherwise every point is a
//! constant `false`.
//!
//! `SCIM_SEAT_FAULTS=commit=2` makes the next two batch commits fail as a full disk would;
//! `commit=2@5` lets five pass first. Points: `commit` (store: a batch's COMMIT fails),
//! `conn_thread` (edge: a connection's thread cannot be started), `backend_refused` (edge:
//! tiny_http's socket refuses, as when its accept loop has stopped), `slow_request` (service: an
//! `/admin/` request takes 2 s), `report_batch` (service: reading a batch of a streamed report
//! fails) and `slow_batch` (service: a batch of whole-plan work takes 300 ms more, so a test sees
//! the run in progress).

#[cfg(all(feature = "fault-injection", not(debug_assertions)))]
compile_error!("the fault-injection feature is for test builds only, never for release builds");

/// Whether the fault point `point` fires now (each firing uses one of its count).
#[cfg(feature = "fault-injection")]
pub fn hit(point: &str) -> bool {
    use std::collections::HashMap;
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    /// Per point: hits to let pass, then hits to fail.
    static POINTS: OnceLock<HashMap<String, (AtomicU64, AtomicU64)>> = OnceLock::new();
    let points = POINTS.get_or_init(|| {
        std::env::var("SCIM_SEAT_FAULTS")
            .unwrap_or_default()
            .split(',')
            .filter_map(|p| p.split_once('='))
            .filter_map(|(name, spec)| {
                let (count, skip) = spec.split_once('@').unwrap_or((spec, "0"));
                let (count, skip) = (count.trim().parse().ok()?, skip.trim().parse().ok()?);
                Some((name.trim().to_string(), (AtomicU64::new(skip), AtomicU64::new(count))))
            })
            .collect()
    });
    points.get(point).is_some_and(|(pass, fail)| {
        pass.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_err()
            && fail.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok()
    })
}

#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub fn hit(_point: &str) -> bool {
    false
}
