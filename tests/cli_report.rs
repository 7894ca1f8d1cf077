//! What the `backlint check` command line says about a run: severity filtering of
//! `unused-suppression`, partly parsed files, files that were not checked, the rule catalogue,
//! and the flags ruff users type (`--output-format`, `--exclude`, `--extend-exclude`, `--quiet`,
//! `--statistics`, `--format concise`).

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

const SQLI: &str = "def get_user(cursor, user_id):\n    cursor.execute(f\"SELECT * FROM users WHERE id = {user_id}\")\n";
const CLEAN: &str = "def add(a, b):\n    return a + b\n";
/// A stale suppression (info) and nothing else.
const STALE: &str = "# backlint: ignore[sql-injection] legacy\ndef add(a, b):\n    return a + b\n";

fn project(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    dir
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run_with(dir: &Path, args: &[&str], stdin: Option<&str>) -> Run {
    let mut cmd = Command::cargo_bin("backlint").unwrap();
    cmd.current_dir(dir).env_remove("NO_COLOR").args(args);
    if let Some(input) = stdin {
        cmd.write_stdin(input);
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "backlint panicked:\n{stderr}");
    Run {
        code: out.status.code().expect("killed by a signal"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    }
}

fn run(dir: &Path, args: &[&str]) -> Run {
    run_with(dir, args, None)
}

fn json(dir: &Path, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let r = run(dir, &all);
    let v = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", r.stdout, r.stderr));
    (r.code, v)
}

fn rules_and_paths(report: &Value) -> Vec<(String, String)> {
    report["diagnostics"]
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

fn notices(report: &Value) -> Vec<(String, String)> {
    report["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["path"].as_str().unwrap().to_string(),
                n["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pair(rule: &str, path: &str) -> (String, String) {
    (rule.to_string(), path.to_string())
}

// --- severity --------------------------------------------------------------------------------

#[test]
fn minimum_severity_hides_unused_suppression_notes() {
    let dir = project(&[("app.py", STALE)]);
    let (_, report) = json(dir.path(), &[]);
    assert_eq!(
        rules_and_paths(&report),
        [pair("unused-suppression", "app.py")]
    );
    let (code, report) = json(dir.path(), &["--severity", "warning"]);
    assert_eq!(code, 0);
    assert_eq!(rules_and_paths(&report), []);
    let r = run(dir.path(), &["check", "--severity", "warning"]);
    assert!(!r.stdout.contains("unused"), "{}", r.stdout);

    std::fs::write(dir.path().join("backlint.toml"), "severity = \"warning\"\n").unwrap();
    let (_, report) = json(dir.path(), &[]);
    assert_eq!(rules_and_paths(&report), []);
}

#[test]
fn a_finding_below_the_minimum_still_uses_its_suppression() {
    // missing-timeout is a warning; with `severity = "error"` it is not reported, and its
    // suppression (raised to error) must not be called unused.
    let src = "import requests\n\ndef f(url):\n    # backlint: ignore[missing-timeout] the proxy sets one\n    return requests.get(url)\n";
    let dir = project(&[
        (
            "backlint.toml",
            "severity = \"error\"\n[rules.unused-suppression]\nseverity = \"error\"\n",
        ),
        ("app.py", src),
    ]);
    let (code, report) = json(dir.path(), &[]);
    assert_eq!(rules_and_paths(&report), [], "{report}");
    assert_eq!(code, 0);
}

// --- partly parsed files ---------------------------------------------------------------------

#[test]
fn a_file_with_a_syntax_error_is_checked_and_gets_a_notice() {
    let broken_py = format!("{SQLI}\ndef bad(x)\n    return x\n");
    let broken_ts = "export async function f(pool: any, id: string) {\n  if (id {\n    return 1;\n  }\n  return pool.query(`SELECT * FROM t WHERE id = ${id}`);\n}\n";
    let dir = project(&[
        ("broken.py", &broken_py),
        ("broken.ts", broken_ts),
        ("fine.py", SQLI),
        ("clean.ts", "export const x = 1;\n"),
    ]);
    let (code, report) = json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(
        rules_and_paths(&report),
        [
            pair("sql-injection", "broken.py"),
            pair("sql-injection", "broken.ts"),
            pair("sql-injection", "fine.py"),
        ],
        "{report}"
    );
    assert_eq!(
        notices(&report),
        [
            (
                "broken.py".to_string(),
                "partly parsed: syntax error at 4:11 (at the end of the line); the rules ran on \
                 the code that parsed"
                    .to_string()
            ),
            (
                "broken.ts".to_string(),
                "partly parsed: syntax error at 2:9 (missing `)`); the rules ran on the code \
                 that parsed"
                    .to_string()
            ),
        ]
    );
    assert_eq!(report["summary"]["files_checked"], 4);
}

#[test]
fn a_syntax_error_notice_never_prints_a_secret() {
    let key = backlint::knowledge::secrets::fake_secret("stripe-live-key", 3);
    let dir = project(&[
        ("a.py", &format!("STRIPE = = \"{key}\"\n")),
        ("b.ts", &format!("const k = ) {key}AAAA + 1;\n")),
        ("c.py", &format!("x = 1\n\"{key}\" = = 2\n")),
    ]);
    let r = run(dir.path(), &["check", "--format", "concise"]);
    for want in [
        "a.py: partly parsed: syntax error at 1:10 (near `=…`)",
        "b.ts: partly parsed: syntax error at 1:11 (near `) sk_l… + 1;`)",
        "c.py: partly parsed: syntax error at 2:1 (near a string)",
    ] {
        assert!(r.stdout.contains(want), "no `{want}` in:\n{}", r.stdout);
    }
    assert!(!r.stdout.contains(&key["sk_live_".len()..]), "{}", r.stdout);
}

// --- files not checked -----------------------------------------------------------------------

#[test]
fn stdin_with_an_unsupported_extension_is_not_checked() {
    let dir = project(&[]);
    let r = run_with(
        dir.path(),
        &["check", "--stdin-filename", "views.txt"],
        Some(SQLI),
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains(
            "warning: views.txt: not checked: `.txt` files are not supported (backlint checks \
             .py .pyi .ts"
        ),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("No files checked: 1 file not checked (views.txt)"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("No problems found"), "{}", r.stdout);
}

#[test]
fn a_run_that_checks_nothing_says_so_and_exits_zero() {
    let dir = project(&[("views.txt", "x"), ("docs/index.md", "# docs")]);
    let r = run(dir.path(), &["check", "views.txt"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("views.txt: not checked"), "{}", r.stdout);
    assert!(r.stdout.contains("No files checked"), "{}", r.stdout);

    let r = run(dir.path(), &["check", "docs"]);
    assert_eq!(r.code, 0);
    assert!(
        r.stdout
            .starts_with("No files checked: nothing to check under the given paths"),
        "{}",
        r.stdout
    );

    // machine formats keep stdout parseable and say it on stderr
    let r = run(dir.path(), &["check", "docs", "--format", "sarif"]);
    assert_eq!(r.code, 0);
    assert!(
        r.stderr.starts_with("backlint: warning: no files checked"),
        "{}",
        r.stderr
    );
    let (code, report) = json(dir.path(), &["views.txt"]);
    assert_eq!(code, 0);
    assert_eq!(report["summary"]["files_checked"], 0);
    assert_eq!(notices(&report).len(), 1);

    // a supported file next to it is checked as usual
    std::fs::write(dir.path().join("app.py"), CLEAN).unwrap();
    let r = run(dir.path(), &["check", "views.txt", "app.py"]);
    assert_eq!(r.code, 0);
    assert!(
        r.stdout.contains("No problems found (checked 1 file)"),
        "{}",
        r.stdout
    );
}

// --- catalogue -------------------------------------------------------------------------------

#[test]
fn catalogue_json_has_whole_sentences_and_sarif_security_severity() {
    let dir = project(&[]);
    let r = run(dir.path(), &["rules", "--format", "json"]);
    assert_eq!(r.code, 0);
    let rules: Value = serde_json::from_str(&r.stdout).unwrap();
    for rule in rules.as_array().unwrap() {
        let d = rule["description"].as_str().unwrap();
        assert!(
            d.ends_with('.') && d.chars().count() <= 1024,
            "{}: {d}",
            rule["id"]
        );
    }
    let score = |id: &str| {
        rules
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()["security_severity"]
            .clone()
    };
    assert_eq!(score("sql-injection"), "9.8");
    assert_eq!(score("hardcoded-secret"), "8.5");
    assert_eq!(score("n-plus-one-query"), Value::Null);
}

// --- ruff-compatible flags -------------------------------------------------------------------

#[test]
fn output_format_is_the_format_flag() {
    let dir = project(&[("app.py", SQLI)]);
    let r = run(dir.path(), &["check", "--output-format", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(rules_and_paths(&v), [pair("sql-injection", "app.py")]);
    assert!(!dir.path().join("json").exists());
    let r = run(dir.path(), &["check", "--output-format=concise"]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.starts_with("app.py:2:5: sql-injection "));
    // ruff's name for the full text report
    let r = run(dir.path(), &["check", "--output-format", "full"]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.starts_with("error[sql-injection]"), "{}", r.stdout);
    // and `--output-file` for `--output`
    let r = run(
        dir.path(),
        &["check", "--output-file", "report.json", "--format", "json"],
    );
    assert_eq!(r.code, 1);
    assert!(dir.path().join("report.json").exists());
}

#[test]
fn concise_prints_one_line_per_finding() {
    let dir = project(&[("app.py", SQLI), ("lib/stale.py", STALE)]);
    let r = run(dir.path(), &["check", "--format", "concise"]);
    assert_eq!(r.code, 1);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "app.py:2:5: sql-injection `user_id` is put into SQL text with an f-string and run by \
         `cursor.execute`"
    );
    assert_eq!(
        lines[1],
        "lib/stale.py:1:3: unused-suppression [*] unused suppression: no `sql-injection` finding here"
    );
    assert_eq!(
        lines[lines.len() - 2],
        "Found 2 problems in 2 files (checked 2 files)"
    );
    assert_eq!(
        lines.last().unwrap(),
        &"[*] 1 fixable with the `--fix` option."
    );
    assert!(!r.stdout.contains('│'), "no snippets: {}", r.stdout);
}

#[test]
fn quiet_prints_only_the_findings() {
    let dir = project(&[("app.py", SQLI), ("blob.py", "\u{0}\u{1}binary")]);
    let r = run(dir.path(), &["check", "--format", "concise", "--quiet"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stdout,
        "app.py:2:5: sql-injection `user_id` is put into SQL text with an f-string and run by \
         `cursor.execute`\n"
    );
    assert!(
        r.stderr
            .contains("backlint: warning: blob.py: skipped: binary file"),
        "{}",
        r.stderr
    );
    let r = run(dir.path(), &["check", "-q"]);
    assert!(r.stdout.contains("error[sql-injection]"), "{}", r.stdout);
    assert!(!r.stdout.contains("Found"), "{}", r.stdout);

    std::fs::write(dir.path().join("app.py"), CLEAN).unwrap();
    let r = run(dir.path(), &["check", "-q", "app.py"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, ""));
}

#[test]
fn statistics_count_findings_per_rule() {
    let two = format!("{SQLI}\n{}", SQLI.replace("get_user", "get_admin"));
    let dir = project(&[("a.py", &two), ("b.py", STALE)]);
    let r = run(dir.path(), &["check", "--statistics"]);
    assert_eq!(r.code, 1);
    assert_eq!(
        r.stdout,
        "2  sql-injection       error\n1  unused-suppression  info\nFound 3 problems in 2 files (checked 2 files)\n"
    );
    let r = run(
        dir.path(),
        &["check", "--statistics", "--output-format", "json"],
    );
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!([
            { "rule": "sql-injection", "severity": "error", "count": 2 },
            { "rule": "unused-suppression", "severity": "info", "count": 1 },
        ])
    );
    let r = run(dir.path(), &["check", "--statistics", "--format", "sarif"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("`--statistics`"), "{}", r.stderr);
}

#[test]
fn exclude_and_extend_exclude_on_the_command_line() {
    let dir = project(&[
        ("backlint.toml", "exclude = [\"legacy/**\"]\n"),
        ("app.py", SQLI),
        ("legacy/old.py", SQLI),
        ("scripts/once.py", SQLI),
    ]);
    let paths = |args: &[&str]| {
        let (_, report) = json(dir.path(), args);
        rules_and_paths(&report)
            .into_iter()
            .map(|(_, p)| p)
            .collect::<Vec<_>>()
    };
    assert_eq!(paths(&[]), ["app.py", "scripts/once.py"]);
    // --exclude replaces the config's list, --extend-exclude adds to it
    assert_eq!(
        paths(&["--exclude", "scripts/**"]),
        ["app.py", "legacy/old.py"]
    );
    assert_eq!(paths(&["--extend-exclude", "scripts/**"]), ["app.py"]);
    assert_eq!(
        paths(&["--exclude", "scripts/**,legacy/**", "--exclude", "app.py"]),
        Vec::<String>::new()
    );
    // a path named on the command line is checked all the same
    assert_eq!(
        paths(&["--exclude", "app.py", "app.py"]),
        ["app.py".to_string()]
    );
    let r = run(dir.path(), &["check", "--extend-exclude", "a/[b"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .starts_with("backlint: error: invalid `--extend-exclude` glob `a/[b`"),
        "{}",
        r.stderr
    );
}

#[test]
fn force_exclude_skips_named_files_a_walk_would_skip() {
    let dir = project(&[
        ("backlint.toml", "exclude = [\"legacy/**\", \"one.py\"]\n"),
        ("app.py", SQLI),
        ("one.py", SQLI),
        ("legacy/old.py", SQLI),
        ("vendor/lib.py", SQLI),
        ("gen/api_pb2.py", SQLI),
    ]);
    let named = [
        "app.py",
        "one.py",
        "legacy/old.py",
        "vendor/lib.py",
        "gen/api_pb2.py",
    ];
    let paths = |force: bool| {
        let mut args = vec!["--force-exclude"];
        if !force {
            args.clear();
        }
        args.extend(named);
        let (_, report) = json(dir.path(), &args);
        rules_and_paths(&report)
            .into_iter()
            .map(|(_, p)| p)
            .collect::<Vec<_>>()
    };
    // named files are checked all the same, unless --force-exclude
    assert_eq!(paths(false).len(), named.len());
    assert_eq!(paths(true), ["app.py"]);
    // from a subdirectory too: the globs are relative to backlint.toml
    let sub = run(
        &dir.path().join("legacy"),
        &["check", "--force-exclude", "old.py"],
    );
    assert_eq!(sub.code, 0, "{}{}", sub.stdout, sub.stderr);
    assert!(sub.stdout.contains("No files checked"), "{}", sub.stdout);
}
