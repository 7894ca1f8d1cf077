//! Mechanical fixes: the rules build their edits with [`edits`]; this module applies them to
//! text and to files (`backlint check --fix`).
//!
//! As in ruff: only fixes whose edits do not overlap (or touch) an edit already taken are
//! applied in one pass, an edit identical to one taken is shared (two `time.sleep` fixes both
//! adding `import asyncio`), and the caller checks again and applies what is left, a few times
//! over. A file that did not parse cleanly is not fixed, and neither is one whose fixed text
//! would not parse: it is left as it was, with a notice.

pub mod edits;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::report::{Notice, Report};

/// Whether `--fix` applies this fix: safe ones always, unsafe ones with `--unsafe-fixes`.
pub fn applies(fix: &Fix, unsafe_fixes: bool) -> bool {
    fix.applicability == Applicability::Safe || unsafe_fixes
}

/// Applies `fixes` to `text` in the order given, skipping each fix with an edit that overlaps
/// or touches an edit already taken (an identical edit is shared). Returns the new text and
/// the indices of the fixes applied.
pub fn apply(text: &str, fixes: &[&Fix]) -> (String, Vec<usize>) {
    let mut taken: Vec<&Edit> = Vec::new();
    let mut applied = Vec::new();
    for (i, fix) in fixes.iter().enumerate() {
        if !fix.fits(text) {
            continue;
        }
        let clash = fix.edits.iter().any(|e| {
            taken
                .iter()
                .any(|t| *t != e && e.span.start <= t.span.end && t.span.start <= e.span.end)
        });
        if clash {
            continue;
        }
        for e in &fix.edits {
            if !taken.contains(&e) {
                taken.push(e);
            }
        }
        applied.push(i);
    }
    // edits of different fixes never touch, and a fix's own are in order: a stable sort by
    // position keeps both
    taken.sort_by_key(|e| (e.span.start, e.span.end));
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0;
    for e in taken {
        out.push_str(&text[at..e.span.start as usize]);
        out.push_str(&e.replacement);
        at = e.span.end as usize;
    }
    out.push_str(&text[at..]);
    (out, applied)
}

/// What one `--fix` pass did.
#[derive(Debug, Default)]
pub struct Pass {
    /// Findings fixed, per file.
    pub fixed: BTreeMap<PathBuf, usize>,
    /// Files left unchanged, and why.
    pub notices: Vec<Notice>,
}

impl Pass {
    pub fn count(&self) -> usize {
        self.fixed.values().sum()
    }
}

/// Applies the fixes of a report's findings that `--fix` (with `unsafe_fixes`) allows to their
/// files on disk. Files whose findings come from a partial check (`notes`: partly parsed, or
/// the rules were stopped) are left alone.
pub fn apply_report(report: &Report, unsafe_fixes: bool) -> Pass {
    let mut by_file: BTreeMap<&Path, Vec<&Diagnostic>> = BTreeMap::new();
    for d in &report.diagnostics {
        if d.fix.as_ref().is_some_and(|f| applies(f, unsafe_fixes)) {
            by_file.entry(d.path.as_path()).or_default().push(d);
        }
    }
    let mut pass = Pass::default();
    for (path, diags) in by_file {
        if report.notices.iter().any(|n| n.path == path) {
            pass.notices.push(Notice {
                path: path.to_path_buf(),
                message: "not fixed: it was not checked completely (see the notice above)".into(),
            });
            continue;
        }
        match fix_file(path, &diags, report) {
            Ok(0) => {}
            Ok(n) => {
                pass.fixed.insert(path.to_path_buf(), n);
            }
            Err(message) => pass.notices.push(Notice {
                path: path.to_path_buf(),
                message,
            }),
        }
    }
    pass
}

/// Applies the fixes of `diags` to the file; returns how many were applied, or why none was.
fn fix_file(path: &Path, diags: &[&Diagnostic], report: &Report) -> Result<usize, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("not fixed: {e}"))?;
    // the text checked (secrets masked, same length): the file must not have changed since
    if let Some(seen) = report.sources.get(path) {
        if seen.text.len() != text.len() {
            return Err("not fixed: the file changed while it was checked".into());
        }
    }
    if !parses(path, &text) {
        return Err("not fixed: the file has syntax errors".into());
    }
    let fixes: Vec<&Fix> = diags.iter().filter_map(|d| d.fix.as_ref()).collect();
    let (fixed, applied) = apply(&text, &fixes);
    if applied.is_empty() || fixed == text {
        return Ok(0);
    }
    if !parses(path, &fixed) {
        return Err(format!(
            "not fixed: the fixed text would not parse (fixes: {})",
            titles(&fixes, &applied)
        ));
    }
    std::fs::write(path, fixed).map_err(|e| format!("not fixed: cannot write it: {e}"))?;
    Ok(applied.len())
}

