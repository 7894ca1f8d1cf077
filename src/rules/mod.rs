//! One module per rule, named after the rule id (`sql-injection` -> `sql_injection.rs`, or a
//! `sql_injection/` folder when it needs several files), with `rules/<rule-id>.md` (front matter:
//! severity, languages, the file roles it reports in) and `fixtures/<rule-id>/<lang>/`.
//!
//! Where code goes:
//! - `src/knowledge/`: facts about frameworks and libraries, as tables and recognisers any rule
//!   may ask (which call runs a query or raw SQL, which function is an HTTP handler, which client
//!   takes which timeout option, what runs once per item, which tables grow, how each ORM pages),
//!   and the value-flow helpers several rules and the facts pass share (where SQL text or a
//!   query's rows come from and go). Supporting another framework is a change there.
//! - `src/rules/<rule_id>.rs`: the rule's verdict: what is reported and what is not, and why; its
//!   message, help, labels and the cross-file [`crate::engine::Condition`] it attaches.
//! - A fact the rule needs from another file is collected per file in `src/facts.rs`, merged in
//!   `src/index.rs` and settled by a `Condition` in `src/engine/pipeline.rs`.
//! - A mechanical fix ([`crate::diagnostic::Fix`], attached with `Finding::fix`) is built with
//!   the edits of [`crate::fix::edits`], only where the edit is certain; `src/fix/` applies it.

pub mod blocking_call_in_async;
pub mod connection_per_request;
pub mod debug_mode_enabled;
pub mod deprecated_dependency;
pub mod hardcoded_secret;
pub mod internal_error_exposed;
pub mod jwt_verification_disabled;
pub mod missing_input_validation;
pub mod missing_rate_limit;
pub mod missing_timeout;
pub mod missing_transaction;
pub mod n_plus_one_query;
pub mod panic_in_handler;
pub mod permissive_cors;
pub mod plaintext_password;
pub mod secret_in_log;
pub mod sql_injection;
pub mod swallowed_error;
pub mod unbounded_query;

use crate::engine::Rule;

/// Every implemented rule.
pub fn all() -> Vec<&'static dyn Rule> {
    vec![
        &blocking_call_in_async::BlockingCallInAsync,
        &connection_per_request::ConnectionPerRequest,
        &debug_mode_enabled::DebugModeEnabled,
        &deprecated_dependency::DeprecatedDependency,
        &hardcoded_secret::HardcodedSecret,
        &internal_error_exposed::InternalErrorExposed,
        &jwt_verification_disabled::JwtVerificationDisabled,
        &missing_rate_limit::MissingRateLimit,
        &missing_input_validation::MissingInputValidation,
        &missing_timeout::MissingTimeout,
        &missing_transaction::MissingTransaction,
        &n_plus_one_query::NPlusOneQuery,
        &panic_in_handler::PanicInHandler,
        &permissive_cors::PermissiveCors,
        &plaintext_password::PlaintextPassword,
        &secret_in_log::SecretInLog,
        &sql_injection::SqlInjection,
        &swallowed_error::SwallowedError,
        &unbounded_query::UnboundedQuery,
    ]
}
