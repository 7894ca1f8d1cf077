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

/// `src` with the fixes of `rule`'s findings applied (unsafe ones too), the number applied,
/// and the lines `rule` still reports in the fixed text. The fixed text must parse.
pub fn fix_all(rule: &str, path: &str, src: &str, options: &Options) -> (String, usize, Vec<u32>) {
    let report = lint_source(Path::new(path), src, options);
    let fixes: Vec<&crate::diagnostic::Fix> = report
        .diagnostics
        .iter()
        .filter(|d| d.rule == rule)
        .filter_map(|d| d.fix.as_ref())
        .collect();
    let (fixed, applied) = crate::fix::apply(src, &fixes);
    assert!(
        crate::fix::parses(Path::new(path), &fixed),
        "the fixed text does not parse:\n{fixed}"
    );
    let left = lines_with(rule, path, &fixed, options);
    (fixed, applied.len(), left)
}
