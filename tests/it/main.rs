//! scim-seat's integration tests: one test binary whose modules each cover a capability, all
//! against the real binary over real HTTP(S) with a real SQLite file (see harness.rs).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod admin;
mod auth;
mod cli;
mod console;
mod di_rules;
mod durability;
mod edge;
mod entra;
mod fidelity;
mod hostile;
mod idp;
mod okta;
mod ops;
mod rehearsal;
mod scim;
mod streaming;
// The harness serves every module; not each uses every helper.
#[allow(dead_code)]
mod harness;
