//! The results cache of `backlint check`: a warm run reports exactly what a cold one does, an
//! edit re-checks only the edited file while cross-file findings follow it, and a broken,
//! foreign or missing cache is never trusted.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use tempfile::TempDir;

const CACHE: &str = ".backlint_cache";

fn backlint(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("backlint").unwrap();
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("BACKLINT_CACHE_DIR");
    cmd
}

fn run(dir: &Path, args: &[&str]) -> Output {
    let out = backlint(dir).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "backlint panicked:\n{stderr}");
    assert!(
        out.status.code().is_some_and(|c| c < 2),
        "exit {:?}:\n{stderr}",
        out.status.code()
    );
    out
}

/// The report on stdout of `check` with these arguments.
fn report(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["check", "--exit-zero"];
    all.extend_from_slice(args);
    String::from_utf8(run(dir, &all).stdout).unwrap()
}

/// (files checked, files from the cache) of a `check --verbose` run, and its report.
fn counted(dir: &Path, args: &[&str]) -> ((usize, usize), String) {
    let mut all = vec!["check", "--exit-zero", "--verbose", "--format", "json"];
    all.extend_from_slice(args);
    let out = run(dir, &all);
    let stderr = String::from_utf8(out.stderr).unwrap();
    let line = stderr
        .lines()
        .find(|l| l.contains("from the cache"))
        .unwrap_or_else(|| panic!("no cache line in:\n{stderr}"));
    let nums: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect();
    ((nums[0], nums[1]), String::from_utf8(out.stdout).unwrap())
}

fn rules_in(json: &str) -> Vec<(String, String)> {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_string(),
                d["path"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

fn fixture_copy(rel: &str) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join(rel),
        &dir.path().join("project"),
    );
    dir
}

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// Every shard file of the cache under `dir`.
fn shards(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else if e.path().extension().is_some_and(|x| x == "bin") {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

/// A project whose findings depend on other files, with a suppression, an unused one and a
/// secret (masked in every report).
fn cross_file_project() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "app/models.py",
        "from django.db import models\n\n\nclass Order(models.Model):\n    total = models.IntegerField()\n",
    );
    write(root, "app/services.py", QUERYING_HELPER);
    write(
        root,
        "app/views.py",
        "from app.services import order_total\n\n\ndef report(request):\n    out = []\n    for i in request.GET.getlist(\"ids\"):\n        out.append(order_total(i))\n    return out\n",
    );
    let secret = backlint::knowledge::secrets::fake_secret("stripe-live-key", 3);
    write(
        root,
        "app/settings.py",
        &format!(
            "STRIPE_KEY = \"{secret}\"\n# backlint: ignore[sql-injection] nothing to suppress here\nDEBUG = False\n\n\ndef run(cursor, name):\n    # backlint: ignore[sql-injection] the name is checked by the caller\n    cursor.execute(f\"SELECT * FROM t WHERE name = '{{name}}'\")\n"
        ),
    );
    // files that are not checked, with a notice: unparseable, binary
    write(root, "tools/broken.rs", "fn main( {\n    let x = 1;\n}\n");
    std::fs::write(root.join("app/blob.py"), b"\x00\x01binary").unwrap();
    dir
}

const QUERYING_HELPER: &str = "from app.models import Order\n\n\ndef order_total(order_id):\n    return Order.objects.get(pk=order_id).total\n";

#[test]
fn warm_runs_report_what_cold_runs_do() {
    let demo = fixture_copy("fixtures/demo");
    let n1 = fixture_copy("fixtures/n-plus-one-query/python");
    let cross = cross_file_project();
    for root in [
        demo.path().join("project"),
        n1.path().join("project"),
        cross.path().to_path_buf(),
    ] {
        let formats = [
            vec!["--format", "json"],
            vec!["--format", "sarif"],
            vec!["--format", "text"],
        ];
        let cold: Vec<String> = formats
            .iter()
            .map(|f| report(&root, &[&f[..], &["--no-cache"]].concat()))
            .collect();
        assert!(!root.join(CACHE).exists(), "--no-cache wrote a cache");
        assert!(
            cold[0].contains("\"rule\""),
            "no findings in {}",
            root.display()
        );
        // the run that writes the cache, then runs that read it, with one and two threads
        let ((checked, cached), _) = counted(&root, &[]);
        assert!(checked > 0 && cached == 0, "{checked} {cached}");
        for jobs in ["1", "2"] {
            for (f, expected) in formats.iter().zip(&cold) {
                let warm = report(&root, &[&f[..], &["--jobs", jobs]].concat());
                assert_eq!(&warm, expected, "{} {f:?} --jobs {jobs}", root.display());
                let no_cache = report(&root, &[&f[..], &["--jobs", jobs, "--no-cache"]].concat());
                assert_eq!(
                    &no_cache,
                    expected,
                    "{} {f:?} --jobs {jobs}",
                    root.display()
                );
            }
        }
        let ((checked, cached), _) = counted(&root, &[]);
        assert!(
            checked == 0 && cached > 0,
            "{}: a warm run checked {checked} files again",
            root.display()
        );
    }
    // the secret is masked in the text report read back from the cache
    let text = report(cross.path(), &["--format", "text"]);
    let secret = backlint::knowledge::secrets::fake_secret("stripe-live-key", 3);
    assert!(text.contains("hardcoded-secret") && !text.contains(&secret));
}

