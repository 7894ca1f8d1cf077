//! Parsing and lowering into [`crate::ast`]: tree-sitter for Python and TypeScript/JavaScript,
//! syn for Rust.

pub mod python;
pub mod rust;
pub mod typescript;

use std::path::Path;

use crate::ast::{Ast, Lang, SyntaxError};

/// The grammar a file is parsed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Python,
    TypeScript,
    Tsx,
    JavaScript,
    Rust,
}

/// The file extensions backlint checks.
pub const EXTENSIONS: &[&str] = &[
    "py", "pyi", "ts", "tsx", "mts", "cts", "js", "jsx", "mjs", "cjs", "rs",
];

/// The notice for a file named explicitly whose type backlint does not check.
pub fn unsupported_notice(path: &Path) -> String {
    let what = match path.extension().and_then(|e| e.to_str()) {
        Some(ext) => format!("`.{ext}` files are not supported"),
        None => "no file extension".to_string(),
    };
    let known: Vec<String> = EXTENSIONS.iter().map(|e| format!(".{e}")).collect();
    format!("not checked: {what} (backlint checks {})", known.join(" "))
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

/// The first ERROR or MISSING node of a tree-sitter tree, in source order, that is not a known
/// gap of the grammar (see [`grammar_lag`]). Only subtrees that hold an error are entered, so a
/// clean tree costs nothing.
pub fn first_syntax_error(root: tree_sitter::Node, text: &str) -> Option<SyntaxError> {
    if !root.has_error() {
        return None;
    }
    let mut cursor = root.walk();
    'next: loop {
        let node = cursor.node();
        let enter = if node.is_error() || node.is_missing() {
            if !grammar_lag(node, text) {
                return Some(SyntaxError {
                    offset: node.start_byte() as u32,
                    missing: node.is_missing().then(|| node.kind().to_string()),
                });
            }
            false
        } else {
            node.has_error()
        };
        if enter && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                continue 'next;
            }
            if !cursor.goto_parent() {
                return None;
            }
        }
    }
}

/// Valid code that tree-sitter-typescript 0.23 cannot read (TOOLCHAIN.md, gotcha 6), so no
/// syntax error to report: a tagged template with type arguments (styled-components'
/// ``styled.div<Props>`...` ``, read with a MISSING `!`), an escape that a tagged template
/// allows (``String.raw`\u00` ``), a bare `&` in JSX text.
fn grammar_lag(node: tree_sitter::Node, text: &str) -> bool {
    let from = |at: usize| text.get(at..).unwrap_or("");
    if node.is_missing() {
        return node.kind() == "!" && from(node.end_byte()).trim_start().starts_with('`');
    }
    match node.parent().map(|p| p.kind()) {
        Some("template_string") => true,
        Some("jsx_element") => from(node.start_byte()).starts_with('&'),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(dialect: Dialect, src: &str) -> Option<(u32, Option<String>)> {
        parse(dialect, src)
            .unwrap()
            .syntax_error
            .map(|e| (e.offset, e.missing))
    }

    #[test]
    fn first_syntax_error_in_source_order() {
        assert_eq!(error_of(Dialect::Python, "def f():\n    return 1\n"), None);
        let py = "x = 1\ndef bad(x)\n    return x\ny = (\n";
        assert_eq!(error_of(Dialect::Python, py), Some((6, None)));
        let ts = "const a = 1;\nif (a {\n  f();\n}\n";
        assert_eq!(
            error_of(Dialect::TypeScript, ts),
            Some((18, Some(")".to_string())))
        );
        assert_eq!(error_of(Dialect::JavaScript, "export const x = 1;\n"), None);
        // what the grammar cannot read is not a syntax error; a real one after it still is
        let lag = "const B = styled.span<{ y?: boolean }>`\n  color: red;\n`;\nconst r = String.raw`a\\u00 b`;\nif (r {}\n";
        assert_eq!(
            error_of(Dialect::TypeScript, lag),
            Some((lag.find("r {").unwrap() as u32 + 1, Some(")".to_string())))
        );
        let jsx = "export const A = () => <h3>Compliance & Legal</h3>;\n";
        assert_eq!(error_of(Dialect::Tsx, jsx), None);
    }

    #[test]
    fn every_listed_extension_has_a_grammar() {
        for ext in EXTENSIONS {
            let path = format!("a.{ext}");
            assert!(Dialect::from_path(Path::new(&path)).is_some(), "{ext}");
        }
        assert!(Dialect::from_path(Path::new("views.txt")).is_none());
    }
}
