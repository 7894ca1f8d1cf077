//! Parsing and lowering into [`crate::ast`]: tree-sitter for Python and TypeScript/JavaScript,
//! syn for Rust.

pub mod python;
pub mod rust;
pub mod typescript;

use std::path::Path;

use crate::ast::{Ast, Lang};

/// The grammar a file is parsed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Python,
    TypeScript,
    Tsx,
    JavaScript,
    Rust,
}

impl Dialect {
    pub fn from_path(path: &Path) -> Option<Dialect> {
        let ext = path.extension()?.to_str()?;
        Some(match ext {
            "py" | "pyi" => Dialect::Python,
            "ts" | "mts" | "cts" => Dialect::TypeScript,
            "tsx" => Dialect::Tsx,
            "js" | "jsx" | "mjs" | "cjs" => Dialect::JavaScript,
            "rs" => Dialect::Rust,
            _ => return None,
        })
    }
    pub fn lang(self) -> Lang {
        match self {
            Dialect::Python => Lang::Python,
            Dialect::TypeScript | Dialect::Tsx | Dialect::JavaScript => Lang::TypeScript,
            Dialect::Rust => Lang::Rust,
        }
    }
}

/// Why a file could not be analysed.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("could not be parsed: {0}")]
    Syntax(String),
    #[error("nesting is too deep to analyse (over {0} levels)")]
    TooDeep(usize),
}

/// Deeper syntax trees than this are not lowered (protects the stack on pathological input).
pub const MAX_DEPTH: usize = 400;

/// Parses and lowers a file.
pub fn parse(dialect: Dialect, text: &str) -> Result<Ast, ParseError> {
    match dialect {
        Dialect::Python => python::lower(text),
        Dialect::TypeScript | Dialect::Tsx | Dialect::JavaScript => {
            typescript::lower(text, dialect)
        }
        Dialect::Rust => rust::lower(text),
    }
}

/// Parse only (no lowering), for the parse-floor benchmark.
pub fn parse_only(dialect: Dialect, text: &str) -> bool {
    match dialect {
        Dialect::Python => python::parse_only(text),
        Dialect::TypeScript | Dialect::Tsx | Dialect::JavaScript => {
            typescript::parse_only(text, dialect)
        }
        Dialect::Rust => rust::parse_only(text),
    }
}
