//! The SARIF reporter's output passes the shared validator (OASIS schema + GitHub ingestion
//! rules), with and without findings, and with fixes.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use backlint::diagnostic::{Diagnostic, Label, Severity};
use backlint::registry;
use backlint::report::line_hash::line_hashes;
use backlint::report::{sarif, Notice, Report};
use backlint::source::{SourceFile, Span};
use serde_json::Value;

const VIEWS: &str = "\
def show(request, cursor):
    greeting = \"h\u{e9}llo \u{1f600}\"; cursor.execute(f\"SELECT * FROM t WHERE name = '{greeting}'\")
    for user in users:
        orders(user)
";

fn diagnostic(
    file: &SourceFile,
    rule: &'static str,
    needle: &str,
    severity: Severity,
) -> Diagnostic {
    let start = file.text.find(needle).expect("needle in text");
    let span = Span::new(start, start + needle.len());
    let begin = file.position(span.start);
    Diagnostic {
        rule,
        severity,
        path: file.path.clone(),
        span,
        start: begin,
        end: file.position(span.end),
        message: format!("`{needle}` is reported"),
        help: Some("do something else".into()),
        labels: Vec::new(),
        flow: Vec::new(),
        fingerprint: format!("{rule}:{needle}"),
        line_hash: line_hashes(&file.text)[begin.line as usize - 1].clone(),
        secret: None,
        condition: None,
        fix: None,
    }
}

fn report() -> Report {
    let file = SourceFile::new("app/views.py", VIEWS.to_string());
    let mut sql = diagnostic(&file, "sql-injection", "cursor.execute", Severity::Error);
    let mut n1 = diagnostic(&file, "n-plus-one-query", "orders(user)", Severity::Warning);
    let loop_at = file.text.find("for user").unwrap();
    let loop_span = Span::new(loop_at, loop_at + 17);
    n1.labels = vec![
        Label {
            path: None,
            span: loop_span,
            start: file.position(loop_span.start),
            end: file.position(loop_span.end),
            message: "loop".into(),
        },
        Label {
            path: Some("services/orders.py".into()),
            span: Span::new(10, 30),
            start: backlint::source::Position {
                line: 12,
                column: 5,
                column_utf16: 5,
            },
            end: backlint::source::Position {
                line: 12,
                column: 25,
                column_utf16: 25,
            },
            message: "query".into(),
        },
    ];
    sql.labels.push(Label {
        path: None,
        span: Span::new(0, 3),
        start: file.position(0),
        end: file.position(3),
        message: String::new(),
    });
    // the value's path: read at `greeting = ...`, used at the execute call
    let read = file.text.find("greeting").unwrap();
    let used = file.text.find("{greeting}").unwrap();
    for (at, len, message) in [
        (read, 8, "assigned to `greeting`"),
        (used, 10, "put into SQL here"),
    ] {
        let span = Span::new(at, at + len);
        sql.flow.push(Label {
            path: None,
            span,
            start: file.position(span.start),
            end: file.position(span.end),
            message: message.into(),
        });
    }
    let info = diagnostic(&file, "unused-suppression", "def show", Severity::Info);
    Report {
        diagnostics: vec![info, sql, n1],
        sources: HashMap::from([(file.path.clone(), Arc::new(file))]),
        notices: vec![Notice {
            path: "assets/blob.py".into(),
            message: "not UTF-8; skipped".into(),
        }],
        files_checked: 3,
        lines_checked: 10,
        uri_root: PathBuf::from(env!("CARGO_MANIFEST_DIR")),
        category: Some("backlint".into()),
        roles: Vec::new(),
        cache: Default::default(),
        fixed: None,
        unsafe_fixes: false,
    }
}

/// Renders the report to a temporary file and runs the shared validator on it.
fn render_and_validate(report: &Report) -> Value {
    let mut bytes = Vec::new();
    sarif::render(report, &mut bytes).expect("render SARIF");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("backlint.sarif");
    std::fs::write(&path, &bytes).unwrap();
    let validator = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/validate-sarif");
    let out = Command::new(&validator)
        .arg(&path)
        .output()
        .expect("run validate-sarif");
    assert!(
        out.status.success(),
        "validate-sarif failed ({}):\n{}{}\n--- SARIF ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&bytes)
    );
    serde_json::from_slice(&bytes).unwrap()
}

