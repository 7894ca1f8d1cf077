//! Text reporters for people: codespan-reporting snippets (`text`) or one line per finding
//! (`concise`), per-file notices, a summary by rule; and `--statistics`, the counts alone.
//!
//! A finding whose fix `--fix` would apply (a safe one, or any with `--unsafe-fixes`) is
//! marked `[*]` before its message, as ruff marks it, and the summary says how many there are.
//!
//! Snippets come from `Report::sources` (already redacted). Labels in the diagnostic's own file
//! are drawn as secondary labels; labels in other files become `note: <message> in path:l:c`
//! lines, so a finding never prints code from a file the engine did not keep. A diagnostic whose
//! source is missing prints as one `path:line:col: severity[rule]: message` line.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::Path;

use codespan_reporting::diagnostic::{Diagnostic as Cs, Label as CsLabel, Severity as CsSeverity};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::termcolor::{Ansi, Color, ColorSpec, NoColor, WriteColor};
use codespan_reporting::term::{self, Config};

use crate::diagnostic::{Diagnostic, Severity};
use crate::report::json::{counts_by_rule, slash_path};
use crate::report::Report;
use crate::source::{SourceFile, Span};

/// How the text report is laid out.
#[derive(Clone, Copy, Debug, Default)]
pub struct Style {
    /// One `path:line:col: rule message` line per finding instead of code snippets.
    pub concise: bool,
    /// Findings only: no notices (the caller prints them elsewhere) and no summary.
    pub quiet: bool,
}

/// Renders the report; ANSI colours only when `color` is true.
pub fn render(report: &Report, color: bool, out: &mut dyn Write) -> io::Result<()> {
    render_styled(report, Style::default(), color, out)
}

/// Renders the report in the given style.
pub fn render_styled(
    report: &Report,
    style: Style,
    color: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    if color {
        render_to(report, style, &mut Ansi::new(out))
    } else {
        render_to(report, style, &mut NoColor::new(out))
    }
}

/// `--statistics`: findings per rule, most frequent first, then the summary line.
pub fn render_statistics(
    report: &Report,
    quiet: bool,
    color: bool,
    out: &mut dyn Write,
) -> io::Result<()> {
    if color {
        statistics_to(report, quiet, &mut Ansi::new(out))
    } else {
        statistics_to(report, quiet, &mut NoColor::new(out))
    }
}

/// Findings per rule with the rule's (reported) severity, most frequent first.
pub fn statistics(report: &Report) -> Vec<(&'static str, Severity, usize)> {
    let mut rows: Vec<(&'static str, Severity, usize)> = Vec::new();
    for d in &report.diagnostics {
        match rows.iter_mut().find(|r| r.0 == d.rule) {
            Some(r) => {
                r.1 = r.1.max(d.severity);
                r.2 += 1;
            }
            None => rows.push((d.rule, d.severity, 1)),
        }
    }
    rows.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(b.0)));
    rows
}

fn statistics_to<W: WriteColor>(report: &Report, quiet: bool, w: &mut W) -> io::Result<()> {
    let rows = statistics(report);
    let count_w = rows.first().map_or(1, |r| r.2.to_string().len());
    let rule_w = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    if !quiet && notices(report, w)? {
        writeln!(w)?;
    }
    for (rule, severity, n) in &rows {
        write!(w, "{n:>count_w$}  {rule:<rule_w$}  ")?;
        w.set_color(ColorSpec::new().set_fg(Some(severity_color(*severity))))?;
        write!(w, "{}", severity.as_str())?;
        w.reset()?;
        writeln!(w)?;
    }
    if !quiet {
        found_line(report, w)?;
    }
    Ok(())
}

