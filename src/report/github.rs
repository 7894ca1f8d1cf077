//! GitHub Actions workflow commands: one `::error`/`::warning`/`::notice` line per finding, so
//! findings show as annotations on the pull request's diff.
//!
//! Annotation paths are relative to `Report::uri_root` (the repository root, which is where
//! Actions resolves them), like SARIF URIs but not percent-encoded. Columns are in Unicode scalar
//! values. The help text follows the message on a second line.

use std::io::{self, Write};

use crate::diagnostic::Severity;
use crate::report::sarif::root_relative;
use crate::report::Report;

/// Escapes a command's data (the text after `::`).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command property value (`file=`, `title=`...).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for d in &report.diagnostics {
        let command = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut message = d.message.clone();
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        writeln!(
            out,
            "::{command} file={},line={},endLine={},col={},endColumn={},title={}::{}",
            escape_property(&root_relative(&d.path, &report.uri_root)),
            d.start.line,
            d.end.line,
            d.start.column,
            d.end.column,
            escape_property(d.rule),
            escape_data(&message),
        )?;
    }
    for n in &report.notices {
        writeln!(
            out,
            "::warning file={}::{}",
            escape_property(&root_relative(&n.path, &report.uri_root)),
            escape_data(&n.message)
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Diagnostic;
    use crate::report::Notice;
    use crate::source::{Position, Span};

    #[test]
    fn commands_and_escaping() {
        assert_eq!(escape_data("50% a:b,c\r\nd"), "50%25 a:b,c%0D%0Ad");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");

        let p = |line, column| Position {
            line,
            column,
            column_utf16: column,
        };
        let d = |severity, rule| Diagnostic {
            rule,
            severity,
            path: "app/a,b.py".into(),
            span: Span::new(0, 1),
            start: p(3, 5),
            end: p(4, 2),
            message: "100% bad: really".into(),
            help: Some("fix it".into()),
            labels: Vec::new(),
            flow: Vec::new(),
            fingerprint: String::new(),
            line_hash: String::new(),
            secret: None,
            condition: None,
            fix: None,
        };
        let report = Report {
            diagnostics: vec![
                d(Severity::Error, "sql-injection"),
                d(Severity::Warning, "n-plus-one-query"),
                d(Severity::Info, "unused-suppression"),
            ],
            notices: vec![Notice {
                path: "x.py".into(),
                message: "not UTF-8".into(),
            }],
            uri_root: std::env::current_dir().unwrap(),
            ..Report::default()
        };
        let mut out = Vec::new();
        render(&report, &mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[0],
            "::error file=app/a%2Cb.py,line=3,endLine=4,col=5,endColumn=2,title=sql-injection\
             ::100%25 bad: really%0Ahelp: fix it"
        );
        assert!(lines[1].starts_with("::warning file=app/a%2Cb.py,line=3,"));
        assert!(lines[2].starts_with("::notice file="));
        assert_eq!(lines[3], "::warning file=x.py::not UTF-8");
        assert_eq!(lines.len(), 4);
    }
}