fn titles(fixes: &[&Fix], applied: &[usize]) -> String {
    let mut t: Vec<&str> = applied.iter().map(|&i| fixes[i].title.as_str()).collect();
    t.dedup();
    t.join("; ")
}

/// Whether a source file or manifest parses without any syntax error.
pub fn parses(path: &Path, text: &str) -> bool {
    if let Some(dialect) = crate::lang::Dialect::from_path(path) {
        return crate::lang::parse(dialect, text).is_ok_and(|ast| !ast.has_errors);
    }
    if let Some(kind) = crate::manifest::Kind::from_path(path) {
        return crate::manifest::Manifest::parse(kind, text).is_ok();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Span;

    fn fix(edits: Vec<Edit>) -> Fix {
        Fix::safe("t", edits)
    }

    #[test]
    fn overlapping_fixes_wait_and_identical_edits_are_shared() {
        let text = "abcdef";
        let a = fix(vec![Edit::replace(Span::new(1, 3), "X")]);
        // overlaps `a`
        let b = fix(vec![Edit::replace(Span::new(2, 4), "Y")]);
        // touches `a` at its end
        let c = fix(vec![Edit::insert(3, "Z")]);
        // apart from `a`, and an insertion shared with `e`
        let d = fix(vec![
            Edit::insert(0, "<"),
            Edit::replace(Span::new(5, 6), "F"),
        ]);
        let e = fix(vec![Edit::insert(0, "<"), Edit::insert(4, "!")]);
        let (out, applied) = apply(text, &[&a, &b, &c, &d, &e]);
        assert_eq!(applied, vec![0, 3, 4]);
        assert_eq!(out, "<aXd!eF");
        // a fix's own edits may touch: insert then replace at one place, in order
        let g = fix(vec![
            Edit::insert(1, "("),
            Edit::replace(Span::new(1, 3), "BC"),
            Edit::insert(3, ")"),
        ]);
        assert_eq!(apply(text, &[&g]).0, "a(BC)def");
        // edits outside the text are never applied
        let h = fix(vec![Edit::insert(99, "x")]);
        assert_eq!(apply(text, &[&h]), (text.to_string(), vec![]));
    }

    /// A fix whose result would not parse leaves the file as it was, with a notice; a file
    /// that does not parse is not touched either.
    #[test]
    fn files_are_fixed_only_into_text_that_parses() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.py");
        let text = "x = f(1)\n";
        std::fs::write(&path, text).unwrap();
        let diag = |edit: Edit| {
            let mut d = test_diag(&path);
            d.fix = Some(Fix::unsafe_("t", vec![edit]));
            d
        };
        let report = |edit: Edit| Report {
            diagnostics: vec![diag(edit)],
            ..Report::default()
        };
        let broken = apply_report(&report(Edit::insert(7, ", (")), true);
        assert_eq!(broken.count(), 0);
        assert!(
            broken.notices[0].message.contains("would not parse"),
            "{broken:?}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        // unsafe fixes wait for `--unsafe-fixes`
        assert_eq!(
            apply_report(&report(Edit::insert(7, ", 2")), false).count(),
            0
        );
        let fixed = apply_report(&report(Edit::insert(7, ", 2")), true);
        assert_eq!(fixed.count(), 1);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "x = f(1, 2)\n");
        std::fs::write(&path, "x = f(1\n").unwrap();
        let not = apply_report(&report(Edit::insert(7, ")")), true);
        assert!(not.notices[0].message.contains("syntax errors"), "{not:?}");
    }

    fn test_diag(path: &Path) -> Diagnostic {
        let p = crate::source::Position {
            line: 1,
            column: 1,
            column_utf16: 1,
        };
        Diagnostic {
            rule: "missing-timeout",
            severity: crate::diagnostic::Severity::Warning,
            path: path.to_path_buf(),
            span: Span::new(0, 1),
            start: p,
            end: p,
            message: String::new(),
            help: None,
            labels: Vec::new(),
            flow: Vec::new(),
            fingerprint: String::new(),
            line_hash: String::new(),
            secret: None,
            condition: None,
            fix: None,
        }
    }

    #[test]
    fn syntax_is_checked_per_language() {
        assert!(parses(Path::new("a.py"), "x = f(1, timeout=10)\n"));
        assert!(!parses(Path::new("a.py"), "x = f(1, timeout=10\n"));
        assert!(parses(
            Path::new("a.ts"),
            "await fetch(u, { signal: s });\n"
        ));
        assert!(!parses(
            Path::new("a.ts"),
            "await fetch(u, { signal: s );\n"
        ));
        assert!(parses(Path::new("a.rs"), "fn f() {}\n"));
        assert!(!parses(Path::new("a.rs"), "fn f( {}\n"));
        assert!(parses(Path::new("requirements.txt"), "flask==3.0\n"));
        assert!(!parses(Path::new("notes.txt"), "x\n"));
    }
}
