//! Prometheus text exposition for /metrics: requests by surface, route and status, a latency
//! histogram per surface, gauges read from the database at scrape time (users by seat and status,
//! DI state) and, when the listeners speak TLS, the served certificate's expiry and the refused
//! reloads.

use crate::error::Result;
use crate::http::Surface;
use crate::http::edge::EdgeStats;
use crate::http::tls::TlsState;
use crate::store::{self, Read, users};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// One of the edge's counters: its name, its help text and how to read it.
type EdgeCounter = (&'static str, &'static str, fn(&EdgeStats) -> u64);

/// Upper bounds of the latency buckets, seconds.
const BUCKETS: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    total: u64,
    sum: f64,
}

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, &'static str, u16), u64>>,
    latency: Mutex<BTreeMap<&'static str, Histogram>>,
    tls: OnceLock<Arc<TlsState>>,
}

impl Metrics {
    /// Reports on the listeners' TLS state from now on (serve calls it once, when TLS is on).
    pub fn watch_tls(&self, tls: Arc<TlsState>) {
        let _ = self.tls.set(tls);
    }

    pub fn observe(&self, surface: &'static str, route: &'static str, status: u16, elapsed: Duration) {
        *self
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry((surface, route, status))
            .or_default() += 1;
        let secs = elapsed.as_secs_f64();
        let mut lat = self.latency.lock().unwrap_or_else(|p| p.into_inner());
        let h = lat.entry(surface).or_default();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                h.counts[i] += 1;
            }
        }
        h.total += 1;
        h.sum += secs;
    }

    pub fn render(&self, read: &impl Read, edges: &[(Surface, Arc<EdgeStats>)]) -> Result<String> {
        let mut out = String::new();
        let counters: [EdgeCounter; 9] = [
            ("accepted", "Connections accepted.", |e| e.accepted.load(Ordering::Relaxed)),
            ("accept_errors", "Accept calls that failed (descriptors, memory) and were retried.", |e| {
                e.accept_errors.load(Ordering::Relaxed)
            }),
            ("refused_over_cap", "Connections refused over the connection caps.", |e| {
                e.refused_over_cap.load(Ordering::Relaxed)
            }),
            ("refused_over_share", "Connections refused over their address's share of the cap.", |e| {
                e.refused_over_share.load(Ordering::Relaxed)
            }),
            ("tls_failures", "TLS handshakes that failed or ran out of time.", |e| {
                e.tls_failures.load(Ordering::Relaxed)
            }),
            ("rejected_heads", "Requests the edge answered itself (bad heads, limits, timeouts).", |e| {
                e.rejected_heads.load(Ordering::Relaxed)
            }),
            ("timeouts", "Reads that ran past a deadline.", |e| e.timeouts.load(Ordering::Relaxed)),
            ("spawn_failures", "Connection threads that could not be started.", |e| {
                e.spawn_failures.load(Ordering::Relaxed)
            }),
            (
                "backend_connects",
                "Connections opened to the request workers (kept for later exchanges).",
                |e| e.backend_connects.load(Ordering::Relaxed),
            ),
        ];
        for (name, help, get) in counters {
            let _ = writeln!(out, "# HELP scim_seat_edge_{name}_total {help}");
            let _ = writeln!(out, "# TYPE scim_seat_edge_{name}_total counter");
            for (surface, stats) in edges {
                let _ = writeln!(
                    out,
                    "scim_seat_edge_{name}_total{{surface=\"{}\"}} {}",
                    surface.name(),
                    get(stats)
                );
            }
        }
        out.push_str("# HELP scim_seat_edge_open_connections Connections open now.\n");
        out.push_str("# TYPE scim_seat_edge_open_connections gauge\n");
        for (surface, stats) in edges {
            let _ = writeln!(
                out,
                "scim_seat_edge_open_connections{{surface=\"{}\"}} {}",
                surface.name(),
                stats.open.load(Ordering::Relaxed)
            );
        }
        out.push_str("# HELP scim_seat_requests_total Requests answered, by surface, route and status.\n");
        out.push_str("# TYPE scim_seat_requests_total counter\n");
        for ((surface, route, status), n) in self.requests.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            let _ = writeln!(
                out,
                "scim_seat_requests_total{{surface=\"{surface}\",route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        out.push_str("# HELP scim_seat_request_duration_seconds Time to answer a request.\n");
        out.push_str("# TYPE scim_seat_request_duration_seconds histogram\n");
        for (surface, h) in self.latency.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            for (i, bound) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "scim_seat_request_duration_seconds_bucket{{surface=\"{surface}\",le=\"{bound}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "scim_seat_request_duration_seconds_bucket{{surface=\"{surface}\",le=\"+Inf\"}} {}",
                h.total
            );
            let _ =
                writeln!(out, "scim_seat_request_duration_seconds_sum{{surface=\"{surface}\"}} {}", h.sum);
            let _ = writeln!(
                out,
                "scim_seat_request_duration_seconds_count{{surface=\"{surface}\"}} {}",
                h.total
            );
        }
        out.push_str("# HELP scim_seat_users Users by status and seat type.\n");
        out.push_str("# TYPE scim_seat_users gauge\n");
        for (status, seat, n) in users::count_by_status_and_seat(read)? {
            let seat = seat.map_or("none", |s| s.as_str());
            let _ = writeln!(out, "scim_seat_users{{status=\"{status}\",seat=\"{seat}\"}} {n}");
        }
        out.push_str(
            "# HELP scim_seat_downgrades_held Plan users whose downgrade by the IdP's first write is held.\n",
        );
        out.push_str("# TYPE scim_seat_downgrades_held gauge\n");
        let _ = writeln!(out, "scim_seat_downgrades_held {}", users::downgrades_held(read)?);
        let di = store::settings::settings(read)?.di_enabled;
        out.push_str("# HELP scim_seat_di_enabled Whether Directory Integration is on.\n");
        out.push_str("# TYPE scim_seat_di_enabled gauge\n");
        let _ = writeln!(out, "scim_seat_di_enabled {}", u8::from(di));
        if let Some(tls) = self.tls.get() {
            if let Some(expiry) = tls.expiry() {
                out.push_str(
                    "# HELP scim_seat_tls_certificate_expiry_seconds The served certificate's notAfter, Unix time.\n",
                );
                out.push_str("# TYPE scim_seat_tls_certificate_expiry_seconds gauge\n");
                let _ = writeln!(out, "scim_seat_tls_certificate_expiry_seconds {expiry}");
            }
            out.push_str(
                "# HELP scim_seat_tls_reload_failures_total Reloads refused (the previous pair stayed in service).\n",
            );
            out.push_str("# TYPE scim_seat_tls_reload_failures_total counter\n");
            let _ = writeln!(out, "scim_seat_tls_reload_failures_total {}", tls.reload_failures());
        }
        Ok(out)
    }
}
