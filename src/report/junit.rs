//! JUnit XML: one `<testsuite>` per file with findings, one failed `<testcase>` per finding
//! (CI hosts such as GitLab and Jenkins show these as failed tests). A clean run is one
//! passing test case, so the host still shows that backlint ran.
//!
//! ```xml
//! <testsuites name="backlint" tests="1" failures="1">
//!   <testsuite name="app/views.py" tests="1" failures="1">
//!     <testcase classname="app/views.py" name="sql-injection at 12:5" file="app/views.py" line="12">
//!       <failure type="sql-injection" message="...">app/views.py:12:5: ...
//! help: ...</failure>
//!     </testcase>
//!   </testsuite>
//! </testsuites>
//! ```

use std::io::{self, Write};

use quick_xml::escape::escape;

use crate::diagnostic::Diagnostic;
use crate::report::sarif::root_relative;
use crate::report::Report;

/// Escaped for an attribute value (line breaks kept as `&#10;`). XML 1.0 cannot carry most
/// control characters, even escaped: they are dropped.
fn attr(s: &str) -> String {
    content(s).replace('\n', "&#10;")
}

/// Escaped for element content.
fn content(s: &str) -> String {
    let clean: String = s
        .chars()
        .filter(|&c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect();
    escape(clean.as_str()).into_owned()
}

pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let total = report.diagnostics.len();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    if total == 0 {
        writeln!(
            out,
            r#"<testsuites name="backlint" tests="1" failures="0">"#
        )?;
        writeln!(
            out,
            r#"  <testsuite name="backlint" tests="1" failures="0">"#
        )?;
        writeln!(
            out,
            r#"    <testcase classname="backlint" name="no findings in {} files"/>"#,
            report.files_checked
        )?;
        writeln!(out, "  </testsuite>")?;
        return writeln!(out, "</testsuites>");
    }
    writeln!(
        out,
        r#"<testsuites name="backlint" tests="{total}" failures="{total}">"#
    )?;
    // diagnostics are sorted by path: consecutive runs are one file
    for group in report.diagnostics.chunk_by(|a, b| a.path == b.path) {
        let path = attr(&root_relative(&group[0].path, &report.uri_root));
        let n = group.len();
        writeln!(
            out,
            r#"  <testsuite name="{path}" tests="{n}" failures="{n}">"#
        )?;
        for d in group {
            case(d, &path, out)?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

fn case(d: &Diagnostic, path: &str, out: &mut dyn Write) -> io::Result<()> {
    let (line, col) = (d.start.line, d.start.column);
    let mut body = format!("{path}:{line}:{col}: {}", content(&d.message));
    if let Some(help) = &d.help {
        body.push_str("\nhelp: ");
        body.push_str(&content(help));
    }
    writeln!(
        out,
        r#"    <testcase classname="{path}" name="{rule} at {line}:{col}" file="{path}" line="{line}">"#,
        rule = d.rule
    )?;
    writeln!(
        out,
        r#"      <failure type="{rule}" message="{message}">{body}</failure>"#,
        rule = d.rule,
        message = attr(&d.message),
    )?;
    writeln!(out, "    </testcase>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_what_xml_cannot_carry() {
        assert_eq!(
            content("a\u{1b}[0m <b> & \"q\"\n"),
            "a[0m &lt;b&gt; &amp; &quot;q&quot;\n"
        );
        assert_eq!(attr("one\ntwo"), "one&#10;two");
    }
}
