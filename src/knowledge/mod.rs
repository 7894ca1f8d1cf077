//! Framework knowledge shared by every rule: which calls query a database, which functions are
//! HTTP handlers, what runs once per item of a collection, raw SQL sinks, secret formats.
//! Adding an ORM or a framework is a change here, not in the rules.

pub mod blocking;
pub mod connections;
pub mod cors;
pub mod debug_mode;
pub mod environments;
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
pub mod passwords;
pub mod relations;
pub mod secrets;
pub mod sql;
