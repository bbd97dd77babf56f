//! Transport: the front door (TCP, TLS, limits, head checks) and the tiny_http worker pool behind
//! it. Nothing here knows SCIM or seats; the service layer does, and `app` wires the two (the
//! service imports this module's `Request`, `Response` and `Surface`, never the other way).

pub mod edge;
mod head;
pub mod probe;
pub mod server;
pub mod tls;

/// Which listener a request came to: decides the shape of its errors (RFC 7644 errors on the SCIM
/// surface, `{"error", "detail"}` on the admin surface) and its media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    Scim,
    Admin,
}

impl Surface {
    pub fn name(self) -> &'static str {
        match self {
            Surface::Scim => "scim",
            Surface::Admin => "admin",
        }
    }

    /// The media type of the surface's JSON bodies.
    pub fn content_type(self) -> &'static str {
        match self {
            Surface::Scim => "application/scim+json",
            Surface::Admin => "application/json",
        }
    }
}
