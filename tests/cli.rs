//! End-to-end tests of the `backlint` binary on small projects in temporary directories.
//!
//! Tests that look for findings use `sql-injection` and `hardcoded-secret` on obvious cases.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

const SQLI: &str = "def get_user(cursor, user_id):\n    cursor.execute(f\"SELECT * FROM users WHERE id = {user_id}\")\n";
/// A Stripe-shaped key generated at test time (no credential-shaped literal in the repository).
fn secret() -> String {
    backlint::knowledge::secrets::fake_secret("stripe-live-key", 7)
}
const CLEAN: &str = "def add(a, b):\n    return a + b\n";

fn project(files: &[(&str, &[u8])]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    dir
}

fn backlint(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("backlint").unwrap();
    cmd.current_dir(dir).env_remove("NO_COLOR");
    cmd
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(dir: &Path, args: &[&str]) -> Run {
    let out = backlint(dir).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "backlint panicked:\n{stderr}");
    Run {
        code: out.status.code().expect("killed by a signal"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    }
}

fn json(dir: &Path, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let r = run(dir, &all);
    let v = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", r.stdout, r.stderr));
    (r.code, v)
}

fn findings(report: &Value) -> Vec<(String, String)> {
    report["diagnostics"]
        .as_array()
        .expect("diagnostics array")
        .iter()
        .map(|d| {
            (
                d["rule"].as_str().unwrap().to_string(),
                d["path"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn notices(report: &Value) -> Vec<(String, String)> {
    report["notices"]
        .as_array()
        .expect("notices array")
        .iter()
        .map(|n| {
            (
                n["path"].as_str().unwrap().to_string(),
                n["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// A usage/config error: exit 2 and one line on stderr.
fn assert_error(r: &Run, needle: &str) {
    assert_eq!(r.code, 2, "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    assert!(r.stderr.starts_with("backlint: error: "), "{}", r.stderr);
    assert_eq!(r.stderr.trim_end().lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains(needle), "`{needle}` not in: {}", r.stderr);
}

// --- exit codes and usage --------------------------------------------------------------------

#[test]
fn help_and_version_exit_zero() {
    let dir = project(&[]);
    for args in [
        &["--help"][..],
        &["--version"],
        &["check", "--help"],
        &["help"],
    ] {
        let r = run(dir.path(), args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        assert!(!r.stdout.is_empty());
    }
}

#[test]
fn usage_errors_exit_two() {
    let dir = project(&[]);
    for args in [
        &[][..],
        &["check", "--bogus"],
        &["check", "--severity", "fatal"],
        &["check", "--format", "xml"],
        &["frobnicate"],
    ] {
        assert_eq!(run(dir.path(), args).code, 2, "{args:?}");
    }
}

#[test]
fn clean_python_file_exits_zero() {
    let dir = project(&[("app.py", CLEAN.as_bytes())]);
    let r = run(dir.path(), &["check"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(run(dir.path(), &["check", "app.py", "--jobs", "1"]).code, 0);
}

#[test]
fn missing_path_exits_two() {
    let dir = project(&[("app.py", CLEAN.as_bytes())]);
    assert_error(&run(dir.path(), &["check", "app.py", "nope.py"]), "nope.py");
}

#[test]
fn findings_exit_one_unless_exit_zero() {
    let dir = project(&[("app.py", SQLI.as_bytes())]);
    assert_eq!(run(dir.path(), &["check"]).code, 1);
    let (code, report) = json(dir.path(), &["--exit-zero"]);
    assert_eq!(code, 0);
    assert_eq!(
        findings(&report),
        [("sql-injection".to_string(), "app.py".to_string())]
    );
}

#[test]
fn info_findings_do_not_fail_the_run() {
    let src = format!("# backlint: ignore[sql-injection] legacy\n{CLEAN}");
    let dir = project(&[("app.py", src.as_bytes())]);
    let (code, report) = json(dir.path(), &[]);
    assert_eq!(code, 0);
    assert_eq!(
        findings(&report),
        [("unused-suppression".to_string(), "app.py".to_string())]
    );
    assert_eq!(report["diagnostics"][0]["severity"], "info");
}

// --- formats ---------------------------------------------------------------------------------

#[test]
fn json_report_has_the_documented_top_level_keys() {
    let dir = project(&[("app.py", CLEAN.as_bytes())]);
    let (code, report) = json(dir.path(), &[]);
    assert_eq!(code, 0);
    for key in ["version", "diagnostics", "summary", "notices"] {
        assert!(report.get(key).is_some(), "no `{key}` in {report}");
    }
    assert!(report["diagnostics"].as_array().unwrap().is_empty());
}

#[test]
fn sarif_goes_to_the_output_file_and_a_summary_to_stderr() {
    let dir = project(&[("src/app.py", CLEAN.as_bytes())]);
    let r = run(
        dir.path(),
        &[
            "check",
            "--format",
            "sarif",
            "--output",
            "out.sarif",
            "--category",
            "backend",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("out.sarif"), "{}", r.stderr);
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("out.sarif")).unwrap())
            .unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    assert_eq!(sarif["runs"][0]["automationDetails"]["id"], "backend/"); // GitHub appends the slash to categories
}

#[test]
fn sarif_uris_are_relative_to_the_repository_root() {
    let dir = project(&[("svc/app.py", SQLI.as_bytes())]);
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let svc = dir.path().join("svc");
    let r = run(&svc, &["check", "--format", "sarif"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let sarif: Value = serde_json::from_str(&r.stdout).unwrap();
    let uri = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
        ["artifactLocation"]["uri"];
    assert_eq!(uri, "svc/app.py");
}

#[test]
fn secrets_are_masked_in_every_format() {
    let src = format!("STRIPE_KEY = \"{}\"\n", secret());
    let dir = project(&[("settings.py", src.as_bytes())]);
    for format in ["text", "json", "sarif", "github", "gitlab", "junit"] {
        let r = run(dir.path(), &["check", "--format", format]);
        assert_eq!(r.code, 1, "{format}: {}", r.stderr);
        assert!(
            r.stdout.contains("hardcoded-secret"),
            "{format}: {}",
            r.stdout
        );
        assert!(
            !r.stdout.contains(&secret()),
            "{format} shows the secret:\n{}",
            r.stdout
        );
    }
}

#[test]
fn gitlab_report_has_the_fields_gitlab_reads() {
    let src = format!("{SQLI}\ndef other(cursor, user_id):\n    cursor.execute(f\"DELETE FROM t WHERE id = {{user_id}}\")\n");
    let dir = project(&[
        ("app/views.py", src.as_bytes()),
        ("app/more.py", SQLI.as_bytes()),
    ]);
    let r = run(dir.path(), &["check", "--format", "gitlab"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let issues: Value = serde_json::from_str(&r.stdout).expect("a JSON array");
    let issues = issues.as_array().expect("an array");
    assert_eq!(issues.len(), 3, "{}", r.stdout);
    let mut prints = std::collections::HashSet::new();
    for i in issues {
        assert_eq!(i["type"], "issue");
        assert_eq!(i["check_name"], "sql-injection");
        assert!(i["description"].as_str().is_some_and(|d| !d.is_empty()));
        assert!(["info", "minor", "major", "critical", "blocker"]
            .contains(&i["severity"].as_str().unwrap()));
        let path = i["location"]["path"].as_str().unwrap();
        assert!(path.starts_with("app/"), "relative path: {path}");
        assert!(i["location"]["lines"]["begin"].as_u64().unwrap() >= 1);
        // GitLab drops issues whose fingerprints repeat: the same line in two files differs
        assert!(prints.insert(i["fingerprint"].as_str().unwrap().to_string()));
    }
}

#[test]
fn junit_report_is_well_formed_with_one_failed_case_per_finding() {
    use quick_xml::events::Event;
    // a control character in a message must not break the XML
    let src = format!("{SQLI}\n# \u{1b}[31m\n");
    let dir = project(&[
        ("app/views.py", src.as_bytes()),
        ("lib/db.py", SQLI.as_bytes()),
    ]);
    let r = run(dir.path(), &["check", "--format", "junit"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let mut reader = quick_xml::Reader::from_str(&r.stdout);
    let (mut suites, mut cases, mut failures) = (Vec::new(), 0, 0);
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) if e.name().as_ref() == "testsuite" => {
                let name = e.try_get_attribute("name").unwrap().unwrap();
                suites.push(name.value.to_string());
            }
            Event::Start(e) if e.name().as_ref() == "testcase" => {
                cases += 1;
                assert!(e.try_get_attribute("classname").unwrap().is_some());
                assert!(e.try_get_attribute("line").unwrap().is_some());
            }
            Event::Start(e) if e.name().as_ref() == "failure" => {
                failures += 1;
                let t = e.try_get_attribute("type").unwrap().unwrap();
                assert_eq!(t.value.as_ref(), "sql-injection");
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(suites, ["app/views.py", "lib/db.py"]);
    assert_eq!((cases, failures), (2, 2));

    let clean = project(&[("ok.py", CLEAN.as_bytes())]);
    let r = run(clean.path(), &["check", "--format", "junit"]);
    assert_eq!(r.code, 0);
    assert!(
        r.stdout.contains(r#"tests="1" failures="0""#),
        "{}",
        r.stdout
    );
}

fn git(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn diff_reports_only_findings_on_changed_lines() {
    let old = "def a(cursor, x):\n    cursor.execute(f\"SELECT {x}\")\n";
    let dir = project(&[
        ("svc/old.py", old.as_bytes()),
        ("svc/other.py", old.as_bytes()),
    ]);
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-qm", "base"]);
    // a new finding below the old one, a moved-but-unchanged one, and an untracked file
    let edited = format!("{old}\ndef b(cursor, y):\n    cursor.execute(f\"DELETE {{y}}\")\n");
    std::fs::write(dir.path().join("svc/old.py"), edited).unwrap();
    std::fs::write(
        dir.path().join("svc/other.py"),
        format!("# moved down\n{old}"),
    )
    .unwrap();
    std::fs::write(dir.path().join("svc/new.py"), old).unwrap();
    let (code, report) = json(dir.path(), &["--diff", "HEAD"]);
    assert_eq!(code, 1);
    let lines: Vec<(String, u64)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap().to_string(),
                d["start"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [("svc/new.py".to_string(), 2), ("svc/old.py".to_string(), 5)]
    );
    // the same run from a subdirectory, naming it
    let r = run(
        &dir.path().join("svc"),
        &[
            "check",
            "--format",
            "concise",
            "--changed-since",
            "HEAD",
            ".",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.stdout.matches("sql-injection").count(), 3, "{}", r.stdout);

    let r = run(dir.path(), &["check", "--diff", "no-such-branch"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no such commit"), "{}", r.stderr);
}

#[test]
fn paths_are_relative_to_the_current_directory() {
    let dir = project(&[
        ("pkg/data.py", b"\x00\x01binary"),
        ("pkg/app.py", CLEAN.as_bytes()),
    ]);
    let absolute = dir.path().join("pkg").to_string_lossy().into_owned();
    for arg in [".", "pkg", absolute.as_str()] {
        let (_, report) = json(dir.path(), &[arg]);
        let paths: Vec<_> = notices(&report).into_iter().map(|(p, _)| p).collect();
        assert_eq!(paths, ["pkg/data.py"], "{arg}");
    }
}

// --- configuration ---------------------------------------------------------------------------

#[test]
fn unknown_rule_in_select_exits_two_with_a_suggestion() {
    let dir = project(&[("app.py", CLEAN.as_bytes())]);
    let r = run(
        dir.path(),
        &["check", "--select", "sql-injection,sql-injecton"],
    );
    assert_error(&r, "did you mean `sql-injection`?");
    let r = run(dir.path(), &["check", "--ignore", "hardcoded-secrt"]);
    assert_error(&r, "did you mean `hardcoded-secret`?");
}

#[test]
fn unknown_key_in_backlint_toml_exits_two_with_a_suggestion() {
    let dir = project(&[
        ("backlint.toml", b"selct = [\"sql-injection\"]\n"),
        ("app.py", CLEAN.as_bytes()),
        ("sub/mod.py", CLEAN.as_bytes()),
    ]);
    let r = run(dir.path(), &["check"]);
    assert_error(
        &r,
        "unknown key `selct` in backlint.toml:1 (did you mean `select`?)",
    );
    // Found from a subdirectory too.
    let r = run(&dir.path().join("sub"), &["check"]);
    assert_error(&r, "did you mean `select`?");
}

#[test]
fn config_errors_name_the_file() {
    let dir = project(&[
        ("app.py", CLEAN.as_bytes()),
        ("ci.toml", b"[rules.sql-injecton]\nseverity = \"error\"\n"),
    ]);
    assert_error(
        &run(dir.path(), &["check", "--config", "ci.toml"]),
        "ci.toml:1",
    );
    assert_error(
        &run(dir.path(), &["check", "--config", "missing.toml"]),
        "missing.toml",
    );
    std::fs::write(dir.path().join("backlint.toml"), "severity = [").unwrap();
    assert_error(
        &run(dir.path(), &["check"]),
        "invalid TOML in backlint.toml",
    );
}

#[test]
fn pyproject_tool_table_is_read() {
    let dir = project(&[
        ("pyproject.toml", b"[project]\nname = \"svc\"\n\n[tool.backlint]\nignore = [\"sql-injection\"]\nrequire-reasons = true\n"),
        ("app.py", CLEAN.as_bytes()),
    ]);
    assert_error(
        &run(dir.path(), &["check"]),
        "did you mean `require-reason`?",
    );
}

#[test]
fn pyproject_select_limits_the_rules() {
    let src = format!("{SQLI}\nSTRIPE_KEY = \"{}\"\n", secret());
    let dir = project(&[("app.py", src.as_bytes())]);
    let (_, report) = json(dir.path(), &[]);
    let mut rules: Vec<_> = findings(&report).into_iter().map(|(r, _)| r).collect();
    rules.sort();
    assert_eq!(rules, ["hardcoded-secret", "sql-injection"]);

    std::fs::write(
        dir.path().join("pyproject.toml"),
        "[tool.backlint]\nselect = [\"sql-injection\"]\n",
    )
    .unwrap();
    let (code, report) = json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        findings(&report),
        [("sql-injection".to_string(), "app.py".to_string())]
    );

    // The command line replaces the file's selection.
    let (_, report) = json(dir.path(), &["--select", "hardcoded-secret"]);
    assert_eq!(
        findings(&report),
        [("hardcoded-secret".to_string(), "app.py".to_string())]
    );
    let (code, report) = json(dir.path(), &["--ignore", "sql-injection"]);
    assert_eq!(code, 0);
    assert!(findings(&report).is_empty());
}

#[test]
fn severity_overrides_and_minimum() {
    let dir = project(&[
        (
            "backlint.toml",
            b"[rules.sql-injection]\nseverity = \"warning\"\n",
        ),
        ("app.py", SQLI.as_bytes()),
    ]);
    let (code, report) = json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(report["diagnostics"][0]["severity"], "warning");
    let (code, report) = json(dir.path(), &["--severity", "error"]);
    assert_eq!(code, 0);
    assert!(findings(&report).is_empty());
}

#[test]
fn per_path_ignores_apply() {
    let src = format!("TOKEN = \"{}\"\n", secret());
    let dir = project(&[
        (
            "backlint.toml",
            b"[per-path-ignores]\n\"scripts/**\" = [\"hardcoded-secret\"]\n",
        ),
        ("scripts/seed.py", src.as_bytes()),
        ("app/settings.py", src.as_bytes()),
    ]);
    let (_, report) = json(dir.path(), &[]);
    assert_eq!(
        findings(&report),
        [(
            "hardcoded-secret".to_string(),
            "app/settings.py".to_string()
        )]
    );
}

#[test]
fn baseline_hides_known_findings_only() {
    let dir = project(&[("app.py", SQLI.as_bytes())]);
    let r = run(
        dir.path(),
        &["check", "--format", "json", "--output", "baseline.json"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        run(dir.path(), &["check", "--baseline", "baseline.json"]).code,
        0
    );

    // Shifted by two lines and joined by a second copy: only the new one is reported.
    let src = format!(
        "import os\n\n{SQLI}\n{}",
        SQLI.replace("get_user", "get_admin")
    );
    std::fs::write(dir.path().join("app.py"), src).unwrap();
    let (code, report) = json(dir.path(), &["--baseline", "baseline.json"]);
    assert_eq!(code, 1);
    assert_eq!(findings(&report).len(), 1);
    assert_error(
        &run(dir.path(), &["check", "--baseline", "missing.json"]),
        "missing.json",
    );
}

// --- stdin -----------------------------------------------------------------------------------

#[test]
fn stdin_is_linted_as_the_given_file() {
    let dir = project(&[]);
    let out = backlint(dir.path())
        .args(["check", "--format", "json", "--stdin-filename", "app.py"])
        .write_stdin(CLEAN)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(findings(&report).is_empty());
}

#[test]
fn stdin_findings_carry_the_given_name() {
    let dir = project(&[]);
    let out = backlint(dir.path())
        .args([
            "check",
            "--format",
            "json",
            "--stdin-filename",
            "api/app.py",
        ])
        .write_stdin(SQLI)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        findings(&report),
        [("sql-injection".to_string(), "api/app.py".to_string())]
    );
}

// --- catalogue -------------------------------------------------------------------------------

#[test]
fn rules_lists_the_catalogue() {
    let dir = project(&[]);
    let r = run(dir.path(), &["rules", "--format", "json"]);
    assert_eq!(r.code, 0);
    let rules: Value = serde_json::from_str(&r.stdout).unwrap();
    let rules = rules.as_array().unwrap();
    let ids: Vec<_> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert!(
        ids.contains(&"sql-injection") && ids.contains(&"hardcoded-secret"),
        "{ids:?}"
    );
    let sqli = rules.iter().find(|r| r["id"] == "sql-injection").unwrap();
    assert_eq!(sqli["category"], "security");
    assert_eq!(sqli["cwe"], serde_json::json!([89]));
    assert!(sqli.get("docs").is_none());

    let r = run(dir.path(), &["rules"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.starts_with("ID "));
    assert!(r
        .stdout
        .lines()
        .any(|l| l.starts_with("hardcoded-secret ") && l.contains("security")));
}

#[test]
fn explain_prints_the_docs() {
    let dir = project(&[]);
    let r = run(dir.path(), &["explain", "sql-injection"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.lines().next().unwrap().contains("sql-injection"));
    assert!(r.stdout.contains("## Fix"), "{}", r.stdout);
    assert_error(
        &run(dir.path(), &["explain", "nope"]),
        "unknown rule `nope`",
    );
    assert_error(
        &run(dir.path(), &["explain", "sql-injecton"]),
        "did you mean `sql-injection`?",
    );
}

// --- robustness: one bad file never stops the run --------------------------------------------

/// Checks a project holding `app.py` (one SQL injection) and the given bad files: no panic,
/// exit 0/1, `notice` (if given) reported for its file, and the finding in `app.py` reported.
fn survives(bad: &[(&str, &[u8])], notice: Option<(&str, &str)>, setup: impl FnOnce(&Path)) {
    let mut files = bad.to_vec();
    files.push(("app.py", SQLI.as_bytes()));
    let dir = project(&files);
    setup(dir.path());
    let (code, report) = json(dir.path(), &[]);
    assert!(code == 0 || code == 1, "exit {code}");
    if let Some((path, message)) = notice {
        let all = notices(&report);
        assert!(
            all.iter().any(|(p, m)| p == path && m.contains(message)),
            "no `{message}` notice for {path}: {all:?}"
        );
    }
    assert!(
        findings(&report).contains(&("sql-injection".to_string(), "app.py".to_string())),
        "the other file's finding is missing: {report}"
    );
}

#[test]
fn binary_file() {
    survives(
        &[("blob.py", b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\xff\xfe")],
        Some(("blob.py", "binary")),
        |_| {},
    );
}

#[test]
fn invalid_utf8() {
    survives(
        &[("latin1.py", b"name = \"Jos\xe9\"\n")],
        Some(("latin1.py", "UTF-8")),
        |_| {},
    );
}

#[test]
fn empty_file() {
    survives(
        &[("empty.py", b""), ("empty.ts", b""), ("empty.rs", b"")],
        None,
        |_| {},
    );
}

#[test]
fn huge_single_line_minified_js() {
    let big = "a=1;".repeat(5 * 1024 * 1024 / 4);
    survives(
        &[("static/bundle.js", big.as_bytes())],
        Some(("static/bundle.js", "minified")),
        |_| {},
    );
}

#[test]
fn huge_single_line_typescript_is_parsed() {
    // not JavaScript, so not skipped as minified: the parser and rules must cope
    let big = "a=1;".repeat(5 * 1024 * 1024 / 4);
    survives(&[("src/generated.ts", big.as_bytes())], None, |_| {});
}

#[test]
fn deeply_nested_expressions() {
    let parens = format!("x = {}1{}\n", "(".repeat(10_000), ")".repeat(10_000));
    let lists = format!("y = {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    let sum = format!("z = {}\n", vec!["1"; 10_000].join(" + "));
    let ts = format!("const x = {}1{};\n", "(".repeat(10_000), ")".repeat(10_000));
    survives(
        &[
            ("parens.py", parens.as_bytes()),
            ("lists.py", lists.as_bytes()),
            ("sum.py", sum.as_bytes()),
            ("deep.ts", ts.as_bytes()),
        ],
        None,
        |_| {},
    );
}

#[test]
fn unreadable_file() {
    use std::os::unix::fs::PermissionsExt;
    let lock = |path: &Path| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o000)).unwrap()
    };
    // root (or CAP_DAC_OVERRIDE) reads the file regardless: then there is no notice to expect.
    let probe = tempfile::NamedTempFile::new().unwrap();
    lock(probe.path());
    let privileged = std::fs::read(probe.path()).is_ok();
    let notice = (!privileged).then_some(("secret.py", "could not be read"));
    survives(&[("secret.py", CLEAN.as_bytes())], notice, |dir| {
        lock(&dir.join("secret.py"))
    });
}

#[test]
fn file_time_budget_turns_into_a_notice() {
    // a budget of 0 stops the rules before the first node: every file gets the notice, no
    // finding is made, and the run ends normally
    let dir = project(&[
        ("app.py", SQLI.as_bytes()),
        (
            "lib.ts",
            b"export const x = 1;\nfetch(\"https://example.com\");\n",
        ),
        ("backlint.toml", b"max-file-seconds = 0\n"),
    ]);
    let (code, report) = json(dir.path(), &[]);
    assert_eq!(code, 0, "{report}");
    assert!(findings(&report).is_empty(), "{report}");
    let all = notices(&report);
    for path in ["app.py", "lib.ts"] {
        assert!(
            all.iter().any(|(p, m)| p == path
                && m.starts_with("stopped after 0 s at line ")
                && m.contains("`max-file-seconds`")),
            "no budget notice for {path}: {all:?}"
        );
    }
    assert_eq!(report["summary"]["files_checked"], 2, "{report}");
    // the default budget lets the same file finish
    std::fs::remove_file(dir.path().join("backlint.toml")).unwrap();
    let (code, report) = json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert!(notices(&report).is_empty(), "{report}");
}

#[test]
fn max_file_size_is_a_config_key() {
    let big = format!("{SQLI}{}", "# padding\n".repeat(300));
    let dir = project(&[
        ("big.py", big.as_bytes()),
        ("app.py", SQLI.as_bytes()),
        ("backlint.toml", b"max-file-size-mb = 0.001\n"),
    ]);
    let (_, report) = json(dir.path(), &[]);
    assert_eq!(
        findings(&report),
        [("sql-injection".to_string(), "app.py".to_string())]
    );
    assert_eq!(
        notices(&report),
        [(
            "big.py".to_string(),
            "skipped: the file is 0.003 MB, over the 0.001 MB limit (`max-file-size-mb` in the \
             configuration)"
                .to_string()
        )]
    );
    // stdin too
    let r = backlint(dir.path())
        .args(["check", "--format", "json", "--stdin-filename", "big.py"])
        .write_stdin(big)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&r.stdout).unwrap();
    assert!(findings(&report).is_empty(), "{report}");
    assert!(notices(&report)[0].1.contains("`max-file-size-mb`"));
}

#[test]
fn symlink_loop() {
    survives(&[("pkg/mod.py", CLEAN.as_bytes())], None, |dir| {
        std::os::unix::fs::symlink(dir.join("pkg"), dir.join("pkg/again")).unwrap();
        std::os::unix::fs::symlink("loop", dir.join("loop")).unwrap();
    });
}

#[test]
fn roles_decide_where_rules_report_and_can_be_explained_and_overridden() {
    let dir = project(&[
        ("app/db.py", SQLI.as_bytes()),
        ("app/migrations/0002_fix.py", SQLI.as_bytes()),
    ]);
    let r = run(dir.path(), &["check", ".", "--format", "json"]);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let paths: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        ["app/db.py"],
        "sql-injection does not report in migrations"
    );

    let r = run(dir.path(), &["check", ".", "--explain-roles"]);
    assert_eq!(r.code, 0);
    assert!(r
        .stdout
        .contains("app/migrations/0002_fix.py\tmigration\tin a `migrations/` folder"));
    assert!(r.stdout.contains("app/db.py\tservice\tthe default"));

    std::fs::write(
        dir.path().join("backlint.toml"),
        "[roles]\n\"app/migrations/**\" = \"service\"\n",
    )
    .unwrap();
    let r = run(dir.path(), &["check", ".", "--format", "json"]);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["diagnostics"].as_array().unwrap().len(), 2);

    std::fs::write(
        dir.path().join("backlint.toml"),
        "[roles]\n\"x/**\" = \"servce\"\n",
    )
    .unwrap();
    let r = run(dir.path(), &["check", "."]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("roles"), "{}", r.stderr);
}

#[test]
fn manifests_are_checked_beside_source_and_a_broken_one_is_a_notice() {
    let dir = project(&[
        ("app.py", SQLI.as_bytes()),
        (
            "package.json",
            b"{\n  \"dependencies\": {\n    \"express\": \"^4\",\n    \"request\": \"^2.88.2\"\n  }\n}\n",
        ),
        (
            "Cargo.toml",
            b"[package]\nname = \"x\"\n\n[dependencies]\n# backlint: ignore[deprecated-dependency] leaving in June\nfailure = \"0.1\"\n",
        ),
        ("api/Pipfile", b"[packages\nnose = \"*\"\n"),
    ]);
    let (code, report) = json(dir.path(), &[]);
    assert_eq!(code, 1);
    let found = findings(&report);
    assert!(
        found.contains(&("deprecated-dependency".into(), "package.json".into())),
        "{found:?}"
    );
    assert!(found.iter().any(|(r, _)| r == "sql-injection"), "{found:?}");
    assert!(
        !found.iter().any(|(_, p)| p == "Cargo.toml"),
        "suppressed: {found:?}"
    );
    let d = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["rule"] == "deprecated-dependency")
        .unwrap();
    assert_eq!(d["start"]["line"], 4, "{d}");
    let n = notices(&report);
    assert!(
        n.iter()
            .any(|(p, m)| p.ends_with("Pipfile") && m.contains("could not be parsed")),
        "{n:?}"
    );
}

/// A querying helper in one file, called in a loop in another.
const PROJECT: &[(&str, &str)] = &[
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
];

#[test]
fn a_named_file_is_checked_against_the_rest_of_its_project() {
    let n1 = |v: &Value| {
        findings(v)
            .iter()
            .filter(|(rule, _)| rule == "n-plus-one-query")
            .count()
    };
    // a file in a git repository: the same finding as a run over the whole repository
    let files: Vec<(&str, &[u8])> = PROJECT.iter().map(|(p, c)| (*p, c.as_bytes())).collect();
    let dir = project(&files);
    git(dir.path(), &["init", "-q"]);
    let (_, whole) = json(dir.path(), &["--no-cache"]);
    assert_eq!(n1(&whole), 1, "{whole}");
    for args in [
        &["app/views.py", "--no-cache"][..],
        &["app/views.py"],
        &["app/views.py"],
    ] {
        let (code, named) = json(dir.path(), args);
        assert_eq!((code, n1(&named)), (1, 1), "{args:?}: {named}");
        assert_eq!(named["summary"]["files_checked"], 1, "{named}");
    }
    // only the named file is reported
    let (_, other) = json(dir.path(), &["app/services.py", "--no-cache"]);
    assert_eq!(findings(&other), Vec::new(), "{other}");
    // from stdin too
    let out = backlint(dir.path())
        .args([
            "check",
            "--format",
            "json",
            "--no-cache",
            "--stdin-filename",
            "app/views.py",
        ])
        .write_stdin(PROJECT[2].1)
        .output()
        .unwrap();
    let stdin: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(n1(&stdin), 1, "{stdin}");
    // `--alone` reads the named file only
    let (code, alone) = json(dir.path(), &["app/views.py", "--alone", "--no-cache"]);
    assert_eq!((code, n1(&alone)), (0, 0), "{alone}");
    // outside any repository or configuration folder a file is checked alone
    let loose = project(&files);
    let (_, named) = json(loose.path(), &["app/views.py", "--no-cache"]);
    assert_eq!(n1(&named), 0, "{named}");
    // a configuration file marks the project as a repository does
    std::fs::write(loose.path().join("backlint.toml"), "").unwrap();
    let (_, named) = json(loose.path(), &["app/views.py", "--no-cache"]);
    assert_eq!(n1(&named), 1, "{named}");
}

// --- fixes ------------------------------------------------------------------------------------

const FIXABLE_PY: &str = "\
import time
import requests


async def poll(url):
    time.sleep(1)
    # backlint: ignore[sql-injection] reviewed
    return 1


def get(url):
    return requests.get(
        url,
        headers={'a': 'b'},
    )
";
const FIXABLE_TS: &str = "\
import axios from 'axios';

export const api = axios.create({ baseURL: 'https://x' });
export const load = (u: string) => fetch(u);
";

#[test]
fn fixable_findings_are_marked_and_counted() {
    let dir = project(&[("app/poll.py", FIXABLE_PY.as_bytes())]);
    let r = run(dir.path(), &["check", "--no-cache", "--format", "concise"]);
    assert!(
        r.stdout
            .contains("app/poll.py:7:7: unused-suppression [*] unused suppression"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("app/poll.py:12:12: missing-timeout `requests.get`"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.ends_with(
            "[*] 1 fixable with the `--fix` option (2 hidden fixes can be enabled with the `--unsafe-fixes` option).\n"
        ),
        "{}",
        r.stdout
    );
    let (_, v) = json(dir.path(), &["--no-cache"]);
    assert_eq!(v["summary"]["fixable"], 3);
    assert!(v["summary"].get("fixed").is_none());
    let fix = &v["diagnostics"][1]["fix"];
    assert_eq!(fix["title"], "Remove the unused suppression");
    assert_eq!(fix["applicability"], "safe");
    assert_eq!(
        fix["edits"][0],
        serde_json::json!({"path": "app/poll.py", "start": {"line": 7, "column": 1},
            "end": {"line": 8, "column": 1}, "replacement": ""})
    );
}

#[test]
fn fix_applies_safe_fixes_then_unsafe_ones_with_the_flag() {
    let dir = project(&[
        ("app/poll.py", FIXABLE_PY.as_bytes()),
        ("web/api.ts", FIXABLE_TS.as_bytes()),
    ]);
    let read = |p: &str| std::fs::read_to_string(dir.path().join(p)).unwrap();
    // safe fixes only: the unused suppression goes, nothing else changes
    let r = run(dir.path(), &["check", "--fix", "--format", "concise"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        read("app/poll.py"),
        FIXABLE_PY.replace("    # backlint: ignore[sql-injection] reviewed\n", "")
    );
    assert_eq!(read("web/api.ts"), FIXABLE_TS);
    assert!(r.stdout.contains("Fixed 1 problem\n"), "{}", r.stdout);
    assert!(!r.stdout.contains("unused-suppression"), "{}", r.stdout);
    // unsafe ones too: what is left is reported, and the run still fails on it
    let (code, v) = json(dir.path(), &["--fix", "--unsafe-fixes"]);
    assert_eq!(
        read("app/poll.py"),
        "\
import time
import requests
import asyncio


async def poll(url):
    await asyncio.sleep(1)
    return 1


def get(url):
    return requests.get(
        url,
        headers={'a': 'b'},
        timeout=10,
    )
"
    );
    assert_eq!(
        read("web/api.ts"),
        "\
import axios from 'axios';

export const api = axios.create({ baseURL: 'https://x', timeout: 10_000 });
export const load = (u: string) => fetch(u, { signal: AbortSignal.timeout(10_000) });
"
    );
    assert_eq!(v["summary"]["fixed"], 4);
    assert_eq!(v["summary"]["problems"], 0, "{v}");
    assert_eq!(code, 0);
    // nothing left to fix
    let r = run(dir.path(), &["check", "--fix", "--unsafe-fixes"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("No problems found"), "{}", r.stdout);
}

#[test]
fn fix_leaves_files_with_syntax_errors_alone() {
    let broken = format!("{FIXABLE_PY}\ndef oops(:\n    pass\n");
    let dir = project(&[("app/poll.py", broken.as_bytes())]);
    let (_, v) = json(dir.path(), &["--fix", "--unsafe-fixes"]);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("app/poll.py")).unwrap(),
        broken
    );
    assert_eq!(v["summary"]["fixed"], 0);
    let said = notices(&v);
    assert!(
        said.iter()
            .any(|(p, m)| p == "app/poll.py" && m.starts_with("not fixed")),
        "{said:?}"
    );
    // and `--fix` does not read stdin
    let r = run(dir.path(), &["check", "--fix", "--stdin-filename", "a.py"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}