fn render_to<W: WriteColor>(report: &Report, style: Style, w: &mut W) -> io::Result<()> {
    let config = Config::default();
    let mut files = SimpleFiles::new();
    let mut ids: HashMap<&Path, usize> = HashMap::new();
    // Sections are separated by one blank line; a codespan diagnostic already ends with one.
    let mut need_blank = false;
    for d in &report.diagnostics {
        if style.concise {
            concise_line(w, d, report.unsafe_fixes)?;
            need_blank = true;
            continue;
        }
        let Some(source) = report.sources.get(&d.path) else {
            header_line(w, d, report.unsafe_fixes)?;
            need_blank = true;
            continue;
        };
        let id = *ids
            .entry(d.path.as_path())
            .or_insert_with(|| files.add(slash_path(&d.path), source.text.as_str()));
        let cs = to_codespan(d, id, source, report.unsafe_fixes);
        term::emit_to_write_style(w, &config, &files, &cs).map_err(io::Error::other)?;
        need_blank = false;
    }
    if style.quiet {
        return Ok(());
    }
    need_blank |= notices(report, w)?;
    if need_blank {
        writeln!(w)?;
    }
    summary(report, w)
}

/// `warning: path: message` per notice; whether there was any.
fn notices<W: WriteColor>(report: &Report, w: &mut W) -> io::Result<bool> {
    for n in &report.notices {
        w.set_color(ColorSpec::new().set_fg(Some(Color::Yellow)).set_bold(true))?;
        write!(w, "warning")?;
        w.reset()?;
        writeln!(w, ": {}: {}", slash_path(&n.path), n.message)?;
    }
    Ok(!report.notices.is_empty())
}

/// `[*] ` before the message of a finding `--fix` would fix.
fn marker(d: &Diagnostic, unsafe_fixes: bool) -> &'static str {
    match &d.fix {
        Some(f) if crate::fix::applies(f, unsafe_fixes) => "[*] ",
        _ => "",
    }
}

/// `path:line:col: rule message`, as ruff's concise format.
fn concise_line<W: WriteColor>(w: &mut W, d: &Diagnostic, unsafe_fixes: bool) -> io::Result<()> {
    w.set_color(ColorSpec::new().set_bold(true))?;
    write!(w, "{}", slash_path(&d.path))?;
    w.reset()?;
    write!(w, ":{}:{}: ", d.start.line, d.start.column)?;
    w.set_color(
        ColorSpec::new()
            .set_fg(Some(severity_color(d.severity)))
            .set_bold(true),
    )?;
    write!(w, "{}", d.rule)?;
    w.reset()?;
    writeln!(w, " {}{}", marker(d, unsafe_fixes), d.message)
}

fn severity_color(s: Severity) -> Color {
    match s {
        Severity::Error => Color::Red,
        Severity::Warning => Color::Yellow,
        Severity::Info => Color::Green,
    }
}

fn to_codespan(d: &Diagnostic, file: usize, source: &SourceFile, unsafe_fixes: bool) -> Cs<usize> {
    let severity = match d.severity {
        Severity::Error => CsSeverity::Error,
        Severity::Warning => CsSeverity::Warning,
        Severity::Info => CsSeverity::Note,
    };
    let mut labels = vec![CsLabel::primary(file, clamp(d.span, &source.text))];
    let mut notes = Vec::new();
    for l in &d.labels {
        match &l.path {
            Some(p) if *p != d.path => {
                let place = format!("{}:{}:{}", slash_path(p), l.start.line, l.start.column);
                notes.push(if l.message.is_empty() {
                    format!("note: see {place}")
                } else {
                    format!("note: {} in {place}", l.message)
                });
            }
            _ => labels.push(
                CsLabel::secondary(file, clamp(l.span, &source.text)).with_message(&l.message),
            ),
        }
    }
    for (l, n) in d.flow.iter().zip(1..) {
        let numbered = format!("({n}) {}", l.message);
        if l.span == d.span {
            // the step at the finding itself labels the primary span
            labels[0] = CsLabel::primary(file, clamp(d.span, &source.text)).with_message(numbered);
        } else {
            labels
                .push(CsLabel::secondary(file, clamp(l.span, &source.text)).with_message(numbered));
        }
    }
    if let Some(help) = &d.help {
        notes.push(format!("help: {help}"));
    }
    if let Some(f) = &d.fix {
        notes.push(match f.applicability {
            crate::diagnostic::Applicability::Safe => format!("fix: {}", f.title),
            crate::diagnostic::Applicability::Unsafe => format!("fix (unsafe): {}", f.title),
        });
    }
    notes.push(format!("see: backlint explain {}", d.rule));
    Cs::new(severity)
        .with_code(d.rule)
        .with_message(format!("{}{}", marker(d, unsafe_fixes), d.message))
        .with_labels(labels)
        .with_notes(notes)
}