#[test]
fn every_fixture_reads_back_from_the_cache() {
    // every rule, language and kind of fact and condition goes through the cache
    let dir = fixture_copy("fixtures");
    let root = dir.path().join("project");
    let cold = report(&root, &["--format", "json", "--no-cache"]);
    let ((checked, cached), first) = counted(&root, &[]);
    assert!(checked > 500 && cached == 0, "{checked} {cached}");
    let ((rechecked, cached), warm) = counted(&root, &[]);
    assert_eq!((rechecked, cached), (0, checked));
    assert_eq!(first, cold);
    assert_eq!(warm, cold);
}

#[test]
fn an_edit_rechecks_that_file_and_cross_file_findings_follow_it() {
    let dir = cross_file_project();
    let root = dir.path();
    let n1 = ("n-plus-one-query".to_string(), "app/views.py".to_string());
    let ((checked, _), json) = counted(root, &[]);
    assert_eq!(checked, 6);
    assert!(rules_in(&json).contains(&n1));

    // the helper no longer queries: the finding in the unchanged caller goes
    write(
        root,
        "app/services.py",
        "def order_total(order_id):\n    return 0\n",
    );
    let ((checked, cached), json) = counted(root, &[]);
    assert_eq!((checked, cached), (1, 5));
    assert!(!rules_in(&json).contains(&n1), "{json}");
    assert_eq!(json, report(root, &["--format", "json", "--no-cache"]));

    // and comes back with the query
    write(root, "app/services.py", QUERYING_HELPER);
    let ((checked, cached), json) = counted(root, &[]);
    assert_eq!((checked, cached), (1, 5));
    assert!(rules_in(&json).contains(&n1));

    // an edit of the caller itself
    let views = root.join("app/views.py");
    let text = std::fs::read_to_string(&views).unwrap();
    std::fs::write(&views, text.replace("order_total(i)", "i")).unwrap();
    let ((checked, cached), json) = counted(root, &[]);
    assert_eq!((checked, cached), (1, 5));
    assert!(!rules_in(&json).contains(&n1));
}

#[test]
fn an_app_wide_limiter_in_another_file_is_resolved_each_run() {
    let dir = fixture_copy("fixtures/missing-rate-limit/typescript-app-wide");
    let root = dir.path().join("project");
    let limits = |json: &str| {
        rules_in(json)
            .iter()
            .filter(|(r, _)| r == "missing-rate-limit")
            .count()
    };
    let ((checked, _), json) = counted(&root, &[]);
    assert_eq!((checked, limits(&json)), (2, 1));
    // without the app-wide guard the controller's login route is unlimited too
    let module = root.join("src/app.module.ts");
    let text = std::fs::read_to_string(&module).unwrap();
    let without: String = text
        .lines()
        .filter(|l| !l.contains("APP_GUARD, useClass"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&module, without).unwrap();
    let ((checked, cached), json) = counted(&root, &[]);
    assert_eq!((checked, cached, limits(&json)), (1, 1, 2));
    std::fs::write(&module, text).unwrap();
    let ((checked, cached), json) = counted(&root, &[]);
    assert_eq!((checked, cached, limits(&json)), (1, 1, 1));
}

#[test]
fn a_new_manifest_that_changes_a_files_role_rechecks_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "web/api.ts",
        "import express from \"express\";\nconst router = express.Router();\nrouter.get(\"/u\", async (req, res) => {\n  res.json(await db.query(`SELECT * FROM users WHERE name = '${req.query.name}'`));\n});\n",
    );
    let ((_, _), json) = counted(root, &[]);
    assert!(rules_in(&json).iter().any(|(r, _)| r == "sql-injection"));
    // a UI package: the file is client code now, where the rule does not report
    write(
        root,
        "web/package.json",
        "{\"dependencies\": {\"react\": \"18.0.0\"}}",
    );
    let ((checked, _), json) = counted(root, &[]);
    assert_eq!(checked, 2);
    assert!(!rules_in(&json).iter().any(|(r, _)| r == "sql-injection"));
    assert_eq!(json, report(root, &["--format", "json", "--no-cache"]));
}

