//! `action.yml` (the composite GitHub Action) and the workflows of README's "GitHub Actions"
//! section: SchemaStore's schemas for action metadata and workflows (the copies check-jsonschema
//! ships), actionlint on the README workflows and on the action's steps set in a workflow (so
//! that `inputs.*` and `steps.*` references are checked), and each input declared and used.
//! The tools are installed by `scripts/ensure-check-jsonschema.sh` and
//! `scripts/ensure-actionlint.sh` into `target/tools/`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_yaml_ng::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `scripts/<script>` once and returns the tool path it prints; panics with its stderr.
fn ensure(cell: &'static OnceLock<PathBuf>, script: &str) -> &'static Path {
    cell.get_or_init(|| {
        let out = Command::new("bash")
            .arg(root().join("scripts").join(script))
            .output()
            .unwrap_or_else(|e| panic!("cannot run scripts/{script}: {e}"));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "scripts/{script} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        PathBuf::from(stdout.lines().last().unwrap_or_default().trim())
    })
}

fn check_jsonschema() -> &'static Path {
    static CELL: OnceLock<PathBuf> = OnceLock::new();
    ensure(&CELL, "ensure-check-jsonschema.sh")
}

fn actionlint() -> &'static Path {
    static CELL: OnceLock<PathBuf> = OnceLock::new();
    ensure(&CELL, "ensure-actionlint.sh")
}

