//! Helpers for the rules' unit tests: lint a snippet as if it were the file at `path`.

use std::path::Path;

use crate::{lint_source, Options};

/// The lines (1-based) where `rule` reports in `src`.
pub fn lines(rule: &str, path: &str, src: &str) -> Vec<u32> {
    lines_with(rule, path, src, &Options::default())
}

/// [`lines`] with options (a selected rule, config).
pub fn lines_with(rule: &str, path: &str, src: &str, options: &Options) -> Vec<u32> {
    lint_source(Path::new(path), src, options)
        .diagnostics
        .iter()
        .filter(|d| d.rule == rule)
        .map(|d| d.start.line)
        .collect()
}

/// `line: message` for every finding of `rule` in `src`.
pub fn findings(rule: &str, path: &str, src: &str) -> Vec<String> {
    lint_source(Path::new(path), src, &Options::default())
        .diagnostics
        .into_iter()
        .filter(|d| d.rule == rule)
        .map(|d| format!("{}: {}", d.start.line, d.message))
        .collect()
}
