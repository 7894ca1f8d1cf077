//! The fixture runner: every `expect: rule-id` annotation in `fixtures/<rule>/<lang>/` must be
//! reported on the line below it, and nothing unannotated may be reported (RULES.md).
//!
//! Each `fixtures/<rule>/<lang>/` folder is linted as one project (so cross-file cases work),
//! after copying it to a temporary folder with `{{fake:KIND}}` placeholders replaced by
//! generated credential-shaped values: no real-looking secret is committed.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use backlint::knowledge::secrets::fake_secret;
use backlint::{lint_paths, Options};

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Replaces `{{fake:KIND}}` with generated values (seed = occurrence index in the file).
pub fn expand(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut n = 0u64;
    while let Some(i) = rest.find("{{fake:") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 7..];
        let Some(end) = after.find("}}") else { break };
        out.push_str(&fake_secret(&after[..end], n));
        n += 1;
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

fn copy_expanded(src: &Path, dst: &Path) {
    for entry in std::fs::read_dir(src).unwrap() {
        let entry = entry.unwrap();
        let p = entry.path();
        let d = dst.join(entry.file_name());
        if p.is_dir() {
            std::fs::create_dir_all(&d).unwrap();
            copy_expanded(&p, &d);
        } else {
            let text = std::fs::read_to_string(&p).unwrap();
            std::fs::write(&d, expand(&text)).unwrap();
        }
    }
}

/// (relative path, line, rule) for every `expect:` annotation.
fn expectations(root: &Path, dir: &Path, out: &mut BTreeSet<(String, u32, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            expectations(root, &p, out);
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        let rel = p
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let t = line.trim_start();
            let body = t.strip_prefix('#').or_else(|| t.strip_prefix("//"));
            let Some(body) = body.map(str::trim_start) else {
                continue;
            };
            let Some(ids) = body.strip_prefix("expect:") else {
                continue;
            };
            // the annotated line: the next line that is not itself an annotation
            let mut target = i + 1;
            while target < lines.len() && is_annotation(lines[target]) {
                target += 1;
            }
            for id in ids.split(',') {
                let id = id.split_whitespace().next().unwrap_or("");
                if !id.is_empty() {
                    out.insert((rel.clone(), target as u32 + 1, id.to_string()));
                }
            }
        }
    }
}

fn is_annotation(line: &str) -> bool {
    let t = line.trim_start();
    let body = t
        .strip_prefix('#')
        .or_else(|| t.strip_prefix("//"))
        .map(str::trim_start);
    body.is_some_and(|b| b.starts_with("expect:") || b.starts_with("ok:"))
}

/// Lints one fixture folder and returns a description of every mismatch.
fn check_dir(dir: &Path) -> Vec<String> {
    let tmp = tempfile::tempdir().unwrap();
    copy_expanded(dir, tmp.path());
    let mut expected = BTreeSet::new();
    // read annotations after expansion: a multi-line fake (a PEM block) shifts lines
    expectations(tmp.path(), tmp.path(), &mut expected);
    let report = lint_paths(&[tmp.path().to_path_buf()], &Options::default());
    let mut problems = Vec::new();
    for n in &report.notices {
        problems.push(format!("notice: {}: {}", n.path.display(), n.message));
    }
    let mut matched = BTreeSet::new();
    for d in &report.diagnostics {
        let rel = d
            .path
            .strip_prefix(tmp.path())
            .unwrap_or(&d.path)
            .to_string_lossy()
            .replace('\\', "/");
        let hit = expected.iter().find(|(p, line, rule)| {
            *p == rel && rule == d.rule && (d.start.line..=d.end.line).contains(line)
        });
        match hit {
            Some(e) => {
                matched.insert(e.clone());
            }
            None => problems.push(format!(
                "unexpected {} at {}:{}:{}: {}",
                d.rule, rel, d.start.line, d.start.column, d.message
            )),
        }
    }
    for e in expected.difference(&matched) {
        problems.push(format!("missing {} at {}:{}", e.2, e.0, e.1));
    }
    problems
}

#[test]
fn fixtures_match_annotations() {
    let root = fixtures_root();
    let mut report = String::new();
    let mut dirs = 0;
    let mut rules: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    rules.sort();
    for rule_dir in rules {
        if !rule_dir.is_dir() || rule_dir.file_name().is_some_and(|n| n == "demo") {
            continue;
        }
        let mut langs: Vec<_> = std::fs::read_dir(&rule_dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        langs.sort();
        for lang_dir in langs.into_iter().filter(|p| p.is_dir()) {
            dirs += 1;
            for p in check_dir(&lang_dir) {
                let _ = writeln!(
                    report,
                    "{}: {p}",
                    lang_dir.strip_prefix(&root).unwrap().display()
                );
            }
        }
    }
    assert!(dirs > 0, "no fixture folders found");
    assert!(report.is_empty(), "fixture mismatches:\n{report}");
}

#[test]
fn expansion_replaces_every_placeholder() {
    let s = expand("a = \"{{fake:github-token}}\"\nb = \"{{fake:password}}\"\n");
    assert!(!s.contains("{{fake:"));
    assert!(s.contains("ghp_"));
}
