//! `.pre-commit-hooks.yaml` driven by the real pre-commit (installed by
//! `scripts/ensure-pre-commit.sh`): a temporary git repository uses a snapshot of this checkout
//! as its hook repository; the hook fails on files with findings and passes once they are fixed.
//!
//! pre-commit's `language: rust` runs `cargo install --path .` in its clone of the hook
//! repository, a release build. To keep it short, cargo's build directory
//! (`CARGO_BUILD_BUILD_DIR`) is this test's own target directory, so the release build of the
//! dependencies is reused (the installed binary itself goes to a temporary `CARGO_TARGET_DIR`,
//! not over the one the other tests run), and a `cargo` wrapper adds two options to
//! `cargo install`: `--locked` (without it, cargo ignores Cargo.lock and builds the newest
//! release of every dependency) and `opt-level=0` for backlint itself, which is compiled again
//! in any case as the clone's files are new (about 15 s of CPU instead of 80). pre-commit's
//! cache goes to a temporary `PRE_COMMIT_HOME`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn pre_commit() -> PathBuf {
    let out = Command::new("bash")
        .arg(root().join("scripts/ensure-pre-commit.sh"))
        .output()
        .expect("cannot run scripts/ensure-pre-commit.sh");
    assert!(
        out.status.success(),
        "scripts/ensure-pre-commit.sh failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    PathBuf::from(stdout.lines().last().unwrap_or_default().trim())
}

/// A git command in `dir` that ignores any repository the test runs inside of (a git hook's
/// `GIT_DIR`) and the user's signing settings.
fn git(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .args(["-c", "user.name=backlint test", "-c"])
        .arg("user.email=test@example.invalid")
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ]);
    cmd
}

fn ok(cmd: &mut Command) -> String {
    let out = cmd.output().expect("cannot run a command");
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// A git repository holding this checkout's files as they are on disk (tracked and untracked,
/// without ignored ones; without the fixtures, most of the files and none of the build),
/// committed; returns the commit. Works on a clean clone and with uncommitted changes alike.
fn snapshot_of_this_checkout(dest: &Path) -> String {
    let listed = ok(git(root()).args(["ls-files", "-z", "-co", "--exclude-standard"]));
    for name in listed
        .split('\0')
        .filter(|n| !n.is_empty() && !n.starts_with("fixtures/"))
    {
        let from = root().join(name);
        if !from.is_file() {
            continue; // deleted but not yet staged
        }
        let to = dest.join(name);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&from, &to).unwrap();
    }
    ok(git(dest).args(["init", "-q"]));
    ok(git(dest).args(["add", "-A"]));
    ok(git(dest).args(["commit", "-q", "-m", "snapshot"]));
    ok(git(dest).args(["rev-parse", "HEAD"])).trim().to_string()
}

const CLIENT: &str = "import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n";
const CLIENT_FIXED: &str =
    "import requests\n\n\ndef fetch(url):\n    return requests.get(url, timeout=10)\n";