#[test]
fn a_broken_cache_is_ignored_and_rewritten() {
    let dir = cross_file_project();
    let root = dir.path();
    let cold = report(root, &["--format", "json", "--no-cache"]);
    counted(root, &[]);
    let files = shards(&root.join(CACHE));
    assert!(files.len() >= 3, "{files:?}");
    let good = std::fs::read(&files[0]).unwrap();
    std::fs::write(&files[0], &good[..good.len() / 2]).unwrap();
    let mut flipped = std::fs::read(&files[1]).unwrap();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x55;
    std::fs::write(&files[1], flipped).unwrap();
    std::fs::write(&files[2], b"not a cache at all").unwrap();
    let ((checked, _), json) = counted(root, &[]);
    assert!(checked >= 3, "{checked}");
    assert_eq!(json, cold);
    // rewritten
    let ((checked, _), json) = counted(root, &[]);
    assert_eq!(checked, 0);
    assert_eq!(json, cold);
    // another build's or format's shard at the same place is not read
    for f in shards(&root.join(CACHE)) {
        let mut bytes = std::fs::read(&f).unwrap();
        bytes[8] ^= 0xff;
        std::fs::write(&f, bytes).unwrap();
    }
    let ((checked, _), json) = counted(root, &[]);
    assert_eq!(checked, 6);
    assert_eq!(json, cold);
}

#[test]
fn no_cache_and_stdin_write_nothing() {
    let dir = cross_file_project();
    let root = dir.path();
    report(root, &["--no-cache"]);
    let out = backlint(root)
        .args(["check", "--stdin-filename", "app/x.py", "--exit-zero"])
        .write_stdin("x = 1\n")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!root.join(CACHE).exists());
    report(root, &[]);
    assert!(root.join(CACHE).join("CACHEDIR.TAG").exists());
    let ignore = std::fs::read_to_string(root.join(CACHE).join(".gitignore")).unwrap();
    assert!(ignore.lines().any(|l| l == "*"));
}

#[test]
fn the_cache_directory_is_configurable_and_clean_removes_it() {
    let dir = cross_file_project();
    let root = dir.path();
    report(root, &[]);
    assert!(root.join(CACHE).exists());
    let out = run(root, &["clean"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("removed"));
    assert!(!root.join(CACHE).exists());

    // from the environment
    let elsewhere = tempfile::tempdir().unwrap();
    let env_dir = elsewhere.path().join("ci-cache");
    let out = backlint(root)
        .env("BACKLINT_CACHE_DIR", &env_dir)
        .args(["check", "--exit-zero"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!shards(&env_dir).is_empty() && !root.join(CACHE).exists());
    backlint(root)
        .env("BACKLINT_CACHE_DIR", &env_dir)
        .arg("clean")
        .assert()
        .success();
    assert!(!env_dir.exists());

    // from the configuration, relative to its file; clean finds it from a subdirectory
    write(root, "backlint.toml", "cache-dir = \"build/lint-cache\"\n");
    report(root, &[]);
    assert!(!shards(&root.join("build/lint-cache")).is_empty());
    run(&root.join("app"), &["clean"]);
    assert!(!root.join("build/lint-cache").exists());

    // a directory that is not a cache is never removed
    write(root, "keep/data.txt", "precious");
    backlint(root)
        .args(["clean", "--cache-dir", "keep"])
        .assert()
        .code(2);
    assert!(root.join("keep/data.txt").exists());
}

#[test]
fn configuration_that_changes_findings_invalidates_filters_do_not() {
    let dir = cross_file_project();
    let root = dir.path();
    write(root, "backlint.toml", "severity = \"info\"\n");
    let ((checked, _), _) = counted(root, &[]);
    assert_eq!(checked, 6);
    // a filter applied after the analysis: read from the cache, applied all the same
    write(root, "backlint.toml", "severity = \"error\"\n");
    let ((checked, _), json) = counted(root, &[]);
    assert_eq!(checked, 0);
    assert_eq!(json, report(root, &["--format", "json", "--no-cache"]));
    assert!(!rules_in(&json).iter().any(|(r, _)| r == "n-plus-one-query"));
    // what the analysis reads: checked again
    write(
        root,
        "backlint.toml",
        "[knowledge]\nquery-methods = [\"fetch_rows\"]\n",
    );
    let ((checked, _), _) = counted(root, &[]);
    assert_eq!(checked, 6);
    let ((checked, _), _) = counted(root, &["--select", "n-plus-one-query"]);
    assert_eq!(checked, 6);
    let ((checked, _), json) = counted(root, &["--select", "n-plus-one-query"]);
    assert_eq!(checked, 0);
    assert_eq!(
        rules_in(&json),
        [("n-plus-one-query".to_string(), "app/views.py".to_string())]
    );
}

#[test]
fn two_runs_can_share_the_cache_at_once() {
    let dir = fixture_copy("fixtures/n-plus-one-query/python");
    let root = dir.path().join("project");
    let cold = report(&root, &["--format", "json", "--no-cache"]);
    let spawn = || {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("backlint"))
            .current_dir(&root)
            .env_remove("BACKLINT_CACHE_DIR")
            .args(["check", "--format", "json", "--exit-zero"])
            .output()
            .unwrap()
    };
    std::thread::scope(|s| {
        let a = s.spawn(spawn);
        let b = s.spawn(spawn);
        for out in [a.join().unwrap(), b.join().unwrap()] {
            assert_eq!(String::from_utf8(out.stdout).unwrap(), cold);
        }
    });
    let ((checked, _), json) = counted(&root, &[]);
    assert_eq!(checked, 0);
    assert_eq!(json, cold);
}