/// A span inside the text and on char boundaries (codespan slices the source with it).
fn clamp(span: Span, text: &str) -> std::ops::Range<usize> {
    let floor = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let start = floor(span.start as usize);
    start..floor(span.end as usize).max(start)
}

fn header_line<W: WriteColor>(w: &mut W, d: &Diagnostic, unsafe_fixes: bool) -> io::Result<()> {
    write!(
        w,
        "{}:{}:{}: ",
        slash_path(&d.path),
        d.start.line,
        d.start.column
    )?;
    w.set_color(
        ColorSpec::new()
            .set_fg(Some(severity_color(d.severity)))
            .set_bold(true),
    )?;
    write!(w, "{}[{}]", d.severity.as_str(), d.rule)?;
    w.reset()?;
    writeln!(w, ": {}{}", marker(d, unsafe_fixes), d.message)
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn summary<W: WriteColor>(report: &Report, w: &mut W) -> io::Result<()> {
    if !report.diagnostics.is_empty() {
        let by_rule = counts_by_rule(&report.diagnostics);
        let width = by_rule.values().max().map_or(1, |n| n.to_string().len());
        for (rule, n) in &by_rule {
            writeln!(w, "{n:>width$}  {rule}")?;
        }
    }
    if let Some(n) = report.fixed.filter(|&n| n > 0) {
        w.set_color(ColorSpec::new().set_bold(true))?;
        write!(w, "Fixed {}", plural(n, "problem"))?;
        w.reset()?;
        writeln!(w)?;
    }
    found_line(report, w)?;
    fixable_line(report, w)
}

/// How many findings `--fix` would fix, and how many more with `--unsafe-fixes` (ruff's
/// wording).
fn fixable_line<W: WriteColor>(report: &Report, w: &mut W) -> io::Result<()> {
    let fixes = report.diagnostics.iter().filter_map(|d| d.fix.as_ref());
    let (mut ready, mut hidden) = (0, 0);
    for f in fixes {
        if crate::fix::applies(f, report.unsafe_fixes) {
            ready += 1;
        } else {
            hidden += 1;
        }
    }
    let hint = match hidden {
        0 => String::new(),
        1 => "1 hidden fix can be enabled with the `--unsafe-fixes` option".to_string(),
        n => format!("{n} hidden fixes can be enabled with the `--unsafe-fixes` option"),
    };
    match (ready, hidden) {
        (0, 0) => Ok(()),
        (0, _) => writeln!(w, "No fixes available ({hint})."),
        (n, 0) => writeln!(w, "[*] {n} fixable with the `--fix` option."),
        (n, _) => writeln!(w, "[*] {n} fixable with the `--fix` option ({hint})."),
    }
}

/// The last line: what was found, in how many files, how many were checked.
fn found_line<W: WriteColor>(report: &Report, w: &mut W) -> io::Result<()> {
    let checked = plural(report.files_checked, "file");
    if report.files_checked == 0 && report.diagnostics.is_empty() {
        w.set_color(ColorSpec::new().set_fg(Some(Color::Yellow)).set_bold(true))?;
        write!(w, "No files checked")?;
        w.reset()?;
        let see = if report.notices.is_empty() {
            ""
        } else if report.notices.len() == 1 {
            " (see the warning above)"
        } else {
            " (see the warnings above)"
        };
        return writeln!(w, ": {}{see}", nothing_checked(report));
    }
    if report.diagnostics.is_empty() {
        w.set_color(ColorSpec::new().set_fg(Some(Color::Green)).set_bold(true))?;
        write!(w, "No problems found")?;
        w.reset()?;
        return writeln!(w, " (checked {checked})");
    }
    let mut files: Vec<&Path> = report
        .diagnostics
        .iter()
        .map(|d| d.path.as_path())
        .collect();
    files.sort_unstable();
    files.dedup();
    w.set_color(ColorSpec::new().set_bold(true))?;
    write!(
        w,
        "Found {} in {}",
        plural(report.diagnostics.len(), "problem"),
        plural(files.len(), "file")
    )?;
    w.reset()?;
    writeln!(w, " (checked {checked})")
}

/// Why a run checked no file, for the summary and for stderr.
pub fn nothing_checked(report: &Report) -> String {
    if report.notices.is_empty() {
        let known: Vec<String> = crate::lang::EXTENSIONS
            .iter()
            .map(|e| format!(".{e}"))
            .collect();
        format!(
            "nothing to check under the given paths (backlint checks {} and the manifests {}; \
             excluded and git-ignored files are skipped)",
            known.join(" "),
            crate::manifest::NAMES
        )
    } else {
        let mut paths: Vec<String> = report
            .notices
            .iter()
            .take(3)
            .map(|n| slash_path(&n.path))
            .collect();
        if report.notices.len() > 3 {
            paths.push("...".into());
        }
        format!(
            "{} not checked ({})",
            plural(report.notices.len(), "file"),
            paths.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::diagnostic::Label;
    use crate::report::Notice;

    fn diag(file: &SourceFile, rule: &'static str, needle: &str) -> Diagnostic {
        let s = file.text.find(needle).unwrap();
        let span = Span::new(s, s + needle.len());
        Diagnostic {
            rule,
            severity: Severity::Warning,
            path: file.path.clone(),
            span,
            start: file.position(span.start),
            end: file.position(span.end),
            message: format!("`{needle}` runs once per `user` in this loop"),
            help: Some("prefetch the orders before the loop".into()),
            labels: Vec::new(),
            flow: Vec::new(),
            fingerprint: String::new(),
            line_hash: String::new(),
            secret: None,
            condition: None,
            fix: None,
        }
    }

    fn render_plain(report: &Report) -> String {
        let mut out = Vec::new();
        render(report, false, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn full_report() {
        let text = "for user in users:\n    orders = Order.objects.filter(user=user)\n";
        let file = SourceFile::new("app/views.py", text.to_string());
        let mut d = diag(&file, "n-plus-one-query", "Order.objects.filter");
        let lp = text.find("for").unwrap();
        d.labels.push(Label {
            path: None,
            span: Span::new(lp, lp + 18),
            start: file.position(lp as u32),
            end: file.position(lp as u32 + 18),
            message: "loop".into(),
        });
        d.labels.push(Label {
            path: Some("services/orders.py".into()),
            span: Span::new(0, 1),
            start: crate::source::Position {
                line: 12,
                column: 5,
                column_utf16: 5,
            },
            end: crate::source::Position {
                line: 12,
                column: 9,
                column_utf16: 9,
            },
            message: "query".into(),
        });
        let us = text.find("user=user").unwrap();
        for (span, message) in [
            (d.span, "queried here"),
            (Span::new(us, us + 9), "filtered by"),
        ] {
            d.flow.push(Label {
                path: None,
                span,
                start: file.position(span.start),
                end: file.position(span.end),
                message: message.into(),
            });
        }
        let mut missing = d.clone();
        missing.path = "lib/other.py".into();
        missing.rule = "sql-injection";
        missing.severity = Severity::Error;
        let report = Report {
            diagnostics: vec![d, missing],
            sources: HashMap::from([(file.path.clone(), Arc::new(file))]),
            notices: vec![Notice {
                path: "blob.py".into(),
                message: "not UTF-8; skipped".into(),
            }],
            files_checked: 3,
            ..Report::default()
        };
        let out = render_plain(&report);
        assert!(!out.contains('\x1b'), "no colour codes: {out}");
        for want in [
            "warning[n-plus-one-query]: `Order.objects.filter` runs once per `user` in this loop",
            "┌─ app/views.py:2:14",
            "^^^^^^^^^^^^^^^^^^^^",
            "------------------ loop",
            "--------- (2) filtered by",
            "= note: query in services/orders.py:12:5",
            "= help: prefetch the orders before the loop",
            "= see: backlint explain n-plus-one-query",
            "lib/other.py:2:14: error[sql-injection]: `Order.objects.filter` runs once",
            "warning: blob.py: not UTF-8; skipped",
            "1  n-plus-one-query\n1  sql-injection\n",
            "Found 2 problems in 2 files (checked 3 files)",
        ] {
            assert!(out.contains(want), "missing {want:?} in:\n{out}");
        }
    }

    #[test]
    fn fixable_findings_are_marked() {
        let text = "import requests\nrequests.get(url)\n";
        let file = SourceFile::new("app/client.py", text.to_string());
        let mut d = diag(&file, "missing-timeout", "requests.get(url)");
        d.fix = Some(crate::diagnostic::Fix::unsafe_(
            "Add `timeout=10`",
            vec![crate::diagnostic::Edit::insert(32, ", timeout=10")],
        ));
        let mut safe = diag(&file, "unused-suppression", "import requests");
        safe.fix = Some(crate::diagnostic::Fix::safe(
            "Remove the unused suppression",
            vec![crate::diagnostic::Edit::delete(Span::new(0, 1))],
        ));
        let mut report = Report {
            diagnostics: vec![safe, d],
            sources: HashMap::from([(file.path.clone(), Arc::new(file))]),
            files_checked: 1,
            ..Report::default()
        };
        let concise = |r: &Report| {
            let mut out = Vec::new();
            render_styled(
                r,
                Style {
                    concise: true,
                    quiet: false,
                },
                false,
                &mut out,
            )
            .unwrap();
            String::from_utf8(out).unwrap()
        };
        let out = concise(&report);
        assert!(
            out.contains("app/client.py:1:1: unused-suppression [*] `import requests`"),
            "{out}"
        );
        assert!(
            out.contains("app/client.py:2:1: missing-timeout `requests.get(url)`"),
            "{out}"
        );
        assert!(
            out.ends_with("[*] 1 fixable with the `--fix` option (1 hidden fix can be enabled with the `--unsafe-fixes` option).\n"),
            "{out}"
        );
        let full = render_plain(&report);
        assert!(full.contains("= fix (unsafe): Add `timeout=10`"), "{full}");
        assert!(
            full.contains("= fix: Remove the unused suppression"),
            "{full}"
        );
        report.unsafe_fixes = true;
        report.fixed = Some(3);
        let out = concise(&report);
        assert!(
            out.contains("2:1: missing-timeout [*] `requests.get(url)`"),
            "{out}"
        );
        assert!(out.contains("Fixed 3 problems\n"), "{out}");
        assert!(
            out.ends_with("[*] 2 fixable with the `--fix` option.\n"),
            "{out}"
        );
        report.diagnostics.remove(0);
        report.unsafe_fixes = false;
        let out = concise(&report);
        assert!(
            out.ends_with("No fixes available (1 hidden fix can be enabled with the `--unsafe-fixes` option).\n"),
            "{out}"
        );
    }

    #[test]
    fn clean_run_and_colour() {
        let report = Report {
            files_checked: 1,
            ..Report::default()
        };
        assert_eq!(
            render_plain(&report),
            "No problems found (checked 1 file)\n"
        );
        let mut out = Vec::new();
        render(&report, true, &mut out).unwrap();
        assert!(String::from_utf8(out).unwrap().contains("\x1b["));
    }
}