#[test]
fn hook_fails_on_findings_and_passes_when_fixed() {
    let pre_commit = pre_commit();
    let tmp = tempfile::tempdir().unwrap();
    let hook_repo = tmp.path().join("hook");
    let rev = snapshot_of_this_checkout(&hook_repo);

    ok(Command::new(&pre_commit)
        .arg("validate-manifest")
        .arg(root().join(".pre-commit-hooks.yaml")));

    let project = tmp.path().join("project");
    write(
        &project,
        &[
            (
                ".pre-commit-config.yaml",
                &format!(
                    "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: backlint\n",
                    hook_repo.display()
                ),
            ),
            ("app/client.py", CLIENT),
            ("requirements.txt", "flask==3.0.0\nnose==1.3.7\n"),
            // excluded by backlint.toml: `--force-exclude` skips it although pre-commit names it
            ("backlint.toml", "exclude = [\"legacy/**\"]\n"),
            ("legacy/old.py", CLIENT),
            // not a file backlint reads: the hook's `files` does not pass it
            ("docs/notes.md", "# notes\n"),
        ],
    );
    ok(git(&project).args(["init", "-q"]));
    ok(git(&project).args(["add", "-A"]));

    // `cargo install --locked`, backlint unoptimised: see the module documentation
    let bin = tmp.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let shim = bin.join("cargo");
    std::fs::write(
        &shim,
        "#!/bin/sh\nif [ \"$1\" = install ]; then\n  shift\n  exec \"$REAL_CARGO\" install --locked --config profile.release.package.backlint.opt-level=0 \"$@\"\nfi\nexec \"$REAL_CARGO\" \"$@\"\n",
    )
    .unwrap();
    ok(Command::new("chmod").arg("+x").arg(&shim));
    let target_dir = Path::new(env!("CARGO_BIN_EXE_backlint"))
        .parent()
        .and_then(Path::parent)
        .expect("the binary is in <target>/<profile>/");
    let path = std::env::join_paths(std::iter::once(bin.clone()).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .unwrap();
    let run_with = |files: &[&str]| -> Output {
        let start = Instant::now();
        let which: Vec<&str> = if files.is_empty() {
            vec!["--all-files"]
        } else {
            std::iter::once("--files")
                .chain(files.iter().copied())
                .collect()
        };
        let out = Command::new("timeout")
            .arg("1200")
            .arg(&pre_commit)
            .arg("run")
            .args(which)
            .args(["--color", "never"])
            .current_dir(&project)
            .env("PATH", &path)
            .env(
                "REAL_CARGO",
                std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into()),
            )
            .env("CARGO_BUILD_BUILD_DIR", target_dir)
            .env("CARGO_TARGET_DIR", tmp.path().join("target"))
            .env("PRE_COMMIT_HOME", tmp.path().join("cache"))
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE")
            .env_remove("SKIP")
            .output()
            .expect("cannot run pre-commit");
        eprintln!("pre-commit run: {:.1}s", start.elapsed().as_secs_f64());
        out
    };
    let run = || run_with(&[]);
    let text = |out: &Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };

    let ours = || std::fs::metadata(env!("CARGO_BIN_EXE_backlint")).and_then(|m| m.modified());
    let before = ours().unwrap();
    let first = run(); // installs the hook first
    assert_eq!(
        ours().unwrap(),
        before,
        "pre-commit's cargo install replaced the binary the tests run"
    );
    let out = text(&first);
    assert_eq!(
        first.status.code(),
        Some(1),
        "the hook should fail on findings:\n{out}"
    );
    for expected in [
        "app/client.py",
        "missing-timeout",
        "requirements.txt",
        "deprecated-dependency",
    ] {
        assert!(out.contains(expected), "no `{expected}` in:\n{out}");
    }
    for unexpected in ["legacy/old.py", "notes.md", "not checked"] {
        assert!(!out.contains(unexpected), "`{unexpected}` in:\n{out}");
    }

    write(
        &project,
        &[
            ("app/client.py", CLIENT_FIXED),
            ("requirements.txt", "flask==3.0.0\npytest==8.0.0\n"),
        ],
    );
    ok(git(&project).args(["add", "-A"]));
    let second = run();
    let out = text(&second);
    assert!(
        second.status.success(),
        "the hook should pass once fixed:\n{out}"
    );
    assert!(out.contains("backlint") && out.contains("Passed"), "{out}");

    // a named file is checked against the rest of the project: the helper it calls in a loop
    // queries, in a file pre-commit does not name
    write(
        &project,
        &[
            (
                "app/models.py",
                "from django.db import models\n\n\nclass Order(models.Model):\n    total = models.IntegerField()\n",
            ),
            (
                "app/services.py",
                "from app.models import Order\n\n\ndef order_total(order_id):\n    return Order.objects.get(pk=order_id).total\n",
            ),
            (
                "app/views.py",
                "from app.services import order_total\n\n\ndef report(request):\n    out = []\n    for i in request.GET.getlist(\"ids\"):\n        out.append(order_total(i))\n    return out\n",
            ),
        ],
    );
    ok(git(&project).args(["add", "-A"]));
    let named = run_with(&["app/views.py"]);
    let out = text(&named);
    assert_eq!(named.status.code(), Some(1), "{out}");
    assert!(
        out.contains("app/views.py") && out.contains("n-plus-one-query"),
        "{out}"
    );
    assert!(out.contains("Found 1 problem in 1 file"), "{out}");

    // README's whole-project variant: `pass_filenames: false` and `--diff HEAD` report what is
    // not committed yet, not the findings already committed
    write(
        &project,
        &[
            ("app/old_client.py", CLIENT),
            (
                ".pre-commit-config.yaml",
                &format!(
                    "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: backlint\n        pass_filenames: false\n        args: [--diff, HEAD]\n",
                    hook_repo.display()
                ),
            ),
        ],
    );
    ok(git(&project).args(["add", "-A"]));
    ok(git(&project).args(["commit", "-q", "-m", "old findings"]));
    write(&project, &[("app/jobs.py", CLIENT)]);
    ok(git(&project).args(["add", "-A"]));
    let third = run();
    let out = text(&third);
    assert_eq!(third.status.code(), Some(1), "{out}");
    assert!(out.contains("app/jobs.py"), "{out}");
    assert!(!out.contains("old_client.py"), "{out}");
}

/// The hook's `files` pattern selects what `backlint check` reads, no more and no less.
#[test]
fn hook_files_are_what_check_reads() {
    let hooks: serde_yaml_ng::Value = serde_yaml_ng::from_str(
        &std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap(),
    )
    .unwrap();
    let files = regex::Regex::new(hooks[0]["files"].as_str().expect("files")).unwrap();
    let mut names: Vec<String> = backlint::lang::EXTENSIONS
        .iter()
        .flat_map(|e| [format!("app/x.{e}"), format!("x.{e}.bak"), format!("x{e}")])
        .collect();
    for name in [
        "package.json",
        "web/package.json",
        "my-package.json",
        "tsconfig.json",
        "pyproject.toml",
        "Pipfile",
        "Pipfile.lock",
        "Cargo.toml",
        "Cargo.lock",
        "Rocket.toml",
        "requirements.txt",
        "requirements-dev.txt",
        "REQUIREMENTS.TXT",
        "requirements.in",
        "constraints.txt",
        "requirements/base.txt",
        "Requirements/prod.in",
        "requirements/sub/x.txt",
        "notes.txt",
        "xrequirements.txt",
        "README.md",
    ] {
        names.push(name.to_string());
    }
    for name in &names {
        assert_eq!(
            files.is_match(name),
            backlint::discover::is_checked(Path::new(name)),
            "{name}: the hook's `files` and `backlint check` disagree"
        );
    }
}
