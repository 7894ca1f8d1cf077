//! Framework knowledge shared by every rule: which calls query a database, which functions are
//! HTTP handlers, what runs once per item of a collection, raw SQL sinks, secret formats.
//! Adding an ORM or a framework is a change here, not in the rules.

pub mod blocking;
pub mod connections;
pub mod cors;
pub mod debug_mode;
pub mod deprecated;
pub mod environments;
pub mod errors;
pub mod external;
pub mod growth;
pub mod helpers;
pub mod http;
pub mod http_clients;
pub mod jwt;
pub mod lifecycle;
pub mod logging;
pub mod loops;
pub mod orm;
pub mod pagination;
pub mod panics;
pub mod passwords;
pub mod rate_limit;
pub mod relations;
pub mod responses;
pub mod secrets;
pub mod sql;
pub mod transactions;
pub mod validation;
pub mod writes;

/// Whether `text` contains `word` (lower-case ASCII) in any ASCII case: what
/// `text.to_ascii_lowercase().contains(word)` answers, without the lower-cased copy (these
/// checks run for every call of every file).
pub(crate) fn contains_ignore_case(text: &str, word: &str) -> bool {
    word.is_empty()
        || text
            .as_bytes()
            .windows(word.len())
            .any(|w| w.eq_ignore_ascii_case(word.as_bytes()))
}
