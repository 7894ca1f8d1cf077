//! The pure parts of the language server: findings as LSP diagnostics (a fix travels in the
//! diagnostic's `data`), the suppression edit, text edits of a document.

use std::path::Path;
use std::str::FromStr;

use lsp_types::{
    CodeDescription, DiagnosticRelatedInformation, DiagnosticSeverity, DiagnosticTag, Location,
    NumberOrString, Position, Range, TextEdit, Uri,
};

use crate::diagnostic::{Applicability, Diagnostic, Fix, Label, Severity};
use crate::source;

/// What `source` says on every diagnostic the server publishes.
pub const SOURCE: &str = "backlint";

/// A finding as an LSP diagnostic of the document `uri`. `root` is the project root that
/// paths of labels in other files are relative to.
pub fn diagnostic(d: &Diagnostic, uri: &Uri, root: &Path) -> lsp_types::Diagnostic {
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    let related: Vec<DiagnosticRelatedInformation> = d
        .labels
        .iter()
        .chain(&d.flow)
        .filter_map(|l| related(l, uri, root))
        .collect();
    let mut tags = Vec::new();
    if d.rule == crate::suppress::UNUSED {
        tags.push(DiagnosticTag::UNNECESSARY);
    }
    if d.rule == crate::rules::deprecated_dependency::ID {
        tags.push(DiagnosticTag::DEPRECATED);
    }
    lsp_types::Diagnostic {
        range: range(d.start, d.end),
        severity: Some(severity(d.severity)),
        code: Some(NumberOrString::String(d.rule.to_string())),
        code_description: crate::registry::docs_url(d.rule)
            .and_then(|u| Uri::from_str(&u).ok())
            .map(|href| CodeDescription { href }),
        source: Some(SOURCE.to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: (!tags.is_empty()).then_some(tags),
        data: d.fix.as_ref().map(fix_data),
    }
}

/// A finding's fix as the code action applies it: its edits in LSP ranges (UTF-16 columns).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FixData {
    pub title: String,
    pub safe: bool,
    pub edits: Vec<TextEdit>,
}

/// The `data` of a diagnostic with a fix: `{"fix": {title, safe, edits}}`.
pub fn fix_data(fix: &Fix) -> serde_json::Value {
    let data = FixData {
        title: fix.title.clone(),
        safe: fix.applicability == Applicability::Safe,
        edits: fix
            .edits
            .iter()
            .map(|e| TextEdit {
                range: range(e.start, e.end),
                new_text: e.replacement.clone(),
            })
            .collect(),
    };
    serde_json::json!({ "fix": data })
}

/// The fix a published diagnostic carries, if any.
pub fn fix_of(d: &lsp_types::Diagnostic) -> Option<FixData> {
    serde_json::from_value(d.data.as_ref()?.get("fix")?.clone()).ok()
}

pub fn severity(s: Severity) -> DiagnosticSeverity {
    match s {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Info => DiagnosticSeverity::INFORMATION,
    }
}

/// 1-based positions (UTF-16 columns, LSP's default encoding) to an LSP range.
pub fn range(start: source::Position, end: source::Position) -> Range {
    let pos = |p: source::Position| Position {
        line: p.line.saturating_sub(1),
        character: p.column_utf16.saturating_sub(1),
    };
    let (start, end) = (pos(start), pos(end));
    Range {
        start,
        end: end.max(start),
    }
}

fn related(l: &Label, uri: &Uri, root: &Path) -> Option<DiagnosticRelatedInformation> {
    let uri = match &l.path {
        None => uri.clone(),
        Some(p) => Uri::from_str(&crate::paths::file_url(&root.join(p))).ok()?,
    };
    Some(DiagnosticRelatedInformation {
        location: Location {
            uri,
            range: range(l.start, l.end),
        },
        message: if l.message.is_empty() {
            "related".to_string()
        } else {
            l.message.clone()
        },
    })
}

/// The line comment of a file's language: `#` for Python, TOML and requirements files, `//`
/// for TypeScript, JavaScript and Rust; `None` where there are no comments (JSON).
pub fn comment_of(path: &Path) -> Option<&'static str> {
    if let Some(d) = crate::lang::Dialect::from_path(path) {
        return Some(match d.lang() {
            crate::ast::Lang::Python => "#",
            _ => "//",
        });
    }
    crate::manifest::Kind::from_path(path)
        .filter(|k| k.has_comments())
        .map(|_| "#")
}

