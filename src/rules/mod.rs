//! One module per rule, named after the rule id (`sql-injection` -> `sql_injection.rs`).

pub mod blocking_call_in_async;
pub mod connection_per_request;
pub mod hardcoded_secret;
pub mod missing_timeout;
pub mod n_plus_one_query;
pub mod sql_injection;
pub mod unbounded_query;

use crate::engine::Rule;

/// Every implemented rule.
pub fn all() -> Vec<&'static dyn Rule> {
    vec![
        &blocking_call_in_async::BlockingCallInAsync,
        &connection_per_request::ConnectionPerRequest,
        &hardcoded_secret::HardcodedSecret,
        &missing_timeout::MissingTimeout,
        &n_plus_one_query::NPlusOneQuery,
        &sql_injection::SqlInjection,
        &unbounded_query::UnboundedQuery,
    ]
}
