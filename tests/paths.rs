//! The same tree gives the same answer however its path is spelled (`DIR`, `./DIR`, absolute,
//! `.` from inside, `../DIR` from a sibling), with and without a git repository and a
//! configuration file; configuration globs are relative to the file that declares them.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

const SQLI: &str = "def get_user(cursor, user_id):\n    cursor.execute(f\"SELECT * FROM users WHERE id = {user_id}\")\n";

/// A Django app and an Express service, each with a helper in another module that queries and
/// is called in a loop (found only through the project index), plus a plain finding.
const TREE: &[(&str, &str)] = &[
    ("shop/__init__.py", ""),
    (
        "shop/models.py",
        "from django.db import models\n\n\nclass Customer(models.Model):\n    name = models.CharField(max_length=120)\n\n\nclass Order(models.Model):\n    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)\n    total = models.IntegerField()\n",
    ),
    (
        "shop/services.py",
        "from .models import Order\n\n\ndef load_orders(customer):\n    return list(Order.objects.filter(customer=customer))\n",
    ),
    (
        "shop/views.py",
        "from django.http import JsonResponse\n\nfrom .models import Customer\nfrom .services import load_orders\n\n\ndef order_history(request):\n    customers = Customer.objects.order_by(\"name\")[:50]\n    history = {}\n    for customer in customers:\n        history[customer.pk] = [o.total for o in load_orders(customer)]\n    return JsonResponse(history)\n",
    ),
    ("shop/raw.py", SQLI),
    (
        "web/package.json",
        "{\"name\": \"web\", \"dependencies\": {\"express\": \"^4.19.0\", \"@prisma/client\": \"^5.0.0\"}}\n",
    ),
    (
        "web/src/prisma.ts",
        "import { PrismaClient } from '@prisma/client';\n\nexport const prisma = new PrismaClient();\n",
    ),
    (
        "web/src/services/orders.ts",
        "import { prisma } from '../prisma';\n\nexport const loadOrders = async (userId: string) => {\n  return prisma.order.findMany({ where: { userId } });\n};\n",
    ),
    (
        "web/src/routes/users.ts",
        "import { Router } from 'express';\nimport { loadOrders } from '../services/orders';\n\nexport const router = Router();\n\nrouter.get('/users/history', async (req, res) => {\n  const ids = String(req.query.ids ?? '').split(',');\n  const history: Record<string, unknown> = {};\n  for (const id of ids) {\n    history[id] = await loadOrders(id);\n  }\n  res.json(history);\n});\n",
    ),
];

