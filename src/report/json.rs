//! JSON reporter: one object per run, a stable schema for scripts and for `--baseline`.
//!
//! Schema, version 1 (fields are only ever added within a version; a breaking change bumps
//! `version`):
//!
//! ```text
//! {
//!   "version": 1,
//!   "tool": { "name": "backlint", "version": "0.1.0" },
//!   "summary": {
//!     "files_checked": 42,              // files analysed
//!     "lines_checked": 5120,            // lines in those files
//!     "problems": 3,                    // number of diagnostics below
//!     "by_rule": { "sql-injection": 2, "n-plus-one-query": 1 },  // sorted by rule id
//!     "fixable": 1,                     // diagnostics with a fix (safe or unsafe)
//!     "fixed": 4                        // only with --fix: findings fixed in the files
//!   },
//!   "diagnostics": [                    // sorted by path, line, column, rule
//!     {
//!       "rule": "sql-injection",        // rule id, see `backlint rules`
//!       "severity": "error",            // "error" | "warning" | "info"
//!       "path": "app/views.py",         // as discovered, relative to the current directory
//!                                       // when under it; always '/' separators
//!       "start": { "line": 12, "column": 5 },   // 1-based; column in Unicode scalar values
//!       "end":   { "line": 12, "column": 41 },  // exclusive
//!       "message": "...",               // secrets are masked
//!       "help": "..." | null,           // how to fix it
//!       "labels": [                     // related locations, possibly in other files
//!         { "path": "services/orders.py", "start": {..}, "end": {..}, "message": "query" }
//!       ],
//!       "flow": [                       // only when the rule traced a value: the path it
//!         { "path": "app/views.py", "start": {..}, "end": {..}, "message": "read here" }
//!       ],                              // took, source first (SARIF codeFlows)
//!       "fingerprint": "...",           // line-shift tolerant identity used by --baseline
//!       "fix": {                        // only when the rule has a mechanical fix
//!         "title": "Add `timeout=10`",
//!         "applicability": "unsafe",    // "safe": `--fix` applies it; "unsafe": it changes
//!                                       // behaviour, `--fix --unsafe-fixes` applies it
//!         "edits": [                    // sorted, never overlapping; an empty range inserts
//!           { "path": "app/views.py", "start": {..}, "end": {..}, "replacement": ", timeout=10" }
//!         ]
//!       }
//!     }
//!   ],
//!   "notices": [                        // files that could not be analysed, and the like
//!     { "path": "assets/blob.py", "message": "not UTF-8; skipped" }
//!   ]
//! }
//! ```

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use serde::Serialize;

use crate::diagnostic::{Diagnostic, Fix, Label};
use crate::report::Report;
use crate::source::Position;

/// Version of the JSON schema documented above.
pub const SCHEMA_VERSION: u32 = 1;

/// A path as every report spells it: lossy UTF-8 with `/` separators.
pub fn slash_path(path: &Path) -> String {
    let s = path.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '\\' {
        s.replace('\\', "/")
    } else {
        s.into_owned()
    }
}

#[derive(Serialize)]
struct JsonReport<'a> {
    version: u32,
    tool: Tool,
    summary: Summary<'a>,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    notices: Vec<JsonNotice<'a>>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Summary<'a> {
    files_checked: usize,
    lines_checked: usize,
    problems: usize,
    by_rule: BTreeMap<&'a str, usize>,
    fixable: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    fixed: Option<usize>,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    rule: &'a str,
    severity: &'static str,
    path: String,
    start: Pos,
    end: Pos,
    message: &'a str,
    help: Option<&'a str>,
    labels: Vec<JsonLabel<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    flow: Vec<JsonLabel<'a>>,
    fingerprint: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<JsonFix<'a>>,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    title: &'a str,
    applicability: &'static str,
    edits: Vec<JsonEdit<'a>>,
}

#[derive(Serialize)]
struct JsonEdit<'a> {
    path: String,
    start: Pos,
    end: Pos,
    replacement: &'a str,
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    path: String,
    start: Pos,
    end: Pos,
    message: &'a str,
}

#[derive(Serialize)]
struct Pos {
    line: u32,
    column: u32,
}

impl From<Position> for Pos {
    fn from(p: Position) -> Pos {
        Pos {
            line: p.line,
            column: p.column,
        }
    }
}

#[derive(Serialize)]
struct JsonNotice<'a> {
    path: String,
    message: &'a str,
}

/// Counts of diagnostics per rule id, sorted by id.
pub fn counts_by_rule(diagnostics: &[Diagnostic]) -> BTreeMap<&str, usize> {
    let mut by_rule = BTreeMap::new();
    for d in diagnostics {
        *by_rule.entry(d.rule).or_insert(0) += 1;
    }
    by_rule
}

fn label<'a>(d: &Diagnostic, l: &'a Label) -> JsonLabel<'a> {
    JsonLabel {
        path: slash_path(l.path.as_deref().unwrap_or(&d.path)),
        start: l.start.into(),
        end: l.end.into(),
        message: &l.message,
    }
}

