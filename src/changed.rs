//! `--diff REF`: the lines added or changed since a git ref, so a pull-request check reports
//! only findings on them. The whole project is still analysed (cross-file facts come from every
//! file); only the report is narrowed. Read from `git diff --unified=0 REF` (the working tree
//! against REF) plus untracked files, which are new in every line.

use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::diagnostic::Diagnostic;

/// Changed lines per file (absolute, normalised paths).
#[derive(Debug, Default)]
pub struct Changed {
    files: HashMap<PathBuf, Lines>,
}

#[derive(Debug)]
enum Lines {
    /// Every line: the file is new or untracked.
    All,
    /// Added or changed line ranges of the new version (1-based, inclusive).
    Some(Vec<RangeInclusive<u32>>),
}

fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .context("`--diff` needs git, which could not be run")?;
    if !out.status.success() {
        bail!(
            "`git {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

impl Changed {
    /// The lines changed since `base` in the git repository holding `dir`.
    pub fn since(base: &str, dir: &Path) -> Result<Changed> {
        if base.starts_with('-') {
            bail!("`--diff` takes a git ref, not `{base}`");
        }
        let top = git(dir, &["rev-parse", "--show-toplevel"]).with_context(|| {
            format!(
                "`--diff {base}`: {} is not in a git repository",
                dir.display()
            )
        })?;
        let top = PathBuf::from(top.trim());
        git(
            &top,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{base}^{{commit}}"),
            ],
        )
        .with_context(|| format!("`--diff {base}`: no such commit"))?;
        let diff = git(
            &top,
            &[
                "diff",
                "--unified=0",
                "--no-color",
                "--no-ext-diff",
                "--no-renames",
                base,
                "--",
            ],
        )?;
        let mut changed = parse_diff(&diff, &top);
        let untracked = git(&top, &["ls-files", "--others", "--exclude-standard", "-z"])?;
        for p in untracked.split('\0').filter(|p| !p.is_empty()) {
            changed
                .files
                .insert(crate::paths::normalize(&top.join(p)), Lines::All);
        }
        Ok(changed)
    }

    /// Whether line `line` of `path` (as the report names it) was added or changed.
    pub fn holds(&self, path: &Path, line: u32) -> bool {
        let abs = crate::paths::normalize(&crate::paths::absolute(path));
        let abs = std::fs::canonicalize(&abs).unwrap_or(abs);
        match self.files.get(&abs) {
            Some(Lines::All) => true,
            Some(Lines::Some(ranges)) => ranges.iter().any(|r| r.contains(&line)),
            None => false,
        }
    }

    /// Keeps the diagnostics whose primary line was added or changed.
    pub fn filter(&self, diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
        diagnostics
            .into_iter()
            .filter(|d| self.holds(&d.path, d.start.line))
            .collect()
    }
}

/// Reads `git diff --unified=0` output: `+++ b/path` names the file, each
/// `@@ -a,b +c,d @@` hunk adds lines c..c+d-1 (d = 0: a pure deletion, nothing added).
fn parse_diff(diff: &str, top: &Path) -> Changed {
    let top = std::fs::canonicalize(top).unwrap_or_else(|_| top.to_path_buf());
    let mut changed = Changed::default();
    let mut current: Option<PathBuf> = None;
    for line in diff.lines() {
        if let Some(path) = line.strip_prefix("+++ ") {
            current = path
                .strip_prefix("b/")
                .map(|p| crate::paths::normalize(&top.join(unquote(p))));
            if let Some(p) = &current {
                changed
                    .files
                    .entry(p.clone())
                    .or_insert(Lines::Some(Vec::new()));
            }
        } else if line.starts_with("--- /dev/null") {
            // a new file: every line is added (the hunk says so too)
        } else if let Some(rest) = line.strip_prefix("@@ ") {
            let Some(path) = &current else { continue };
            let Some(added) = rest.split(' ').find_map(|w| w.strip_prefix('+')) else {
                continue;
            };
            let mut it = added.splitn(2, ',');
            let start: u32 = it.next().and_then(|s| s.parse().ok()).unwrap_or(0);
            let count: u32 = it.next().map_or(Some(1), |s| s.parse().ok()).unwrap_or(1);
            if count == 0 {
                continue;
            }
            if let Some(Lines::Some(ranges)) = changed.files.get_mut(path) {
                ranges.push(start..=start + count - 1);
            }
        }
    }
    changed
}

/// git quotes paths with unusual characters (`"b/na\303\257ve.py"`): the simple cases.
fn unquote(p: &str) -> String {
    p.trim_matches('"').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunks_give_the_added_lines() {
        let diff = "diff --git a/app/views.py b/app/views.py\n--- a/app/views.py\n+++ b/app/views.py\n@@ -3,0 +4,2 @@ def a():\n+x\n+y\n@@ -10 +12 @@\n-old\n+new\n@@ -20,3 +21,0 @@\n-gone\n";
        let top = Path::new("/repo");
        let c = parse_diff(diff, top);
        let f = top.join("app/views.py");
        let Some(Lines::Some(r)) = c.files.get(&f) else {
            panic!("{c:?}")
        };
        assert_eq!(r, &[4..=5, 12..=12]);
    }
}
