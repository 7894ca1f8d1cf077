//! A file gets the same findings however backlint is called: in a run over its whole project,
//! named alone on the command line (pre-commit), and as an editor's unsaved text against the
//! project's facts (the language server, `--stdin-filename`). Checked on every fixture project
//! and on the demo.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use backlint::engine::{lint_in_project, lint_paths, Options, ProjectFacts};
use backlint::report::Report;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The projects: each rule's folder per language, and the demo.
fn projects() -> Vec<PathBuf> {
    let mut out = vec![fixtures().join("demo")];
    for rule in std::fs::read_dir(fixtures()).unwrap() {
        let rule = rule.unwrap().path();
        if rule.ends_with("demo") || !rule.is_dir() {
            continue;
        }
        for lang in std::fs::read_dir(&rule).unwrap() {
            let lang = lang.unwrap().path();
            if lang.is_dir() {
                out.push(lang);
            }
        }
    }
    out.sort();
    out
}

fn copy_tree(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// Findings by project-relative file: (line, column, rule, message).
type Findings = BTreeMap<String, Vec<(u32, u32, &'static str, String)>>;

fn by_file(report: &Report, root: &Path) -> Findings {
    let mut out = Findings::new();
    for d in &report.diagnostics {
        let path = d.path.strip_prefix(root).unwrap_or(&d.path);
        out.entry(path.to_string_lossy().replace('\\', "/"))
            .or_default()
            .push((d.start.line, d.start.column, d.rule, d.message.clone()));
    }
    out
}

#[test]
fn a_file_gets_the_same_findings_however_it_is_checked() {
    let mut compared = 0;
    let mut differences = Vec::new();
    for project in projects() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        copy_tree(&project, &root);
        // a repository marks the project a named file belongs to
        std::fs::create_dir_all(root.join(".git")).unwrap();
        let options = Options {
            jobs: 1,
            ..Options::default()
        };
        let whole = by_file(&lint_paths(std::slice::from_ref(&root), &options), &root);
        let mut facts = ProjectFacts::collect(std::slice::from_ref(&root), &options);
        let (files, _) =
            backlint::discover::discover(std::slice::from_ref(&root), &Default::default());
        let name = project
            .strip_prefix(fixtures())
            .unwrap()
            .display()
            .to_string();
        for file in files {
            let rel = file
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let expected = whole.get(&rel).cloned().unwrap_or_default();
            let named = by_file(&lint_paths(std::slice::from_ref(&file), &options), &root)
                .remove(&rel)
                .unwrap_or_default();
            let text = std::fs::read_to_string(&file).unwrap();
            let editor_options = Options {
                root: Some(root.clone()),
                ..options.clone()
            };
            let (report, _) = lint_in_project(&file, &text, &editor_options, &mut facts);
            let editor = by_file(&report, &root).remove(&rel).unwrap_or_default();
            for (how, got) in [("named alone", &named), ("as editor text", &editor)] {
                if *got != expected {
                    differences.push(format!(
                        "{name}/{rel} {how}:\n  project run: {expected:?}\n  {how}: {got:?}"
                    ));
                }
            }
            compared += 1;
        }
    }
    assert!(compared > 500, "only {compared} files compared");
    assert!(
        differences.is_empty(),
        "{} of {compared} files differ:\n{}",
        differences.len(),
        differences.join("\n")
    );
}
