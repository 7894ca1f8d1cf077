//! `--baseline FILE`: report only findings absent from an earlier backlint JSON report or SARIF
//! log.
//!
//! A finding matches a baseline entry with the same rule id, fingerprint and file; line numbers
//! play no part, so findings survive edits above them. Matching is count-aware: every baseline
//! entry absorbs at most one finding, so a second copy of a baselined finding is reported.
//!
//! Paths: JSON reports hold paths relative to the directory backlint ran in, SARIF logs paths
//! relative to the repository root. A path matches exactly first; entries left over then match
//! findings whose path ends with theirs, or the other way round, at a `/` boundary, so a baseline
//! taken from another directory of the same repository still applies.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context};
use serde_json::Value;

use crate::diagnostic::Diagnostic;
use crate::report::json::{slash_path, SCHEMA_VERSION};
use crate::report::sarif::{percent_decode, FINGERPRINT_KEY};

/// The findings of an earlier run, as a multiset of (rule, path, fingerprint).
#[derive(Debug, Default)]
pub struct Baseline {
    /// (rule, fingerprint) -> the path of each entry with that key.
    entries: HashMap<(String, String), Vec<String>>,
    len: usize,
    skipped: usize,
}

impl Baseline {
    /// Number of entries findings can match.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Entries ignored because they lack a rule, path or backlint fingerprint (SARIF from
    /// another tool, or hand-edited files).
    pub fn skipped(&self) -> usize {
        self.skipped
    }

    fn add(&mut self, rule: Option<&str>, path: Option<String>, fingerprint: Option<&str>) {
        match (rule, path, fingerprint) {
            (Some(rule), Some(path), Some(fp)) if !rule.is_empty() && !fp.is_empty() => {
                self.entries
                    .entry((rule.to_string(), fp.to_string()))
                    .or_default()
                    .push(normalize(&path).to_string());
                self.len += 1;
            }
            _ => self.skipped += 1,
        }
    }
}

/// Reads a baseline file: a backlint JSON report (`--format json`) or a SARIF log.
pub fn load(path: &Path) -> anyhow::Result<Baseline> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read baseline {}", path.display()))?;
    parse(&text).with_context(|| format!("invalid baseline {}", path.display()))
}

/// Parses the text of a baseline file (see [`load`]).
pub fn parse(text: &str) -> anyhow::Result<Baseline> {
    let doc: Value = serde_json::from_str(text.trim_start_matches('\u{feff}'))
        .context("not JSON: expected a backlint JSON report or a SARIF log")?;
    let mut baseline = Baseline::default();
    if let Some(runs) = doc.get("runs").and_then(Value::as_array) {
        for result in runs
            .iter()
            .filter_map(|r| r.get("results")?.as_array())
            .flatten()
        {
            let rule = result
                .get("ruleId")
                .or_else(|| result.pointer("/rule/id"))
                .and_then(Value::as_str);
            let uri = result
                .pointer("/locations/0/physicalLocation/artifactLocation/uri")
                .and_then(Value::as_str)
                .map(|u| percent_decode(u.strip_prefix("file://").unwrap_or(u)));
            let fp = result
                .get("fingerprints")
                .and_then(|f| f.get(FINGERPRINT_KEY))
                .and_then(Value::as_str);
            baseline.add(rule, uri, fp);
        }
    } else if let Some(diags) = doc.get("diagnostics").and_then(Value::as_array) {
        if let Some(v) = doc.get("version").and_then(Value::as_u64) {
            if v > u64::from(SCHEMA_VERSION) {
                bail!("JSON report version {v} is newer than this backlint understands");
            }
        }
        for d in diags {
            let rule = d.get("rule").and_then(Value::as_str);
            let path = d.get("path").and_then(Value::as_str).map(str::to_string);
            let fp = d.get("fingerprint").and_then(Value::as_str);
            baseline.add(rule, path, fp);
        }
    } else {
        bail!("neither a backlint JSON report (no `diagnostics`) nor a SARIF log (no `runs`)");
    }
    Ok(baseline)
}

/// Keeps the findings that are not in the baseline, in their order.
pub fn filter(diags: Vec<Diagnostic>, baseline: &Baseline) -> Vec<Diagnostic> {
    let mut left = baseline.entries.clone();
    let paths: Vec<String> = diags
        .iter()
        .map(|d| normalize(&slash_path(&d.path)).to_string())
        .collect();
    let mut known = vec![false; diags.len()];
    // Exact paths first, so a looser match never takes an entry an exact one needs.
    let passes: [fn(&str, &str) -> bool; 2] = [|a, b| a == b, same_file];
    for matches in passes {
        for (i, d) in diags.iter().enumerate() {
            if known[i] || d.fingerprint.is_empty() {
                continue;
            }
            let Some(entries) = left.get_mut(&(d.rule.to_string(), d.fingerprint.clone())) else {
                continue;
            };
            if let Some(j) = entries.iter().position(|p| matches(p, &paths[i])) {
                entries.remove(j);
                known[i] = true;
            }
        }
    }
    diags
        .into_iter()
        .zip(known)
        .filter(|(_, k)| !k)
        .map(|(d, _)| d)
        .collect()
}

fn normalize(path: &str) -> &str {
    let mut p = path;
    while let Some(rest) = p.strip_prefix("./") {
        p = rest;
    }
    p
}

