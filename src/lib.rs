//! backlint: static analysis for backend anti-patterns in Python, TypeScript/JavaScript and Rust.

pub mod ast;
pub mod diagnostic;
pub mod lang;
pub mod source;
pub mod registry;
pub mod report;
pub mod knowledge;
