//! scim-seat: the application side of SCIM 2.0 provisioning (as Smartsheet's and SmartFile's SCIM
//! endpoints), with Smartsheet's Directory Integration seat rules, an admin API and a CLI, on one
//! SQLite file.
//!
//! Data flows one way: `http -> service -> {scim, domain, store}`. `domain` is pure rules, `scim` is
//! pure protocol, `store` is the only SQL, `http` is the only socket code, and `service` joins them.

pub mod app;
pub mod base;
pub mod cli;
pub mod domain;
pub mod error;
pub mod fault;
pub mod http;
pub mod idp;
pub mod output;
pub mod scim;
pub mod service;
pub mod store;
pub mod util;