fn diagnostic(d: &Diagnostic) -> JsonDiagnostic<'_> {
    JsonDiagnostic {
        rule: d.rule,
        severity: d.severity.as_str(),
        path: slash_path(&d.path),
        start: d.start.into(),
        end: d.end.into(),
        message: &d.message,
        help: d.help.as_deref(),
        labels: d.labels.iter().map(|l| label(d, l)).collect(),
        flow: d.flow.iter().map(|l| label(d, l)).collect(),
        fingerprint: &d.fingerprint,
        fix: d.fix.as_ref().map(|f| fix(d, f)),
    }
}

fn fix<'a>(d: &Diagnostic, f: &'a Fix) -> JsonFix<'a> {
    JsonFix {
        title: &f.title,
        applicability: f.applicability.as_str(),
        edits: f
            .edits
            .iter()
            .map(|e| JsonEdit {
                path: slash_path(&d.path),
                start: e.start.into(),
                end: e.end.into(),
                replacement: &e.replacement,
            })
            .collect(),
    }
}

/// Writes the report as one pretty-printed JSON object followed by a newline.
pub fn render(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let doc = JsonReport {
        version: SCHEMA_VERSION,
        tool: Tool {
            name: "backlint",
            version: env!("CARGO_PKG_VERSION"),
        },
        summary: Summary {
            files_checked: report.files_checked,
            lines_checked: report.lines_checked,
            problems: report.diagnostics.len(),
            by_rule: counts_by_rule(&report.diagnostics),
            fixable: report
                .diagnostics
                .iter()
                .filter(|d| d.fix.is_some())
                .count(),
            fixed: report.fixed,
        },
        diagnostics: report.diagnostics.iter().map(diagnostic).collect(),
        notices: report
            .notices
            .iter()
            .map(|n| JsonNotice {
                path: slash_path(&n.path),
                message: &n.message,
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Label, Severity};
    use crate::report::Notice;
    use crate::source::Span;

    fn pos(line: u32, column: u32) -> Position {
        Position {
            line,
            column,
            column_utf16: column,
        }
    }

    fn report() -> Report {
        let d = Diagnostic {
            rule: "sql-injection",
            severity: Severity::Error,
            path: "app/views.py".into(),
            span: Span::new(0, 4),
            start: pos(3, 5),
            end: pos(3, 9),
            message: "SQL built with an f-string reaches `cursor.execute`".into(),
            help: None,
            labels: vec![Label {
                path: Some("lib/db.py".into()),
                span: Span::new(0, 1),
                start: pos(1, 1),
                end: pos(1, 2),
                message: "query".into(),
            }],
            flow: vec![Label {
                path: None,
                span: Span::new(0, 4),
                start: pos(2, 1),
                end: pos(2, 5),
                message: "read here".into(),
            }],
            fingerprint: "fp1".into(),
            line_hash: String::new(),
            secret: None,
            condition: None,
            fix: None,
        };
        Report {
            diagnostics: vec![d],
            notices: vec![Notice {
                path: "bin.py".into(),
                message: "not UTF-8".into(),
            }],
            files_checked: 7,
            ..Report::default()
        }
    }

    #[test]
    fn fixes_are_listed_with_their_edits() {
        let mut r = report();
        let at = |line, column| pos(line, column);
        let mut e = crate::diagnostic::Edit::insert(10, ", timeout=10");
        e.start = at(3, 20);
        e.end = at(3, 20);
        r.diagnostics[0].fix = Some(crate::diagnostic::Fix::unsafe_("Add `timeout=10`", vec![e]));
        r.fixed = Some(2);
        let mut out = Vec::new();
        render(&r, &mut out).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["version"], 1);
        assert_eq!(v["summary"]["fixable"], 1);
        assert_eq!(v["summary"]["fixed"], 2);
        assert_eq!(
            v["diagnostics"][0]["fix"],
            serde_json::json!({
                "title": "Add `timeout=10`",
                "applicability": "unsafe",
                "edits": [{
                    "path": "app/views.py",
                    "start": {"line": 3, "column": 20},
                    "end": {"line": 3, "column": 20},
                    "replacement": ", timeout=10"
                }]
            })
        );
    }

    #[test]
    fn schema_fields() {
        let mut out = Vec::new();
        render(&report(), &mut out).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["version"], 1);
        assert_eq!(v["tool"]["name"], "backlint");
        assert_eq!(v["summary"]["files_checked"], 7);
        assert_eq!(v["summary"]["problems"], 1);
        assert_eq!(v["summary"]["by_rule"]["sql-injection"], 1);
        let d = &v["diagnostics"][0];
        assert_eq!(d["rule"], "sql-injection");
        assert_eq!(d["severity"], "error");
        assert_eq!(d["path"], "app/views.py");
        assert_eq!(d["start"], serde_json::json!({"line": 3, "column": 5}));
        assert_eq!(d["end"], serde_json::json!({"line": 3, "column": 9}));
        assert!(d["help"].is_null());
        assert_eq!(d["labels"][0]["path"], "lib/db.py");
        assert_eq!(d["labels"][0]["message"], "query");
        assert_eq!(d["flow"][0]["message"], "read here");
        assert_eq!(d["flow"][0]["start"]["line"], 2);
        assert_eq!(d["fingerprint"], "fp1");
        assert!(d.get("fix").is_none(), "no fix, no field");
        assert_eq!(v["summary"]["fixable"], 0);
        assert!(v["summary"].get("fixed").is_none());
        assert_eq!(
            v["notices"][0],
            serde_json::json!({"path": "bin.py", "message": "not UTF-8"})
        );
    }
}
