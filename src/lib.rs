//! backlint: static analysis for backend anti-patterns in Python, TypeScript/JavaScript and Rust.

pub mod ast;
pub mod baseline;
pub mod cache;
pub mod changed;
pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod discover;
pub mod engine;
pub mod facts;
pub mod fix;
pub mod flow;
pub mod imports;
pub mod index;
pub mod knowledge;
pub mod lang;
pub mod lookup;
pub mod lsp;
pub mod manifest;
pub mod paths;
pub mod registry;
pub mod report;
pub mod roles;
pub mod rules;
pub mod severity;
pub mod source;
pub mod suppress;

pub use engine::{lint_paths, lint_source, Options};