fn write(root: &Path, files: &[(&str, &str)]) {
    for (name, content) in files {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
}

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn backlint(cwd: &Path, args: &[&str]) -> Out {
    let out = Command::cargo_bin("backlint")
        .unwrap()
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .unwrap();
    let r = Out {
        code: out.status.code().expect("killed by a signal"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(
        r.code < 2,
        "backlint {args:?} in {}:\n{}",
        cwd.display(),
        r.stderr
    );
    r
}

/// Removes `.` and resolves `..` lexically.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

type Finding = (String, String, u64, u64, String);

/// (rule, path relative to `project`, line, column, message) of every finding of a JSON report
/// made in `cwd`.
fn findings(cwd: &Path, project: &Path, args: &[&str]) -> BTreeSet<Finding> {
    let mut all = vec!["check", "--format", "json"];
    all.extend_from_slice(args);
    let r = backlint(cwd, &all);
    let v: Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", r.stdout, r.stderr));
    v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let shown = Path::new(d["path"].as_str().unwrap());
            let abs = normalize(&cwd.join(shown));
            let rel = abs
                .strip_prefix(project)
                .unwrap_or_else(|_| panic!("{} is outside {}", abs.display(), project.display()));
            (
                d["rule"].as_str().unwrap().to_string(),
                rel.to_string_lossy().replace('\\', "/"),
                d["start"]["line"].as_u64().unwrap(),
                d["start"]["column"].as_u64().unwrap(),
                d["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn rel_paths(found: &BTreeSet<Finding>, rule: &str) -> Vec<String> {
    found
        .iter()
        .filter(|f| f.0 == rule)
        .map(|f| f.1.clone())
        .collect()
}

/// Runs the shared validator on a SARIF log, when it is there (next to the repository).
fn validate(sarif: &str) {
    let validator = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/validate-sarif");
    if !validator.exists() {
        eprintln!(
            "note: {} not found; SARIF not validated",
            validator.display()
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("backlint.sarif");
    std::fs::write(&path, sarif).unwrap();
    let out = std::process::Command::new(&validator)
        .arg(&path)
        .output()
        .expect("run validate-sarif");
    assert!(
        out.status.success(),
        "validate-sarif failed:\n{}{}\n--- SARIF ---\n{sarif}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
}

/// Every `artifactLocation.uri` in a SARIF log.
fn uris(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(u) = m.get("artifactLocation").and_then(|a| a["uri"].as_str()) {
                out.push(u.to_string());
            }
            m.values().for_each(|x| uris(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| uris(x, out)),
        _ => {}
    }
}

#[test]
fn findings_and_sarif_do_not_depend_on_how_the_path_is_spelled() {
    for git in [false, true] {
        for config in [false, true] {
            let tmp = tempfile::tempdir().unwrap();
            let top = std::fs::canonicalize(tmp.path()).unwrap();
            let proj = top.join("proj");
            write(&proj, TREE);
            std::fs::create_dir_all(top.join("sibling")).unwrap();
            if git {
                // the repository holds the project and its sibling
                std::fs::create_dir(top.join(".git")).unwrap();
            }
            if config {
                write(
                    &proj,
                    &[(
                        "backlint.toml",
                        "[per-path-ignores]\n\"shop/raw.py\" = [\"sql-injection\"]\n",
                    )],
                );
            }
            let case = format!("git: {git}, config: {config}");
            let abs = proj.to_string_lossy().into_owned();
            let runs: [(PathBuf, &str); 6] = [
                (top.clone(), "proj"),
                (top.clone(), "./proj"),
                (top.clone(), abs.as_str()),
                (proj.clone(), "."),
                (top.join("sibling"), "../proj"),
                (proj.join("shop"), ".."),
            ];

            let (cwd, arg) = &runs[0];
            let expected = findings(cwd, &proj, &[arg]);
            assert_eq!(
                rel_paths(&expected, "n-plus-one-query"),
                ["shop/views.py", "web/src/routes/users.ts"],
                "{case}: the helpers in other modules are found through the index: {expected:#?}"
            );
            assert_eq!(
                rel_paths(&expected, "sql-injection"),
                if config {
                    vec![]
                } else {
                    vec!["shop/raw.py".to_string()]
                },
                "{case}: per-path-ignores apply: {expected:#?}"
            );
            let sarif = backlint(cwd, &["check", "--format", "sarif", arg]).stdout;
            validate(&sarif);
            let log: Value = serde_json::from_str(&sarif).unwrap();
            let mut all = Vec::new();
            uris(&log, &mut all);
            let prefix = if git { "proj/" } else { "" };
            assert!(!all.is_empty());
            for u in &all {
                assert!(
                    u.starts_with(prefix) && !u.starts_with('/') && !u.contains(".."),
                    "{case}: {u}"
                );
            }
            assert!(
                all.contains(&format!("{prefix}shop/services.py")),
                "{case}: {all:?}"
            );

            for (cwd, arg) in &runs[1..] {
                let found = findings(cwd, &proj, &[arg]);
                assert_eq!(
                    found,
                    expected,
                    "{case}: `check {arg}` in {}",
                    cwd.display()
                );
                let again = backlint(cwd, &["check", "--format", "sarif", arg]).stdout;
                assert!(
                    again == sarif,
                    "{case}: SARIF of `check {arg}` in {} differs:\n{again}\n--- first ---\n{sarif}",
                    cwd.display()
                );
            }
        }
    }
}

const CONFIG: &str = "exclude = [\"legacy/**\"]\n\n[per-path-ignores]\n\"scripts/**\" = [\"sql-injection\"]\n\n[roles]\n\"vendored/**\" = \"tooling\"\n";

/// A project whose configuration switches `sql-injection` off in some folders; the same
/// finding in each folder.
fn configured() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let top = std::fs::canonicalize(tmp.path()).unwrap();
    let proj = top.join("proj");
    write(
        &proj,
        &[
            ("backlint.toml", CONFIG),
            ("app/db.py", SQLI),
            ("app/scripts/fix.py", SQLI),
            ("scripts/fix.py", SQLI),
            ("legacy/old.py", SQLI),
            ("vendored/lib.py", SQLI),
        ],
    );
    std::fs::create_dir_all(top.join("elsewhere")).unwrap();
    (tmp, proj)
}

fn sqli_paths(cwd: &Path, proj: &Path, args: &[&str]) -> Vec<String> {
    rel_paths(&findings(cwd, proj, args), "sql-injection")
}

#[test]
fn config_globs_are_relative_to_the_config_file() {
    let (_tmp, proj) = configured();
    // globs are anchored at the config file's folder: `scripts/**` is not `app/scripts/`
    let expected = ["app/db.py", "app/scripts/fix.py"];
    assert_eq!(sqli_paths(&proj, &proj, &[]), expected);
    // from a subdirectory: the config above is found and its globs keep applying
    for dir in ["scripts", "vendored", "legacy"] {
        assert_eq!(
            sqli_paths(&proj.join(dir), &proj, &["."]),
            Vec::<String>::new(),
            "from {dir}/"
        );
    }
    assert_eq!(sqli_paths(&proj.join("app"), &proj, &[".."]), expected);
    assert_eq!(
        sqli_paths(&proj.join("scripts"), &proj, &["fix.py"]),
        Vec::<String>::new()
    );
}

#[test]
fn config_is_found_from_the_checked_files_not_the_current_directory() {
    let (_tmp, proj) = configured();
    let elsewhere = proj.parent().unwrap().join("elsewhere");
    // a config in the current directory is not the checked tree's
    std::fs::write(
        elsewhere.join("backlint.toml"),
        "select = [\"hardcoded-secret\"]\n",
    )
    .unwrap();
    assert_eq!(
        sqli_paths(&elsewhere, &proj, &["../proj"]),
        ["app/db.py", "app/scripts/fix.py"]
    );
    assert_eq!(
        sqli_paths(&elsewhere, &proj, &["../proj/scripts/fix.py"]),
        Vec::<String>::new()
    );
}

#[test]
fn config_globs_apply_with_config_from_elsewhere() {
    let (_tmp, proj) = configured();
    // the project's own config is hidden; the one given with --config lives elsewhere
    let conf = proj.parent().unwrap().join("conf");
    std::fs::create_dir_all(&conf).unwrap();
    std::fs::rename(proj.join("backlint.toml"), proj.join("unused.toml")).unwrap();
    let elsewhere = proj.parent().unwrap().join("elsewhere");
    let abs = proj.join("unused.toml").to_string_lossy().into_owned();
    for cwd in [&elsewhere, &proj.join("scripts"), &proj] {
        for (arg, want) in [
            ("../proj", vec!["app/db.py", "app/scripts/fix.py"]),
            ("../proj/scripts", vec![]),
            ("../proj/vendored", vec![]),
        ] {
            // the same target from each directory
            let target = normalize(&elsewhere.join(arg));
            let target = target.to_string_lossy();
            assert_eq!(
                sqli_paths(cwd, &proj, &["--config", &abs, &target]),
                want,
                "--config {abs} {target} in {}",
                cwd.display()
            );
        }
    }
    // a shared config from a folder outside the project: its globs are relative to the
    // project root
    std::fs::copy(proj.join("unused.toml"), conf.join("backlint.toml")).unwrap();
    for cwd in [&proj, &elsewhere] {
        let target = proj.to_string_lossy();
        assert_eq!(
            sqli_paths(cwd, &proj, &["--config", "../conf/backlint.toml", &target]),
            ["app/db.py", "app/scripts/fix.py"]
        );
    }
}
