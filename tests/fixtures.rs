//! The fixture runner: every `expect: rule-id` annotation in `fixtures/<rule>/<lang>/` must be
//! reported on the line below it, and nothing unannotated may be reported (RULES.md).
//!
//! Each fixture file is its own test, named by its path (`cargo test --test fixtures --
//! n-plus-one-query/python/` runs one folder). Each `fixtures/<rule>/<lang>/` folder is linted
//! as one project (so cross-file cases work), once, after copying it to a temporary folder with
//! `{{fake:KIND}}` placeholders replaced by generated credential-shaped values: no real-looking
//! secret is committed. JSON files, which have no comments, carry annotations as `"//"` entries
//! (`"//": "expect: deprecated-dependency",` on the line above).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use libtest_mimic::{Arguments, Failed, Trial};

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
            let Some(body) = annotation_text(line) else {
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
    annotation_text(line).is_some_and(|b| b.starts_with("expect:") || b.starts_with("ok:"))
}

/// The text of a comment line (`# ..`, `// ..`), or of a JSON comment entry
/// (`"//": "expect: rule-id",`): JSON manifests have no comments, and npm ignores `"//"` keys.
fn annotation_text(line: &str) -> Option<&str> {
    let t = line.trim_start();
    if let Some(rest) = t.strip_prefix("\"//\"") {
        let value = rest
            .trim_start()
            .strip_prefix(':')?
            .trim_start()
            .strip_prefix('"')?;
        return Some(
            value
                .trim_end()
                .trim_end_matches(',')
                .trim_end_matches('"')
                .trim_start(),
        );
    }
    t.strip_prefix('#')
        .or_else(|| t.strip_prefix("//"))
        .map(str::trim_start)
}

/// Lints one fixture folder; returns every mismatch by file (relative to the folder).
fn check_dir(dir: &Path) -> BTreeMap<String, Vec<String>> {
    let tmp = tempfile::tempdir().unwrap();
    copy_expanded(dir, tmp.path());
    let mut expected = BTreeSet::new();
    // read annotations after expansion: a multi-line fake (a PEM block) shifts lines
    expectations(tmp.path(), tmp.path(), &mut expected);
    let report = lint_paths(&[tmp.path().to_path_buf()], &Options::default());
    let rel = |p: &Path| {
        p.strip_prefix(tmp.path())
            .unwrap_or(p)
            .to_string_lossy()
            .replace('\\', "/")
    };
    let mut problems: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for n in &report.notices {
        problems
            .entry(rel(&n.path))
            .or_default()
            .push(format!("notice: {}", n.message));
    }
    let mut matched = BTreeSet::new();
    for d in &report.diagnostics {
        let rel = rel(&d.path);
        let hit = expected.iter().find(|(p, line, rule)| {
            *p == rel && rule == d.rule && (d.start.line..=d.end.line).contains(line)
        });
        match hit {
            Some(e) => {
                matched.insert(e.clone());
            }
            None => problems.entry(rel.clone()).or_default().push(format!(
                "unexpected {} at {}:{}:{}: {}",
                d.rule, rel, d.start.line, d.start.column, d.message
            )),
        }
    }
    for e in expected.difference(&matched) {
        problems
            .entry(e.0.clone())
            .or_default()
            .push(format!("missing {} at {}:{}", e.2, e.0, e.1));
    }
    problems
}

/// The files of a folder, relative to it, sorted.
fn files(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(root, &p, out);
        } else {
            let rel = p.strip_prefix(root).unwrap().to_string_lossy();
            out.push(rel.replace('\\', "/"));
        }
    }
}

type FolderResult = Arc<OnceLock<BTreeMap<String, Vec<String>>>>;

fn main() {
    let args = Arguments::from_args();
    let root = fixtures_root();
    // one lint per folder, shared by the tests of its files
    let folders: Arc<Mutex<HashMap<PathBuf, FolderResult>>> = Arc::default();
    let mut trials = Vec::new();
    let mut rules: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    rules.sort();
    for rule_dir in rules {
        if !rule_dir.is_dir() || rule_dir.file_name().is_some_and(|n| n == "demo") {
            continue;
        }
        let mut langs: Vec<PathBuf> = std::fs::read_dir(&rule_dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        langs.sort();
        for lang_dir in langs.into_iter().filter(|p| p.is_dir()) {
            let mut names = Vec::new();
            files(&lang_dir, &lang_dir, &mut names);
            let folder = lang_dir.strip_prefix(&root).unwrap().to_string_lossy();
            let folder = folder.replace('\\', "/");
            for name in names {
                let folders = Arc::clone(&folders);
                let dir = lang_dir.clone();
                let file = name.clone();
                trials.push(Trial::test(format!("{folder}/{name}"), move || {
                    let result = {
                        let mut map = folders.lock().unwrap();
                        Arc::clone(map.entry(dir.clone()).or_default())
                    };
                    let problems = result.get_or_init(|| check_dir(&dir));
                    match problems.get(&file) {
                        None => Ok(()),
                        Some(p) => Err(Failed::from(p.join("\n"))),
                    }
                }));
            }
            // a mismatch in a file the walk did not list (it cannot happen; keep it visible)
            let folders = Arc::clone(&folders);
            let dir = lang_dir.clone();
            trials.push(Trial::test(format!("{folder}/(folder)"), move || {
                let result = {
                    let mut map = folders.lock().unwrap();
                    Arc::clone(map.entry(dir.clone()).or_default())
                };
                let problems = result.get_or_init(|| check_dir(&dir));
                let mut listed = Vec::new();
                files(&dir, &dir, &mut listed);
                let stray: Vec<String> = problems
                    .iter()
                    .filter(|(f, _)| !listed.contains(f))
                    .flat_map(|(_, p)| p.iter().cloned())
                    .collect();
                if stray.is_empty() {
                    Ok(())
                } else {
                    Err(Failed::from(stray.join("\n")))
                }
            }));
        }
    }
    assert!(!trials.is_empty(), "no fixture folders found");
    trials.push(Trial::test("expansion_replaces_every_placeholder", || {
        let s = expand("a = \"{{fake:github-token}}\"\nb = \"{{fake:password}}\"\n");
        if s.contains("{{fake:") || !s.contains("ghp_") {
            return Err(Failed::from(format!("not expanded: {s}")));
        }
        Ok(())
    }));
    libtest_mimic::run(&args, trials).exit();
}
