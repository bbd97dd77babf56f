//! Fuzz target: the edge's request-head check (`http::edge::check_request_head`).
//!
//! Any bytes are checked as a request head. A refusal must be one of the answers the edge gives for
//! a bad head (400, 411, 413, 431), never anything else, and never a panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use scim_seat::http::edge::check_request_head;

fuzz_target!(|data: &[u8]| {
    if let Err(e) = check_request_head(data) {
        let status = e.status();
        assert!(matches!(status, 400 | 411 | 413 | 431), "status {status} for {data:?}: {}", e.detail);
    }
});
