//! GitLab Code Quality report: a JSON array of issues, the subset of the Code Climate format
//! GitLab reads (`description`, `check_name`, `fingerprint`, `severity`, `location.path`,
//! `location.lines.begin`). Paths are relative to `Report::uri_root` (the repository root,
//! which is where GitLab resolves them). Notices are not issues and are left out.
//!
//! ```json
//! [
//!   {
//!     "type": "issue",
//!     "engine_name": "backlint",
//!     "check_name": "sql-injection",
//!     "description": "`user_id` is put into SQL text with an f-string and run by `cursor.execute`",
//!     "content": { "body": "help text" },
//!     "categories": ["Security"],
//!     "severity": "critical",            // info | minor | major | critical | blocker
//!     "fingerprint": "3f1c...",          // unique per issue, stable across line shifts
//!     "location": { "path": "app/views.py", "lines": { "begin": 12, "end": 12 } }
//!   }
//! ]
//! ```

use std::io::{self, Write};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::diagnostic::Severity;
use crate::registry;
use crate::report::sarif::root_relative;
use crate::report::Report;

#[derive(Serialize)]
struct Issue<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    engine_name: &'static str,
    check_name: &'a str,
    description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<Content<'a>>,
    categories: Vec<&'static str>,
    severity: &'static str,
    fingerprint: String,
    location: Location,
}

#[derive(Serialize)]
struct Content<'a> {
    body: &'a str,
}

#[derive(Serialize)]
struct Location {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: u32,
    end: u32,
}

/// GitLab's severity for a rule level.
pub fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "critical",
        Severity::Warning => "major",
        Severity::Info => "info",
    }
}

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let issues: Vec<Issue> = report
        .diagnostics
        .iter()
        .map(|d| {
            let path = root_relative(&d.path, &report.uri_root);
            // our fingerprint is per file; GitLab needs one unique in the whole report
            let fingerprint = hex(&Sha256::digest(format!("{path}\0{}", d.fingerprint)));
            let category = registry::get(d.rule).map_or("", |m| m.category);
            Issue {
                kind: "issue",
                engine_name: "backlint",
                check_name: d.rule,
                description: &d.message,
                content: d.help.as_deref().map(|body| Content { body }),
                categories: vec![match category {
                    "security" => "Security",
                    "performance" => "Performance",
                    _ => "Bug Risk",
                }],
                severity: severity(d.severity),
                fingerprint,
                location: Location {
                    path,
                    lines: Lines {
                        begin: d.start.line,
                        end: d.end.line,
                    },
                },
            }
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &issues)?;
    writeln!(out)
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().take(16).fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
