//! backlint: static analysis for backend anti-patterns in Python, TypeScript/JavaScript and Rust.

pub mod ast;
pub mod baseline;
pub mod diagnostic;
pub mod lang;
pub mod source;
pub mod registry;
pub mod report;
