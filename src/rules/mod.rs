//! One module per rule, named after the rule id (`sql-injection` -> `sql_injection.rs`).

pub mod hardcoded_secret;
pub mod n_plus_one_query;
pub mod sql_injection;

use crate::engine::Rule;

/// Every implemented rule.
pub fn all() -> Vec<&'static dyn Rule> {
    vec![
        &hardcoded_secret::HardcodedSecret,
        &n_plus_one_query::NPlusOneQuery,
        &sql_injection::SqlInjection,
    ]
}