/// Runs a tool and panics with its output unless it succeeds.
fn passes(tool: &Path, args: &[&Path], what: &str) {
    let out = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", tool.display()));
    assert!(
        out.status.success(),
        "{what}:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn action_text() -> String {
    std::fs::read_to_string(root().join("action.yml")).expect("action.yml")
}

fn action() -> Value {
    serde_yaml_ng::from_str(&action_text()).expect("action.yml is YAML")
}

fn declared_inputs(action: &Value) -> BTreeSet<String> {
    action["inputs"]
        .as_mapping()
        .expect("action.yml declares inputs")
        .keys()
        .filter_map(|k| k.as_str().map(str::to_string))
        .collect()
}

/// The YAML code blocks of README's "GitHub Actions" section that are workflows.
fn readme_workflows() -> Vec<String> {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let start = readme
        .find("### GitHub Actions")
        .expect("README has a `### GitHub Actions` section");
    let section = &readme[start + 3..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    let section = &section[..section.find("\n### ").unwrap_or(section.len())];
    let mut workflows = Vec::new();
    let mut rest = section;
    while let Some(open) = rest.find("```yaml\n") {
        let body = &rest[open + 8..];
        let close = body.find("```").expect("closed code block");
        if body[..close].contains("\njobs:") {
            workflows.push(body[..close].to_string());
        }
        rest = &body[close + 3..];
    }
    workflows
}

#[test]
fn action_matches_the_action_metadata_schema() {
    passes(
        check_jsonschema(),
        &[
            Path::new("--builtin-schema"),
            Path::new("vendor.github-actions"),
            &root().join("action.yml"),
        ],
        "action.yml does not match SchemaStore's schema for action metadata",
    );
}

#[test]
fn action_steps_pass_actionlint() {
    // The steps of a composite action are workflow steps; in a reusable workflow whose inputs
    // are the action's, actionlint checks their expressions, `uses` and `with`.
    let action = action();
    let inputs: serde_json::Map<String, serde_json::Value> = declared_inputs(&action)
        .into_iter()
        .map(|name| {
            (
                name,
                serde_json::json!({ "type": "string", "required": false }),
            )
        })
        .collect();
    let steps: serde_json::Value =
        serde_json::to_value(&action["runs"]["steps"]).expect("steps as JSON");
    let workflow = serde_json::json!({
        "on": { "workflow_call": { "inputs": inputs } },
        "jobs": { "action": { "runs-on": "ubuntu-latest", "steps": steps } },
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("action-steps.yml");
    std::fs::write(&file, serde_json::to_string_pretty(&workflow).unwrap()).unwrap();
    passes(
        actionlint(),
        &[&file],
        "actionlint on action.yml's steps (as a workflow)",
    );
}

#[test]
fn readme_workflows_pass_actionlint_and_the_workflow_schema() {
    let workflows = readme_workflows();
    assert!(
        workflows.len() >= 2,
        "README's GitHub Actions section should show a workflow and a pull-request variant"
    );
    let dir = tempfile::tempdir().unwrap();
    let inputs = declared_inputs(&action());
    let mut files = Vec::new();
    for (i, text) in workflows.iter().enumerate() {
        let file = dir.path().join(format!("readme-{i}.yml"));
        std::fs::write(&file, text).unwrap();
        // the action is used with inputs it declares
        let workflow: Value = serde_yaml_ng::from_str(text).expect("README workflow is YAML");
        let steps = workflow["jobs"]
            .as_mapping()
            .into_iter()
            .flat_map(|jobs| jobs.values())
            .filter_map(|job| job["steps"].as_sequence())
            .flatten();
        let mut used = false;
        for step in steps {
            if !step["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("OWNER/backlint@"))
            {
                continue;
            }
            used = true;
            for key in step["with"].as_mapping().into_iter().flat_map(|m| m.keys()) {
                let key = key.as_str().unwrap_or_default();
                assert!(
                    inputs.contains(key),
                    "README workflow {i} passes `{key}`, which action.yml does not declare"
                );
            }
        }
        assert!(used, "README workflow {i} does not use OWNER/backlint");
        files.push(file);
    }
    let mut args: Vec<&Path> = vec![
        Path::new("--builtin-schema"),
        Path::new("vendor.github-workflows"),
    ];
    args.extend(files.iter().map(PathBuf::as_path));
    passes(
        check_jsonschema(),
        &args,
        "a README workflow does not match SchemaStore's workflow schema",
    );
    let files: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    passes(actionlint(), &files, "actionlint on README's workflows");
}

/// The `run` script of the step with this id.
fn script(action: &Value, id: &str) -> String {
    action["runs"]["steps"]
        .as_sequence()
        .expect("runs.steps")
        .iter()
        .find(|s| s["id"].as_str() == Some(id))
        .and_then(|s| s["run"].as_str())
        .unwrap_or_else(|| panic!("no step `{id}` with a script"))
        .to_string()
}

/// Runs a step's script with bash as a runner would (`bash -e {0}`), with `env`, in `dir`;
/// returns the exit code, stdout and what it wrote to `$GITHUB_OUTPUT`.
fn run_step(script: &str, dir: &Path, env: &[(&str, &str)]) -> (i32, String, String) {
    let tmp = tempfile::tempdir().unwrap();
    let output = tmp.path().join("output");
    std::fs::write(&output, "").unwrap();
    let file = tmp.path().join("step.sh");
    std::fs::write(&file, script).unwrap();
    let out = Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail"])
        .arg(&file)
        .current_dir(dir)
        .env("GITHUB_OUTPUT", &output)
        .env("RUNNER_TEMP", tmp.path())
        .env("GITHUB_ACTION_PATH", root())
        .envs(env.iter().copied())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let outputs = std::fs::read_to_string(&output).unwrap();
    // the report is in RUNNER_TEMP: read it before the directory goes
    let outputs = match outputs.lines().find_map(|l| l.strip_prefix("sarif-file=")) {
        Some(sarif) => {
            let report = std::fs::read_to_string(sarif).unwrap_or_default();
            format!("{outputs}sarif={report}\n")
        }
        None => outputs,
    };
    (out.status.code().unwrap_or(-1), stdout, outputs)
}

#[test]
fn action_scripts_run_as_on_a_runner() {
    let action = action();
    // inputs reach the scripts through `env`, never spliced into them (script injection)
    for step in action["runs"]["steps"].as_sequence().unwrap() {
        if let Some(run) = step["run"].as_str() {
            assert!(!run.contains("${{"), "an expression in a script:\n{run}");
        }
    }
    let (code, _, outputs) = run_step(&script(&action, "key"), root(), &[]);
    assert_eq!(code, 0, "{outputs}");
    assert!(
        outputs
            .lines()
            .any(|l| l.len() == "hash=".len() + 32 && l.starts_with("hash=")),
        "{outputs}"
    );

    let project = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(project.path().join("app")).unwrap();
    std::fs::write(
        project.path().join("app/client.py"),
        "import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n",
    )
    .unwrap();
    std::fs::write(project.path().join("clean.py"), "X = 1\n").unwrap();
    let check = script(&action, "check");
    let bin = env!("CARGO_BIN_EXE_backlint");
    let step = |paths: &str, args: &str, upload: &str| {
        run_step(
            &check,
            project.path(),
            &[
                ("BACKLINT", bin),
                ("PATHS", paths),
                ("CONFIG", ""),
                ("CATEGORY", "backlint"),
                ("ARGS", args),
                ("UPLOAD", upload),
            ],
        )
    };
    // findings: the step succeeds (the upload comes next), says so and writes the report
    let (code, stdout, outputs) = step(".", "", "true");
    assert_eq!(code, 0, "{stdout}{outputs}");
    assert!(outputs.contains("findings=true\n"), "{outputs}");
    assert!(
        outputs.contains("\"missing-timeout\"") && outputs.contains("\"backlint/\""),
        "{outputs}"
    );
    assert!(
        !stdout.contains("::"),
        "annotations beside an upload: {stdout}"
    );
    // no upload: the findings become annotations
    let (code, stdout, _) = step(".", "", "false");
    assert_eq!(code, 0);
    assert!(
        stdout.contains("::warning file=app/client.py,line=5"),
        "{stdout}"
    );
    // paths and args are split on whitespace
    let (code, stdout, outputs) = step("clean.py\n app", "--select sql-injection", "false");
    assert_eq!(code, 0, "{stdout}{outputs}");
    assert!(outputs.contains("findings=false\n"), "{outputs}");
    // an error fails the step
    let (code, _, outputs) = step(".", "--select no-such-rule", "true");
    assert_eq!(code, 2, "{outputs}");
    assert!(!outputs.contains("sarif-file="), "{outputs}");
}

#[test]
fn every_input_is_declared_and_used() {
    let text = action_text();
    let declared = declared_inputs(&action());
    let used: BTreeSet<String> = regex::Regex::new(r"\binputs\.([A-Za-z_][A-Za-z0-9_-]*)")
        .unwrap()
        .captures_iter(&text)
        .map(|c| c[1].to_string())
        .collect();
    let undeclared: Vec<_> = used.difference(&declared).collect();
    let unused: Vec<_> = declared.difference(&used).collect();
    assert!(
        undeclared.is_empty(),
        "action.yml uses undeclared inputs: {undeclared:?}"
    );
    assert!(
        unused.is_empty(),
        "action.yml never uses inputs: {unused:?}"
    );
    // the outputs come from steps that exist
    let action = action();
    let ids: BTreeSet<&str> = action["runs"]["steps"]
        .as_sequence()
        .expect("runs.steps")
        .iter()
        .filter_map(|s| s["id"].as_str())
        .collect();
    for c in regex::Regex::new(r"\bsteps\.([A-Za-z_][A-Za-z0-9_-]*)\.")
        .unwrap()
        .captures_iter(&text)
    {
        assert!(
            ids.contains(&c[1]),
            "action.yml refers to `steps.{}`, which is no step's id",
            &c[1]
        );
    }
}