#[test]
fn findings_validate() {
    let report = report();
    let log = render_and_validate(&report);
    let run = &log["runs"][0];
    assert_eq!(log["version"], "2.1.0");
    assert!(log["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    assert_eq!(run["columnKind"], "utf16CodeUnits");
    assert_eq!(run["automationDetails"]["id"], "backlint/");

    // Every registered rule, then descriptors for ids the registry does not know.
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for (i, meta) in registry::RULES.iter().enumerate() {
        assert_eq!(rules[i]["id"], meta.id);
        assert_eq!(rules[i]["shortDescription"]["text"], meta.summary);
        let tags = rules[i]["properties"]["tags"].as_array().unwrap();
        assert_eq!(tags[0], meta.category);
        assert!(tags.len() <= 10);
        if let Some(score) = meta.security_severity {
            assert_eq!(
                rules[i]["properties"]["security-severity"],
                format!("{score:.1}")
            );
        }
    }
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    for r in run["results"].as_array().unwrap() {
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(ids[idx], r["ruleId"].as_str().unwrap());
    }

    // Columns in UTF-16 units: "é" is one unit, the emoji two.
    let sql = &run["results"][1];
    assert_eq!(sql["ruleId"], "sql-injection");
    assert_eq!(sql["level"], "error");
    let loc = &sql["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "app/views.py");
    assert!(loc["artifactLocation"].get("uriBaseId").is_none());
    let line = VIEWS.lines().nth(1).unwrap();
    let prefix = &line[..line.find("cursor.execute").unwrap()];
    let col16 = prefix.encode_utf16().count() as u64 + 1;
    assert_eq!(loc["region"]["startLine"], 2);
    assert_eq!(loc["region"]["startColumn"], col16);
    assert_eq!(
        loc["region"]["endColumn"],
        col16 + "cursor.execute".len() as u64
    );
    assert_ne!(col16, prefix.chars().count() as u64 + 1);
    assert_eq!(
        sql["partialFingerprints"]["primaryLocationLineHash"],
        line_hashes(VIEWS)[1]
    );
    assert_eq!(
        sql["fingerprints"]["backlint/v1"],
        "sql-injection:cursor.execute"
    );

    // the value's path is one thread flow, source first
    let steps = sql["codeFlows"][0]["threadFlows"][0]["locations"]
        .as_array()
        .unwrap();
    assert_eq!(steps.len(), 2);
    assert_eq!(
        steps[0]["location"]["message"]["text"],
        "assigned to `greeting`"
    );
    assert_eq!(
        steps[1]["location"]["physicalLocation"]["region"]["startLine"],
        2
    );
    assert!(run["results"][2].get("codeFlows").is_none());

    let n1 = &run["results"][2];
    assert_eq!(n1["level"], "warning");
    let related = n1["relatedLocations"].as_array().unwrap();
    assert_eq!(related[0]["id"], 1);
    assert_eq!(related[0]["message"]["text"], "loop");
    assert_eq!(related[1]["id"], 2);
    assert_eq!(
        related[1]["physicalLocation"]["artifactLocation"]["uri"],
        "services/orders.py"
    );
    assert_eq!(run["results"][0]["level"], "note");

    let notes = &run["invocations"][0]["toolExecutionNotifications"];
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
    assert_eq!(notes[0]["level"], "warning");
    assert_eq!(notes[0]["message"]["text"], "not UTF-8; skipped");
    assert_eq!(
        notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "assets/blob.py"
    );
}

#[test]
fn empty_report_validates() {
    let report = Report {
        files_checked: 5,
        uri_root: PathBuf::from(env!("CARGO_MANIFEST_DIR")),
        ..Report::default()
    };
    let log = render_and_validate(&report);
    assert_eq!(log["runs"][0]["results"], serde_json::json!([]));
    assert_eq!(
        log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .len(),
        registry::RULES.len()
    );
    assert!(log["runs"][0].get("automationDetails").is_none());
}

#[test]
fn too_many_results_is_an_error() {
    let mut report = report();
    let one = report.diagnostics[1].clone();
    report.diagnostics = vec![one; sarif::MAX_RESULTS + 1];
    let mut out = Vec::new();
    let err = sarif::render(&report, &mut out).unwrap_err().to_string();
    assert!(err.contains("25001 results"), "{err}");
    assert!(err.contains("at most 25,000"), "{err}");
    assert!(out.is_empty());
}

/// The byte offset of a SARIF position (1-based line, 1-based UTF-16 column).
fn offset(text: &str, line: i64, column: i64) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line as usize - 1)
        .map(str::len)
        .sum();
    let mut units = 0;
    for (i, c) in text[start..].char_indices() {
        if units >= column - 1 || c == '\n' {
            return start + i;
        }
        units += c.len_utf16() as i64;
    }
    text.len()
}

/// Findings with fixes (an insertion after non-ASCII text, an `await` with an import) give a
/// valid log whose `fixes` replacements, applied, make the engine's fixed text.
#[test]
fn fixes_validate_and_apply() {
    let src = "import time\nimport requests\n\nasync def poll(url):\n    s = \"h\u{e9}\u{1f600}\"; time.sleep(1)\n    return requests.get(url, timeout=5)\n\ndef get(url):\n    # backlint: ignore[sql-injection] reviewed\n    return requests.get(url)\n";
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let path = root.join("app/poll.py");
    let mut report = backlint::lint_source(&path, src, &backlint::Options::default());
    report.uri_root = root.to_path_buf();
    let with_fix = report
        .diagnostics
        .iter()
        .filter(|d| d.fix.is_some())
        .count();
    assert_eq!(with_fix, 3, "{:?}", report.diagnostics);
    let log = render_and_validate(&report);
    let results = log["runs"][0]["results"].as_array().unwrap();
    let mut seen = 0;
    for (r, d) in results.iter().zip(&report.diagnostics) {
        let Some(fix) = &d.fix else {
            assert!(r.get("fixes").is_none());
            continue;
        };
        seen += 1;
        let f = &r["fixes"][0];
        assert_eq!(f["description"]["text"], fix.title.as_str());
        assert_eq!(f["properties"]["applicability"], fix.applicability.as_str());
        let [change] = f["artifactChanges"].as_array().unwrap().as_slice() else {
            panic!("{f}")
        };
        assert_eq!(change["artifactLocation"]["uri"], "app/poll.py");
        let mut text = src.to_string();
        let replacements = change["replacements"].as_array().unwrap();
        for rep in replacements.iter().rev() {
            let g = &rep["deletedRegion"];
            let at = |l: &str, c: &str| offset(src, g[l].as_i64().unwrap(), g[c].as_i64().unwrap());
            let (start, end) = (at("startLine", "startColumn"), at("endLine", "endColumn"));
            text.replace_range(start..end, rep["insertedContent"]["text"].as_str().unwrap());
        }
        let (engine, _) = backlint::fix::apply(src, &[fix]);
        assert_eq!(text, engine, "{}", fix.title);
    }
    assert_eq!(seen, 3);
}
