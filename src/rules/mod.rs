//! One module per rule, named after the rule id (`sql-injection` -> `sql_injection.rs`).

pub mod blocking_call_in_async;
pub mod connection_per_request;
pub mod hardcoded_secret;
pub mod sql_injection;

use crate::engine::Rule;

/// Every implemented rule.
pub fn all() -> Vec<&'static dyn Rule> {
    vec![
        &blocking_call_in_async::BlockingCallInAsync,
        &connection_per_request::ConnectionPerRequest,
        &hardcoded_secret::HardcodedSecret,
        &sql_injection::SqlInjection,
    ]
}
