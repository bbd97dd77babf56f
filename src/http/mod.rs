//! Transport: the front door (TCP, TLS, limits, head checks) and the tiny_http worker pool behind
//! it. Nothing here knows SCIM or seats; the service layer does.

pub mod edge;
pub mod probe;
pub mod server;
pub mod tls;
