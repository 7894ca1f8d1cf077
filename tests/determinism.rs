//! The same tree gives byte-identical JSON and SARIF reports whatever the number of worker
//! threads, on the demo and on a generated tree of a few hundred files in every language.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The runs compared, one flag set a line: each is one run of every format, and all must print
/// the same bytes as the first.
const RUNS: &[&[&str]] = &[
    &["--jobs", "1"],
    &["--jobs", "2"],
    &["--jobs", "2"], // again: thread scheduling differs from run to run
];

const FORMATS: &[&str] = &["json", "sarif"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The report of `backlint check .` in `dir`.
fn report(dir: &Path, format: &str, flags: &[&str]) -> Vec<u8> {
    let out = Command::cargo_bin("backlint")
        .unwrap()
        .current_dir(dir)
        .args(["check", ".", "--format", format])
        .args(flags)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "backlint {flags:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs every flag set in `dir` and compares each report with the first run's.
fn assert_same_everywhere(dir: &Path, min_findings: usize) {
    for format in FORMATS {
        let first = report(dir, format, RUNS[0]);
        if *format == "json" {
            let v: serde_json::Value = serde_json::from_slice(&first).unwrap();
            let n = v["diagnostics"].as_array().unwrap().len();
            assert!(n >= min_findings, "only {n} findings in {}", dir.display());
        }
        for flags in &RUNS[1..] {
            let other = report(dir, format, flags);
            if other != first {
                let (a, b) = (
                    String::from_utf8_lossy(&first),
                    String::from_utf8_lossy(&other),
                );
                let line = a.lines().zip(b.lines()).position(|(x, y)| x != y);
                panic!(
                    "{format} report differs between {:?} and {flags:?} in {} at line {line:?}:\n{:?}\n{:?}",
                    RUNS[0],
                    dir.display(),
                    line.and_then(|l| a.lines().nth(l)),
                    line.and_then(|l| b.lines().nth(l)),
                );
            }
        }
    }
}

#[test]
fn demo_reports_are_the_same_at_any_jobs() {
    assert_same_everywhere(&root().join("fixtures/demo"), 5);
}

/// Every file under `dir`, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A tree of a few hundred files in every language (and manifests), copied from the fixtures
/// under varied names and folders: same-named files in different folders, the same content
/// under several names, services next to tests, so the cross-file steps see many candidates.
fn generated_tree(dest: &Path) -> usize {
    let fixtures = root().join("fixtures");
    let dirs = [
        "api",
        "services/billing",
        "app/views",
        "workers",
        "tests",
        "lib/util",
    ];
    let mut n = 0;
    for (i, src) in files(&fixtures).iter().enumerate() {
        if i % 3 != 0 && !src.starts_with(fixtures.join("demo")) {
            continue;
        }
        let name = src.file_name().unwrap().to_string_lossy().into_owned();
        let manifest = backlint::manifest::Kind::from_path(src).is_some();
        let (stem, ext) = match name.rsplit_once('.') {
            Some((s, e)) if !manifest => (s.to_string(), format!(".{e}")),
            _ => (name.clone(), String::new()),
        };
        let dir = format!("pkg{}/{}", i % 4, dirs[i % dirs.len()]);
        let targets = if manifest {
            vec![format!("{dir}/{name}")]
        } else if i % 5 == 0 {
            // the same file under its own name in two places, and renamed
            vec![
                format!("{dir}/{name}"),
                format!("pkg{}/{name}", (i + 1) % 4),
                format!("{dir}/{stem}_{i}{ext}"),
            ]
        } else {
            vec![format!("{dir}/{stem}_{i}{ext}")]
        };
        for t in targets {
            let to = dest.join(t);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(src, &to).unwrap();
            n += 1;
        }
    }
    n
}

#[test]
fn generated_tree_reports_are_the_same_at_any_jobs() {
    let dir = tempfile::tempdir().unwrap();
    let n = generated_tree(dir.path());
    assert!(n >= 300, "{n} files");
    let exts: Vec<String> = files(dir.path())
        .iter()
        .filter_map(|p| Some(p.extension()?.to_string_lossy().into_owned()))
        .collect();
    for ext in ["py", "ts", "tsx", "js", "rs", "json", "toml", "txt"] {
        assert!(exts.iter().any(|e| e == ext), "no .{ext} file");
    }
    assert_same_everywhere(dir.path(), 100);
}
