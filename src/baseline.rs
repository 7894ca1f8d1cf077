//! Baseline (placeholder until the real module is merged): rule id + fingerprint, count-aware.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context;

use crate::diagnostic::Diagnostic;

#[derive(Debug, Default)]
pub struct Baseline {
    counts: HashMap<(String, String), usize>,
}

pub fn load(path: &Path) -> anyhow::Result<Baseline> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read baseline {}", path.display()))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    let mut b = Baseline::default();
    for d in v["diagnostics"].as_array().into_iter().flatten() {
        if let (Some(r), Some(f)) = (d["rule"].as_str(), d["fingerprint"].as_str()) {
            *b.counts.entry((r.to_string(), f.to_string())).or_default() += 1;
        }
    }
    Ok(b)
}

pub fn filter(diags: Vec<Diagnostic>, baseline: &Baseline) -> Vec<Diagnostic> {
    let mut left = baseline.counts.clone();
    diags
        .into_iter()
        .filter(
            |d| match left.get_mut(&(d.rule.to_string(), d.fingerprint.clone())) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    false
                }
                _ => true,
            },
        )
        .collect()
}