/// The edit that suppresses `rule` on 0-based `line` of `text`: a
/// `backlint: ignore[rule] <reason>` comment on a new line above it, indented as it is.
pub fn suppression_edit(text: &str, path: &Path, line: u32, rule: &str) -> Option<TextEdit> {
    let comment = comment_of(path)?;
    let this = text.split('\n').nth(line as usize)?;
    let indent: String = this
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    let newline = if this.ends_with('\r') { "\r\n" } else { "\n" };
    let at = Position { line, character: 0 };
    Some(TextEdit {
        range: Range { start: at, end: at },
        new_text: format!("{indent}{comment} backlint: ignore[{rule}] {REASON}{newline}"),
    })
}

/// Left for the user to replace with why the finding does not apply.
pub const REASON: &str = "<reason>";

/// Applies an LSP content change (whole text, or a range in UTF-16 columns) to `text`.
pub fn apply_change(text: &mut String, range: Option<Range>, new: &str) {
    match range {
        None => *text = new.to_string(),
        Some(r) => {
            let start = offset(text, r.start);
            let end = offset(text, r.end).max(start);
            text.replace_range(start..end, new);
        }
    }
}

/// The byte offset of an LSP position (UTF-16 column); past the end of a line or of the text
/// it is clamped.
pub fn offset(text: &str, p: Position) -> usize {
    let mut start = 0;
    for _ in 0..p.line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let line = &text[start..];
    let line = &line[..line.find('\n').unwrap_or(line.len())];
    let mut units = 0;
    for (i, c) in line.char_indices() {
        if units >= p.character as usize {
            return start + i;
        }
        units += c.len_utf16();
    }
    start + line.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn pos(line: u32, column: u32) -> source::Position {
        source::Position {
            line,
            column,
            column_utf16: column,
        }
    }

    fn finding() -> Diagnostic {
        Diagnostic {
            rule: "n-plus-one-query",
            severity: Severity::Warning,
            path: PathBuf::from("/p/app/views.py"),
            span: Default::default(),
            start: pos(3, 9),
            end: pos(3, 20),
            message: "`get_orders` runs a query once per `user` in this loop".into(),
            help: Some("load the orders once before the loop".into()),
            labels: vec![
                Label {
                    path: None,
                    span: Default::default(),
                    start: pos(2, 5),
                    end: pos(2, 25),
                    message: "the loop".into(),
                },
                Label {
                    path: Some(PathBuf::from("app/helpers.py")),
                    span: Default::default(),
                    start: pos(4, 12),
                    end: pos(4, 30),
                    message: "`get_orders` runs `Order.objects.filter` here".into(),
                },
            ],
            flow: vec![Label {
                path: None,
                span: Default::default(),
                start: pos(1, 1),
                end: pos(1, 4),
                message: "read here".into(),
            }],
            fingerprint: String::new(),
            line_hash: String::new(),
            secret: None,
            condition: None,
            fix: None,
        }
    }

    #[test]
    fn findings_become_lsp_diagnostics() {
        let uri = Uri::from_str("file:///p/app/views.py").unwrap();
        let d = diagnostic(&finding(), &uri, Path::new("/p"));
        assert_eq!(
            d.code,
            Some(NumberOrString::String("n-plus-one-query".into()))
        );
        assert_eq!(d.source.as_deref(), Some("backlint"));
        assert_eq!(d.severity, Some(DiagnosticSeverity::WARNING));
        assert_eq!(
            d.range,
            Range {
                start: Position {
                    line: 2,
                    character: 8
                },
                end: Position {
                    line: 2,
                    character: 19
                }
            }
        );
        assert_eq!(
            d.message,
            "`get_orders` runs a query once per `user` in this loop\nhelp: load the orders once before the loop"
        );
        let href = d.code_description.unwrap().href;
        assert!(
            href.as_str().starts_with("file:///")
                && href.as_str().ends_with("/rules/n-plus-one-query.md"),
            "{}",
            href.as_str()
        );
        let related = d.related_information.unwrap();
        let shown: Vec<(&str, u32, &str)> = related
            .iter()
            .map(|r| {
                (
                    r.location.uri.as_str(),
                    r.location.range.start.line,
                    r.message.as_str(),
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                ("file:///p/app/views.py", 1, "the loop"),
                (
                    "file:///p/app/helpers.py",
                    3,
                    "`get_orders` runs `Order.objects.filter` here"
                ),
                ("file:///p/app/views.py", 0, "read here"),
            ]
        );
        assert_eq!(d.tags, None);
    }

    #[test]
    fn severities_and_tags() {
        let uri = Uri::from_str("file:///p/a.py").unwrap();
        let mut f = finding();
        f.rule = crate::suppress::UNUSED;
        f.severity = Severity::Info;
        let d = diagnostic(&f, &uri, Path::new("/p"));
        assert_eq!(d.severity, Some(DiagnosticSeverity::INFORMATION));
        assert_eq!(d.tags, Some(vec![DiagnosticTag::UNNECESSARY]));
        f.rule = "deprecated-dependency";
        f.severity = Severity::Error;
        let d = diagnostic(&f, &uri, Path::new("/p"));
        assert_eq!(d.severity, Some(DiagnosticSeverity::ERROR));
        assert_eq!(d.tags, Some(vec![DiagnosticTag::DEPRECATED]));
    }

    #[test]
    fn suppression_comments_per_language() {
        let cases = [
            (
                "app/views.py",
                "def f():\n    for u in users:\n        q(u)\n",
                2,
                "        # backlint: ignore[n-plus-one-query] <reason>\n",
            ),
            (
                "src/api.ts",
                "app.get('/x', async () => {\n\tawait fetch(url);\n});\n",
                1,
                "\t// backlint: ignore[n-plus-one-query] <reason>\n",
            ),
            (
                "src/main.rs",
                "fn main() {\r\n    run();\r\n}\r\n",
                1,
                "    // backlint: ignore[n-plus-one-query] <reason>\r\n",
            ),
            (
                "requirements.txt",
                "nose==1.3.7\n",
                0,
                "# backlint: ignore[n-plus-one-query] <reason>\n",
            ),
        ];
        for (path, text, line, want) in cases {
            let edit = suppression_edit(text, Path::new(path), line, "n-plus-one-query").unwrap();
            assert_eq!(edit.new_text, want, "{path}");
            assert_eq!(edit.range.start, Position { line, character: 0 });
            assert_eq!(edit.range.end, edit.range.start);
            // the comment parses as a suppression of the rule, with a reason
            let mut t = text.to_string();
            apply_change(&mut t, Some(edit.range), &edit.new_text);
            assert!(t.contains(want), "{path}: {t}");
        }
        assert!(suppression_edit("{}", Path::new("package.json"), 0, "x").is_none());
        assert!(suppression_edit("a\n", Path::new("notes.txt"), 0, "x").is_none());
        assert!(suppression_edit("a\n", Path::new("a.py"), 5, "x").is_none());
    }

    /// A fix goes through `data` in UTF-16 ranges: applied as the client would, it gives the
    /// engine's fixed text, and the finding is gone.
    #[test]
    fn fixes_travel_in_data_with_utf16_ranges() {
        let text = "import requests\n\ndef f(url):\n    s = \"hé𝄞\"; requests.get(url)\n";
        let path = Path::new("/p/app/client.py");
        let options = crate::engine::Options::default();
        let report = crate::engine::lint_source(path, text, &options);
        let [d] = report.diagnostics.as_slice() else {
            panic!("{:?}", report.diagnostics)
        };
        let uri = Uri::from_str("file:///p/app/client.py").unwrap();
        let lsp = diagnostic(d, &uri, Path::new("/p"));
        let fix = fix_of(&lsp).expect("a fix in data");
        assert_eq!(fix.title, "Add `timeout=10`");
        assert!(!fix.safe);
        let [edit] = fix.edits.as_slice() else {
            panic!("{fix:?}")
        };
        // `é` is one UTF-16 unit, `𝄞` two: `    s = "hé𝄞"; requests.get(url` is 32 units
        assert_eq!(
            edit.range.start,
            Position {
                line: 3,
                character: 32
            }
        );
        let mut fixed = text.to_string();
        apply_change(&mut fixed, Some(edit.range), &edit.new_text);
        assert!(fixed.contains("requests.get(url, timeout=10)"), "{fixed}");
        assert!(crate::engine::lint_source(path, &fixed, &options)
            .diagnostics
            .is_empty());
        // no fix, no data
        let mut plain = d.clone();
        plain.fix = None;
        assert_eq!(diagnostic(&plain, &uri, Path::new("/p")).data, None);
    }

    #[test]
    fn incremental_changes() {
        let mut t = "héllo\n𝄞x\nend".to_string();
        let at = |line, character| Position { line, character };
        // `𝄞` is two UTF-16 units
        apply_change(
            &mut t,
            Some(Range {
                start: at(1, 2),
                end: at(1, 3),
            }),
            "y",
        );
        assert_eq!(t, "héllo\n𝄞y\nend");
        apply_change(
            &mut t,
            Some(Range {
                start: at(0, 1),
                end: at(1, 0),
            }),
            "",
        );
        assert_eq!(t, "h𝄞y\nend");
        // past the end is clamped
        apply_change(
            &mut t,
            Some(Range {
                start: at(9, 0),
                end: at(9, 4),
            }),
            "!",
        );
        assert_eq!(t, "h𝄞y\nend!");
        apply_change(&mut t, None, "new");
        assert_eq!(t, "new");
    }
}
