//! Snapshots of the demo's rendered text and SARIF. The fixture annotations are the pass/fail
//! truth for rules; these catch unintended changes in what users read.

use std::path::PathBuf;

use backlint::report::{sarif, text};
use backlint::{lint_paths, Options};

fn demo_report() -> backlint::report::Report {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    std::env::set_current_dir(&root).unwrap();
    let options = Options {
        uri_root: Some(root.clone()),
        ..Options::default()
    };
    lint_paths(&[PathBuf::from("fixtures/demo")], &options)
}

#[test]
fn demo_text() {
    let report = demo_report();
    let mut out = Vec::new();
    text::render(&report, false, &mut out).unwrap();
    insta::assert_snapshot!(String::from_utf8(out).unwrap());
}

#[test]
fn demo_sarif() {
    let report = demo_report();
    let mut out = Vec::new();
    sarif::render(&report, &mut out).unwrap();
    let mut v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    // rule docs are long and tested elsewhere: keep the snapshot to results and rule ids
    let rules = v["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].clone())
        .collect::<Vec<_>>();
    v["runs"][0]["tool"]["driver"]["rules"] = serde_json::Value::Array(rules);
    v["runs"][0]["tool"]["driver"]["version"] = "x".into();
    v["runs"][0]["tool"]["driver"]["semanticVersion"] = "x".into();
    insta::assert_json_snapshot!(v);
}
