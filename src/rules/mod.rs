//! One module per rule, named after the rule id (`sql-injection` -> `sql_injection.rs`).

pub mod hardcoded_secret;
pub mod missing_timeout;
pub mod n_plus_one_query;
pub mod sql_injection;
pub mod unbounded_query;

use crate::engine::Rule;

/// Every implemented rule.
pub fn all() -> Vec<&'static dyn Rule> {
    vec![
        &hardcoded_secret::HardcodedSecret,
        &missing_timeout::MissingTimeout,
        &n_plus_one_query::NPlusOneQuery,
        &sql_injection::SqlInjection,
        &unbounded_query::UnboundedQuery,
    ]
}
