//! File discovery: the `ignore` crate's walker (`.gitignore` inside git repositories,
//! `.ignore`, `.backlintignore` everywhere), default excludes for dependency and build output
//! folders, and minified/generated files. Symlinks are not followed (no loops).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::overrides::OverrideBuilder;
use ignore::WalkBuilder;

use crate::config::Config;
use crate::lang::Dialect;
use crate::report::Notice;

/// Folders never descended into.
pub const DEFAULT_EXCLUDES: &[&str] = &[
    "node_modules",
    "vendor",
    "dist",
    "build",
    "target",
    ".git",
    ".hg",
    ".svn",
    "__pycache__",
    ".venv",
    "venv",
    ".tox",
    ".mypy_cache",
    ".pytest_cache",
    ".next",
    ".nuxt",
    "coverage",
    "site-packages",
    "bower_components",
    ".turbo",
    "out",
];

/// Whether a file name marks generated or minified code.
pub fn is_generated_name(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.ends_with(".min.js")
        || name.ends_with(".bundle.js")
        || name.ends_with(".d.ts")
        || name.ends_with("_pb2.py")
        || name.ends_with("_pb2_grpc.py")
        || name.ends_with(".generated.ts")
}

/// Source files and dependency manifests ([`crate::manifest`]) are checked.
pub fn is_checked(path: &Path) -> bool {
    Dialect::from_path(path).is_some() || crate::manifest::Kind::from_path(path).is_some()
}

/// Collects the files to check, sorted. Paths named explicitly are checked even when an
/// ignore file would skip them (as ruff and eslint do), but must have a supported extension.
/// `exclude` globs are gitignore-style and relative to the configuration file's directory.
pub fn discover(paths: &[PathBuf], config: &Config) -> (Vec<PathBuf>, Vec<Notice>) {
    let mut files = Vec::new();
    let mut notices = Vec::new();
    let excludes = excludes(config);
    for root in paths {
        let meta = match std::fs::metadata(root) {
            Ok(m) => m,
            Err(e) => {
                notices.push(Notice {
                    path: root.clone(),
                    message: format!("could not be read: {e}"),
                });
                continue;
            }
        };
        if meta.is_file() {
            if config.force_exclude && force_excluded(root, config, excludes.as_ref()) {
                continue;
            }
            if is_checked(root) {
                files.push(root.clone());
            } else {
                notices.push(Notice {
                    path: root.clone(),
                    message: crate::lang::unsupported_notice(root),
                });
            }
            continue;
        }
        let mut ov = OverrideBuilder::new(root);
        for ex in DEFAULT_EXCLUDES {
            let _ = ov.add(&format!("!**/{ex}/"));
        }
        let mut walk = WalkBuilder::new(root);
        walk.hidden(true)
            .follow_links(false)
            .require_git(true)
            .add_custom_ignore_filename(".backlintignore");
        if let Ok(o) = ov.build() {
            walk.overrides(o);
        }
        if let Some((gi, base)) = excludes.clone() {
            let root = root.clone();
            let root_abs = crate::paths::absolute(&root);
            walk.filter_entry(move |e| {
                let abs = crate::paths::rebase(e.path(), &root, &root_abs);
                let rel = abs.strip_prefix(&base).unwrap_or(&abs);
                let is_dir = e.file_type().is_some_and(|t| t.is_dir());
                !gi.matched(rel, is_dir).is_ignore()
            });
        }
        for entry in walk.build() {
            match entry {
                Ok(e) => {
                    if !e.file_type().is_some_and(|t| t.is_file()) {
                        continue;
                    }
                    let p = e.into_path();
                    if is_checked(&p) && !is_generated_name(&p) {
                        files.push(p);
                    }
                }
                Err(err) => {
                    let path = match &err {
                        ignore::Error::WithPath { path, .. } => path.clone(),
                        _ => root.clone(),
                    };
                    notices.push(Notice {
                        path,
                        message: format!("skipped: {err}"),
                    });
                }
            }
        }
    }
    files.sort();
    files.dedup();
    (files, notices)
}

/// With `--force-exclude`, whether a file named on the command line is skipped as a walk would
/// skip it: a generated-file name, a default excluded folder or an `exclude` glob on the file or
/// one of its folders (relative to the configuration's directory, else the current directory).
fn force_excluded(
    path: &Path,
    config: &Config,
    excludes: Option<&(Arc<Gitignore>, PathBuf)>,
) -> bool {
    if is_generated_name(path) {
        return true;
    }
    let abs = crate::paths::absolute(path);
    let base = config
        .base
        .clone()
        .unwrap_or_else(|| crate::paths::absolute(Path::new(".")));
    let Ok(rel) = abs.strip_prefix(&base) else {
        return false;
    };
    let dirs = || {
        rel.ancestors()
            .skip(1)
            .filter(|d| !d.as_os_str().is_empty())
    };
    if dirs().any(|d| {
        d.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| DEFAULT_EXCLUDES.contains(&n))
    }) {
        return true;
    }
    let Some((gi, _)) = excludes else {
        return false;
    };
    let file = gi.matched(rel, false);
    if !file.is_none() {
        return file.is_ignore();
    }
    for dir in dirs() {
        let m = gi.matched(dir, true);
        if !m.is_none() {
            return m.is_ignore();
        }
    }
    false
}

/// The configuration's `exclude` globs as one gitignore matcher, with the directory they are
/// relative to (the configuration file's, else the current directory).
fn excludes(config: &Config) -> Option<(Arc<Gitignore>, PathBuf)> {
    if config.exclude.is_empty() {
        return None;
    }
    let base = config
        .base
        .clone()
        .unwrap_or_else(|| crate::paths::absolute(Path::new(".")));
    let mut b = GitignoreBuilder::new(".");
    for ex in &config.exclude {
        let _ = b.add_line(None, ex);
    }
    let gi = b.build().ok()?;
    Some((Arc::new(gi), base))
}
