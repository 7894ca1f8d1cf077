//! `max-nesting-depth`: deeply nested files get a notice instead of overflowing a stack, the
//! other files are still checked, and files just under the limit are checked in full.

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

/// A file of `lang` with the finding (`missing-timeout`) inside `n` nested list brackets, on
/// line 4 (Python, TypeScript, JavaScript) or 2 (Rust).
fn nested(ext: &str, n: usize) -> String {
    let (open, close) = ("[".repeat(n), "]".repeat(n));
    match ext {
        "py" => format!(
            "import requests\n\ndef f(url):\n    x = {open}requests.get(url){close}\n    return x\n"
        ),
        "rs" => format!("pub async fn f(url: &str) {{\n    let _x = {open}reqwest::get(url).await{close};\n}}\n"),
        _ => format!(
            "import axios from \"axios\";\n\nexport async function f(url) {{\n  const x = {open}axios.get(url){close};\n  return x;\n}}\n"
        ),
    }
}

const EXTS: [&str; 5] = ["py", "ts", "tsx", "js", "rs"];

fn finding_line(ext: &str) -> u64 {
    if ext == "rs" {
        2
    } else {
        4
    }
}

fn notice(limit: usize) -> String {
    format!("skipped: nesting deeper than {limit}; raise `max-nesting-depth` in backlint.toml")
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn check(dir: &Path, args: &[&str], stdin: Option<String>) -> Value {
    let mut cmd = Command::cargo_bin("backlint").unwrap();
    cmd.current_dir(dir)
        .args(["check", "--format", "json"])
        .args(args);
    if let Some(text) = stdin {
        cmd.write_stdin(text);
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // a stack overflow aborts the process (no exit code) and prints to stderr
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "backlint failed ({:?}):\n{stderr}",
        out.status
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stderr}"))
}

/// (path, line) of every finding.
fn findings(report: &Value) -> Vec<(String, u64)> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["path"].as_str().unwrap().replace('\\', "/"),
                d["start"]["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// (path, message) of every notice.
fn notices(report: &Value) -> Vec<(String, String)> {
    report["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["path"].as_str().unwrap().replace('\\', "/"),
                n["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn deeply_nested_files_get_a_notice_and_the_others_are_checked() {
    const N: usize = 100_000;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let deep: Vec<(String, String)> = vec![
        // ruff's parser makes no node of a parenthesis: `((1))` nests as deep as `1`
        (
            "deep/parens.py".into(),
            format!("x = {}1{}\n", "(-".repeat(N), ")".repeat(N)),
        ),
        (
            "deep/brackets.py".into(),
            format!("x = {}1{}\n", "[\n".repeat(N), "]".repeat(N)),
        ),
        // Python blocks: 3,000 levels of `if` (the indentation makes a file quadratic in size)
        (
            "deep/ifs.py".into(),
            (0..3000)
                .map(|i| format!("{}if x:\n", " ".repeat(i)))
                .collect::<String>()
                + &" ".repeat(3000)
                + "pass\n",
        ),
        (
            "deep/chain.py".into(),
            format!("x = a{}\n", ".b()".repeat(N)),
        ),
        (
            "deep/ifs.ts".into(),
            "if (a) {\n".repeat(N) + &"}\n".repeat(N),
        ),
        (
            "deep/parens.ts".into(),
            format!("x = {}1{};\n", "(\n".repeat(N), ")".repeat(N)),
        ),
        (
            "deep/jsx.tsx".into(),
            "const a = ".to_string() + &"<a>\n".repeat(N) + &"</a>\n".repeat(N),
        ),
        (
            "deep/brackets.js".into(),
            format!("x = {}1{};\n", "[\n".repeat(N), "]\n".repeat(N)),
        ),
        (
            "deep/sum.js".into(),
            format!("x = 1{};\n", "\n+ 1".repeat(N)),
        ),
        (
            "deep/parens.rs".into(),
            format!(
                "fn f() {{ let x = {}1{}; }}\n",
                "(".repeat(N),
                ")".repeat(N)
            ),
        ),
        (
            "deep/ifs.rs".into(),
            format!("fn f() {{ {} }}\n", "if a {\n".repeat(N) + &"}\n".repeat(N)),
        ),
        // syn parses these in a loop but nests its tree (and its drop) one level per link
        (
            "deep/chain.rs".into(),
            format!("fn f() {{ let x = a{}; }}\n", "\n.b()".repeat(N)),
        ),
        (
            "deep/sum.rs".into(),
            format!("fn f() {{ let x = 1{}; }}\n", " + 1".repeat(N)),
        ),
        // syn recurses on generics without a bracket
        (
            "deep/generic.rs".into(),
            format!("fn f(x: {}u8{}) {{}}\n", "Vec<".repeat(N), ">".repeat(N)),
        ),
    ];
    for (name, text) in &deep {
        write(d, name, text);
    }
    for ext in EXTS {
        write(d, &format!("ok/a.{ext}"), &nested(ext, 3));
    }
    let report = check(d, &["."], None);
    let mut expected: Vec<(String, String)> =
        deep.iter().map(|(p, _)| (p.clone(), notice(400))).collect();
    expected.sort();
    assert_eq!(notices(&report), expected);
    let mut want: Vec<(String, u64)> = EXTS
        .iter()
        .map(|e| (format!("ok/a.{e}"), finding_line(e)))
        .collect();
    want.sort();
    assert_eq!(findings(&report), want);

    // the same through stdin (checked on the main thread)
    for (name, text) in deep
        .iter()
        .filter(|(n, _)| n.ends_with(".rs") || n.ends_with("parens.py"))
    {
        let report = check(d, &["--stdin-filename", name], Some(text.clone()));
        assert_eq!(notices(&report), [(name.clone(), notice(400))], "{name}");
    }
}

#[test]
fn files_just_under_the_limit_are_checked() {
    // the default limit: every language, on the worker threads and on the main thread (stdin)
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for ext in EXTS {
        write(d, &format!("under/a.{ext}"), &nested(ext, 385));
        write(d, &format!("over/a.{ext}"), &nested(ext, 401));
    }
    let report = check(d, &["."], None);
    let mut want: Vec<(String, u64)> = EXTS
        .iter()
        .map(|e| (format!("under/a.{e}"), finding_line(e)))
        .collect();
    want.sort();
    assert_eq!(findings(&report), want);
    let mut over: Vec<(String, String)> = EXTS
        .iter()
        .map(|e| (format!("over/a.{e}"), notice(400)))
        .collect();
    over.sort();
    assert_eq!(notices(&report), over);
    for ext in EXTS {
        let name = format!("under/a.{ext}");
        let report = check(d, &["--stdin-filename", &name], Some(nested(ext, 385)));
        assert_eq!(findings(&report), [(name, finding_line(ext))]);
    }
}

#[test]
fn the_limit_comes_from_the_config() {
    // lowered: 100 levels
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "backlint.toml", "max-nesting-depth = 100\n");
    for ext in EXTS {
        write(d, &format!("under/a.{ext}"), &nested(ext, 85));
        write(d, &format!("over/a.{ext}"), &nested(ext, 101));
    }
    let report = check(d, &["."], None);
    let mut want: Vec<(String, u64)> = EXTS
        .iter()
        .map(|e| (format!("under/a.{e}"), finding_line(e)))
        .collect();
    want.sort();
    assert_eq!(findings(&report), want);
    let mut over: Vec<(String, String)> = EXTS
        .iter()
        .map(|e| (format!("over/a.{e}"), notice(100)))
        .collect();
    over.sort();
    assert_eq!(notices(&report), over);

    // raised to 3,000: the threads get the stack it needs (the main thread's 8 MiB would not
    // do for every language at this depth)
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "backlint.toml", "max-nesting-depth = 3000\n");
    for ext in EXTS {
        write(d, &format!("a.{ext}"), &nested(ext, 2900));
    }
    let report = check(d, &["."], None);
    assert_eq!(notices(&report), []);
    let mut want: Vec<(String, u64)> = EXTS
        .iter()
        .map(|e| (format!("a.{e}"), finding_line(e)))
        .collect();
    want.sort();
    assert_eq!(findings(&report), want);
    let report = check(d, &["--stdin-filename", "a.py"], Some(nested("py", 2900)));
    assert_eq!(findings(&report), [("a.py".to_string(), 4)]);
}
