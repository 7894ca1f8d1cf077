//! The real-service check (as ruff's ecosystem check): re-runs backlint on local snapshots of
//! the services in `realworld/services.tsv` and compares every finding with the labels in
//! `realworld/labels/<service>.tsv`.
//!
//! ```text
//! cargo run --release --example realworld -- [--snapshots DIR] [--new FILE] [--all FILE] [SERVICE...]
//! ```
//! `DIR/<service>/` holds each service's files (default `$BACKLINT_REALWORLD`, else
//! `../realworld-snapshots`). Prints per rule: findings, tp / fp / debatable among the labelled
//! ones, precision, unlabelled findings (judge them before the change lands) and labelled true
//! positives no longer reported. `--new FILE` writes the unlabelled findings as label rows with an
//! empty verdict, ready to judge. `--all FILE` writes every finding with its verdict and reason
//! (service, path, line, rule, verdict, reason, message). Exit code 1 when a labelled true
//! positive is lost.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use backlint::{lint_paths, Options};

#[derive(Default)]
struct Tally {
    findings: usize,
    tp: usize,
    fp: usize,
    debatable: usize,
    new: usize,
    lost: usize,
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("realworld");
    let mut args = std::env::args().skip(1);
    let mut snapshots = std::env::var_os("BACKLINT_REALWORLD")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../realworld-snapshots"));
    let mut new_out: Option<PathBuf> = None;
    let mut all_out: Option<PathBuf> = None;
    let mut only: Vec<String> = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--snapshots" => snapshots = PathBuf::from(args.next().expect("--snapshots DIR")),
            "--new" => new_out = Some(PathBuf::from(args.next().expect("--new FILE"))),
            "--all" => all_out = Some(PathBuf::from(args.next().expect("--all FILE"))),
            _ => only.push(a),
        }
    }
    let services = std::fs::read_to_string(root.join("services.tsv")).expect("services.tsv");
    let mut per_rule: BTreeMap<String, Tally> = BTreeMap::new();
    let mut new_rows = String::new();
    let mut all_rows = String::new();
    let mut lost_rows = Vec::new();
    println!("{:<18} {:>8}  by rule", "service", "findings");
    for line in services
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let name = line.split('\t').next().unwrap_or_default().to_string();
        if !only.is_empty() && !only.contains(&name) {
            continue;
        }
        let dir = snapshots.join(&name);
        if !dir.is_dir() {
            println!("{name:<18} (no snapshot at {})", dir.display());
            continue;
        }
        let labels = read_labels(&root.join("labels").join(format!("{name}.tsv")));
        let report = lint_paths(std::slice::from_ref(&dir), &Options::default());
        let mut seen = HashSet::new();
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for d in &report.diagnostics {
            if d.rule == "unused-suppression" {
                continue;
            }
            let rel = d
                .path
                .strip_prefix(&dir)
                .unwrap_or(&d.path)
                .to_string_lossy()
                .replace('\\', "/");
            let key = (rel.clone(), d.start.line, d.rule.to_string());
            *counts.entry(d.rule).or_default() += 1;
            let t = per_rule.entry(d.rule.to_string()).or_default();
            t.findings += 1;
            let msg = d.message.replace(['\t', '\n'], " ");
            let (verdict, reason) = labels.get(&key).cloned().unwrap_or_default();
            all_rows.push_str(&format!(
                "{name}\t{rel}\t{}\t{}\t{verdict}\t{reason}\t{msg}\n",
                d.start.line, d.rule
            ));
            match labels.get(&key).map(|(v, _)| v.as_str()) {
                Some("tp") => t.tp += 1,
                Some("fp") => t.fp += 1,
                Some("debatable") => t.debatable += 1,
                _ => {
                    t.new += 1;
                    new_rows.push_str(&format!(
                        "{name}\t{rel}\t{}\t{}\t\t{msg}\n",
                        d.start.line, d.rule
                    ));
                }
            }
            seen.insert(key);
        }
        for ((path, line, rule), (verdict, reason)) in &labels {
            if verdict == "tp" && !seen.contains(&(path.clone(), *line, rule.clone())) {
                per_rule.entry(rule.clone()).or_default().lost += 1;
                lost_rows.push(format!("{name}\t{path}:{line}\t{rule}\t{reason}"));
            }
        }
        let total: usize = counts.values().sum();
        let by: Vec<String> = counts.iter().map(|(r, n)| format!("{r} {n}")).collect();
        println!("{name:<18} {total:>8}  {}", by.join(", "));
    }
    println!();
    println!(
        "{:<24} {:>8} {:>5} {:>5} {:>5} {:>9} {:>5} {:>5}",
        "rule", "findings", "tp", "fp", "deb", "precision", "new", "lost"
    );
    let mut all = Tally::default();
    for (rule, t) in &per_rule {
        print_row(rule, t);
        all.findings += t.findings;
        all.tp += t.tp;
        all.fp += t.fp;
        all.debatable += t.debatable;
        all.new += t.new;
        all.lost += t.lost;
    }
    print_row("all", &all);
    if !lost_rows.is_empty() {
        println!("\nlabelled true positives no longer reported:");
        for r in &lost_rows {
            println!("  {r}");
        }
    }
    if let Some(out) = new_out {
        std::fs::write(&out, new_rows).expect("write --new file");
        println!("\nunlabelled findings written to {}", out.display());
    }
    if let Some(out) = all_out {
        std::fs::write(&out, all_rows).expect("write --all file");
        println!("every finding written to {}", out.display());
    }
    if all.lost > 0 {
        std::process::exit(1);
    }
}

fn print_row(rule: &str, t: &Tally) {
    let judged = t.tp + t.fp;
    let precision = if judged == 0 {
        "-".to_string()
    } else {
        format!("{:.2}", t.tp as f64 / judged as f64)
    };
    println!(
        "{:<24} {:>8} {:>5} {:>5} {:>5} {:>9} {:>5} {:>5}",
        rule, t.findings, t.tp, t.fp, t.debatable, precision, t.new, t.lost
    );
}

/// (path, line, rule) -> (verdict, reason). Later rows win.
fn read_labels(path: &Path) -> HashMap<(String, u32, String), (String, String)> {
    let mut out = HashMap::new();
    let Ok(text) = std::fs::read_to_string(path) else {
        return out;
    };
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 4 || f[0].starts_with('#') {
            continue;
        }
        let Ok(n) = f[1].parse() else { continue };
        out.insert(
            (f[0].to_string(), n, f[2].to_string()),
            (f[3].to_string(), f.get(4).unwrap_or(&"").to_string()),
        );
    }
    out
}