/// One path is the other with leading directories added.
fn same_file(a: &str, b: &str) -> bool {
    let longer_ends_with = |long: &str, short: &str| {
        long.len() > short.len()
            && long.ends_with(short)
            && long.as_bytes()[long.len() - short.len() - 1] == b'/'
    };
    a == b || longer_ends_with(a, b) || longer_ends_with(b, a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Severity;
    use crate::report::Report;
    use crate::source::{Position, Span};

    fn diag(rule: &'static str, path: &str, line: u32, fingerprint: &str) -> Diagnostic {
        let pos = Position {
            line,
            column: 1,
            column_utf16: 1,
        };
        Diagnostic {
            rule,
            severity: Severity::Error,
            path: path.into(),
            span: Span::new(0, 1),
            start: pos,
            end: pos,
            message: "m".into(),
            help: None,
            labels: Vec::new(),
            flow: Vec::new(),
            fingerprint: fingerprint.into(),
            line_hash: String::new(),
            secret: None,
            condition: None,
            fix: None,
        }
    }

    fn json_of(diags: Vec<Diagnostic>) -> String {
        let report = Report {
            diagnostics: diags,
            ..Report::default()
        };
        let mut out = Vec::new();
        crate::report::json::render(&report, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn sarif_of(diags: Vec<Diagnostic>, root: &Path) -> String {
        let report = Report {
            diagnostics: diags,
            uri_root: root.into(),
            ..Report::default()
        };
        let mut out = Vec::new();
        crate::report::sarif::render(&report, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn rules(diags: &[Diagnostic]) -> Vec<(&str, u32)> {
        diags.iter().map(|d| (d.rule, d.start.line)).collect()
    }

    #[test]
    fn json_baseline_ignores_line_numbers() {
        let old = vec![
            diag("sql-injection", "app/a.py", 3, "f1"),
            diag("x", "app/b.py", 9, "f2"),
        ];
        let baseline = parse(&json_of(old)).unwrap();
        assert_eq!((baseline.len(), baseline.skipped()), (2, 0));
        let new = vec![
            diag("sql-injection", "app/a.py", 30, "f1"), // moved: still known
            diag("sql-injection", "app/a.py", 31, "f3"), // new line text
            diag("x", "app/c.py", 9, "f2"),              // same text, other file
            diag("y", "app/b.py", 9, "f2"),              // other rule
        ];
        assert_eq!(
            rules(&filter(new, &baseline)),
            [("sql-injection", 31), ("x", 9), ("y", 9)]
        );
    }

    #[test]
    fn sarif_baseline() {
        let cwd = std::env::current_dir().unwrap();
        let old = vec![diag("sql-injection", "src/my app/é.py", 3, "f1")];
        let text = sarif_of(old, &cwd);
        assert!(text.contains("src/my%20app/%C3%A9.py"));
        let baseline = parse(&text).unwrap();
        assert_eq!(baseline.len(), 1);
        let new = vec![
            diag("sql-injection", "src/my app/é.py", 7, "f1"),
            diag("sql-injection", "src/my app/é.py", 8, "f9"),
        ];
        assert_eq!(rules(&filter(new, &baseline)), [("sql-injection", 8)]);
    }

    #[test]
    fn count_aware() {
        let old = vec![diag("r", "a.py", 1, "same")];
        let baseline = parse(&json_of(old)).unwrap();
        let new = vec![diag("r", "a.py", 1, "same"), diag("r", "a.py", 2, "same")];
        assert_eq!(rules(&filter(new, &baseline)), [("r", 2)]);

        let two = parse(&json_of(vec![
            diag("r", "a.py", 1, "same"),
            diag("r", "a.py", 5, "same"),
        ]))
        .unwrap();
        let new = vec![diag("r", "a.py", 1, "same"), diag("r", "a.py", 2, "same")];
        assert!(filter(new, &two).is_empty());
    }

    #[test]
    fn paths_from_another_directory() {
        // SARIF URIs are repository-relative; the run may be made from a subdirectory.
        let baseline = parse(
            r#"{"runs": [{"results": [
                {"ruleId": "r", "fingerprints": {"backlint/v1": "f"},
                 "locations": [{"physicalLocation": {"artifactLocation": {"uri": "svc/app/a.py"}}}]},
                {"ruleId": "r", "fingerprints": {"backlint/v1": "f"},
                 "locations": [{"physicalLocation": {"artifactLocation": {"uri": "other/a.py"}}}]},
                {"ruleId": "r", "locations": []}
            ]}]}"#,
        )
        .unwrap();
        assert_eq!((baseline.len(), baseline.skipped()), (2, 1));
        // The exact match takes `other/a.py` first; `app/a.py` then takes `svc/app/a.py`.
        let new = vec![
            diag("r", "app/a.py", 1, "f"),
            diag("r", "./other/a.py", 1, "f"),
        ];
        assert!(filter(new, &baseline).is_empty());
        let new = vec![diag("r", "pp/a.py", 1, "f")];
        assert_eq!(filter(new, &baseline).len(), 1, "only at a '/' boundary");
    }

    #[test]
    fn no_fingerprint_never_matches_and_bad_files_fail() {
        let baseline = parse(&json_of(vec![diag("r", "a.py", 1, "")])).unwrap();
        assert_eq!((baseline.len(), baseline.skipped()), (0, 1));
        assert_eq!(filter(vec![diag("r", "a.py", 1, "")], &baseline).len(), 1);
        assert!(parse("not json").is_err());
        assert!(parse("{}").is_err());
        assert!(parse(r#"{"version": 2, "diagnostics": []}"#).is_err());
        assert!(load(Path::new("/nonexistent/baseline.json")).is_err());
    }
}
